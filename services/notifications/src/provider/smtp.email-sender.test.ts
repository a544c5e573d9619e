import { describe, expect, it } from "vitest";
import { closedPort, testLogger } from "@souk/platform/testing";
import { createEmailSender } from "./smtp.email-sender.ts";

const email = {
  to: { email: "ada@example.com", name: "Ada" },
  subject: "Hello",
  text: "Hi\n",
  html: "<p>Hi</p>",
  messageId: "<evt-1@souk>",
  headers: { "X-Souk-Event-Id": "evt-1" },
};

/** A sender to `url` with the test's From:, a 1 s timeout and the test logger. */
const senderTo = (url: string) =>
  createEmailSender({ url, from: "Souk <no-reply@souk.example>", timeoutMs: 1_000, logger: testLogger() });

describe("the email sender", () => {
  it("log:// renders the message without any server", async () => {
    const sender = senderTo("log://");
    await expect(sender.send(email)).resolves.toBeUndefined();
    await sender.close();
  });

  it("sends concurrent first messages, and again after close (the transport is made anew)", async () => {
    const sender = senderTo("log://");
    await expect(
      Promise.all([sender.send(email), sender.send({ ...email, messageId: "<evt-2@souk>" })]),
    ).resolves.toEqual([undefined, undefined]);
    await sender.close();
    await expect(sender.send({ ...email, messageId: "<evt-3@souk>" })).resolves.toBeUndefined();
    await sender.close();
    await sender.close();
  });

  it("fails every message while its transport cannot be set up, and still closes", async () => {
    const sender = senderTo("smtp://%zz");
    await expect(sender.send(email)).rejects.toThrow(/Invalid URL/);
    await expect(sender.send(email)).rejects.toThrow(/Invalid URL/);
    await expect(sender.close()).resolves.toBeUndefined();
    // Closed while the set-up is still failing: the message fails, the close does not.
    const sending = sender.send(email);
    await expect(sender.close()).resolves.toBeUndefined();
    await expect(sending).rejects.toThrow(/Invalid URL/);
  });

  it("fails when the SMTP server cannot be reached (the job is retried)", async () => {
    const port = await closedPort();
    const sender = senderTo(`smtp://127.0.0.1:${port}`);
    await expect(sender.send(email)).rejects.toThrow(/ECONNREFUSED/);
    await sender.close();
  });
});
