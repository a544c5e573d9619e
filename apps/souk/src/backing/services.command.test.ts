import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { describe, expect, test } from "vitest";
import { REPO_ROOT } from "./backing.config.ts";
import { renderTemplate } from "./nginx.backing.ts";
import { backingServiceUrls, runServicesCommand, SERVICES_USAGE } from "./services.command.ts";

async function services(argv: string[], env: Record<string, string | undefined> = {}) {
  const lines: string[] = [];
  const code = await runServicesCommand(argv, { log: (line) => lines.push(line) }, env);
  return { code, output: lines.join("\n") };
}

describe("backingServiceUrls", () => {
  test("defaults match what start brings up", () => {
    const urls = backingServiceUrls({});
    expect(urls.databaseUrl("orders")).toBe("postgres://souk:souk@127.0.0.1:55432/orders");
    expect(urls.databaseUrl("identity")).toBe("postgres://souk:souk@127.0.0.1:55432/identity");
    expect(urls.redisUrl).toBe("redis://127.0.0.1:56379");
    expect(urls.nginxUrl).toBe("http://127.0.0.1:58080");
  });

  test("ports come from SOUK_PG_PORT, SOUK_REDIS_PORT and SOUK_NGINX_PORT", () => {
    const urls = backingServiceUrls({ SOUK_PG_PORT: "6000", SOUK_REDIS_PORT: "6001", SOUK_NGINX_PORT: "6002" });
    expect(urls.databaseUrl("cart")).toBe("postgres://souk:souk@127.0.0.1:6000/cart");
    expect(urls.redisUrl).toBe("redis://127.0.0.1:6001");
    expect(urls.nginxUrl).toBe("http://127.0.0.1:6002");
  });

  test("a service without a database is an error, not a URL", () => {
    expect(() => backingServiceUrls({}).databaseUrl("gateway")).toThrow(/no database for "gateway"/);
  });

  test("a bad port is named", () => {
    expect(() => backingServiceUrls({ SOUK_PG_PORT: "seventy" })).toThrow(/SOUK_PG_PORT/);
  });
});

describe("runServicesCommand arguments", () => {
  test("--help prints the usage and exits 0", async () => {
    expect(await services(["--help"])).toEqual({ code: 0, output: SERVICES_USAGE });
  });

  test("an unknown command or option exits 2 with the usage", async () => {
    for (const argv of [["restart"], ["--force"], ["start", "stop"]]) {
      const { code, output } = await services(argv);
      expect(code, argv.join(" ")).toBe(2);
      expect(output).toContain("Usage: npm run services");
    }
  });

  test("a bad variable exits 2 naming it", async () => {
    const { code, output } = await services(["status"], { SOUK_SERVICES_RUNTIME: "kubernetes" });
    expect(code).toBe(2);
    expect(output).toContain("SOUK_SERVICES_RUNTIME");
  });
});

describe("NGINX templates in deploy/nginx", () => {
  test("render with every placeholder filled and keep NGINX inside the state directory", async () => {
    const template = await readFile(join(REPO_ROOT, "deploy", "nginx", "nginx.conf.template"), "utf8");
    const conf = renderTemplate(template, { NGINX_DIR: "/state/nginx", LOGS_DIR: "/state/logs" });
    expect(conf).not.toContain("{{");
    expect(conf).toContain('pid "/state/nginx/nginx.pid";');
    expect(conf).toContain('include "/state/nginx/conf.d/*.conf";');
    const paths = [...conf.matchAll(/"(\/[^"]*)"/g)].map((match) => match[1]);
    expect(paths.every((path) => path?.startsWith("/state/"))).toBe(true);
  });

  test("a placeholder without a value is an error", () => {
    expect(() => renderTemplate("listen {{HOST}}:{{PORT}};", { HOST: "127.0.0.1" })).toThrow(/\{\{PORT\}\}/);
  });
});
