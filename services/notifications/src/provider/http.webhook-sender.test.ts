import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { closedPort } from "@souk/platform/testing";
import { createWebhookSender } from "./http.webhook-sender.ts";

describe("the webhook sender (fetch against a local server)", () => {
  let server: Server;
  let base: string;
  const sender = createWebhookSender();

  beforeAll(async () => {
    server = createServer((request, response) => {
      if (request.url === "/slow") return; // never answers
      if (request.url === "/redirect") return void response.writeHead(302, { location: "/ok" }).end();
      let body = "";
      request.on("data", (chunk: Buffer) => (body += chunk.toString()));
      request.on("end", () =>
        response.writeHead(200, { "content-type": "text/plain" }).end(`${String(request.headers["x-test"])}:${body}`),
      );
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });

  it("POSTs the body with the headers and answers the status", async () => {
    const result = await sender.post({ url: `${base}/ok`, body: "{}", headers: { "x-test": "yes" }, timeoutMs: 2_000 });
    expect(result).toEqual({ status: 200 });
  });

  it("does not follow redirects", async () => {
    expect(await sender.post({ url: `${base}/redirect`, body: "{}", headers: {}, timeoutMs: 2_000 })).toEqual({
      status: 302,
    });
  });

  it("fails an attempt on a timeout and on a refused connection, saying which", async () => {
    await expect(sender.post({ url: `${base}/slow`, body: "{}", headers: {}, timeoutMs: 200 })).rejects.toThrow(
      "endpoint did not answer within 200 ms",
    );
    const port = await closedPort();
    await expect(
      sender.post({ url: `http://127.0.0.1:${port}/`, body: "{}", headers: {}, timeoutMs: 2_000 }),
    ).rejects.toThrow("endpoint unreachable: ECONNREFUSED");
  });
});
