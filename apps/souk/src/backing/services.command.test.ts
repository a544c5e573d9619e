import { readFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, test } from "vitest";
import { REPO_ROOT } from "./backing.config.ts";
import { newClusterId } from "./kafka.backing.ts";
import { renderTemplate } from "./nginx.backing.ts";
import { BACKING_SERVICE_NAMES, backingServiceUrls, runServicesCommand, SERVICES_USAGE } from "./services.command.ts";

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
    expect(urls.kafkaBrokers).toBe("127.0.0.1:59092");
    expect(urls.rabbitmqUrl).toBe("amqp://souk:souk@127.0.0.1:55672/souk");
  });

  test("ports come from SOUK_PG_PORT, SOUK_REDIS_PORT, SOUK_NGINX_PORT, SOUK_KAFKA_PORT and SOUK_RABBITMQ_PORT", () => {
    const urls = backingServiceUrls({
      SOUK_PG_PORT: "6000",
      SOUK_REDIS_PORT: "6001",
      SOUK_NGINX_PORT: "6002",
      SOUK_KAFKA_PORT: "6003",
      SOUK_RABBITMQ_PORT: "6004",
    });
    expect(urls.databaseUrl("cart")).toBe("postgres://souk:souk@127.0.0.1:6000/cart");
    expect(urls.redisUrl).toBe("redis://127.0.0.1:6001");
    expect(urls.nginxUrl).toBe("http://127.0.0.1:6002");
    expect(urls.kafkaBrokers).toBe("127.0.0.1:6003");
    expect(urls.rabbitmqUrl).toBe("amqp://souk:souk@127.0.0.1:6004/souk");
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
    for (const argv of [["reload"], ["--force"], ["start", "stop"], ["restart", "kafka", "rabbitmq"]]) {
      const { code, output } = await services(argv);
      expect(code, argv.join(" ")).toBe(2);
      expect(output).toContain("Usage: npm run services");
    }
  });

  test("an unknown service name exits 2 naming the known ones", async () => {
    const { code, output } = await services(["restart", "mysql"]);
    expect(code).toBe(2);
    expect(output).toContain('unknown service "mysql": expected one of postgres, redis, nginx, kafka, rabbitmq');
  });

  test("status lists every service of BACKING_SERVICE_NAMES, in that order, and says down", async () => {
    const dir = join(tmpdir(), `souk-services-status-test-${process.pid}`);
    const ports = [
      "SOUK_PG_PORT",
      "SOUK_REDIS_PORT",
      "SOUK_NGINX_PORT",
      "SOUK_KAFKA_PORT",
      "SOUK_KAFKA_CONTROLLER_PORT",
    ];
    const env: Record<string, string> = { SOUK_SERVICES_DIR: dir, SOUK_SERVICES_RUNTIME: "local" };
    [...ports, "SOUK_RABBITMQ_PORT", "SOUK_RABBITMQ_DIST_PORT", "SOUK_RABBITMQ_EPMD_PORT"].forEach((name, index) => {
      env[name] = String(61_001 + index); // above Linux's ephemeral range: nothing listens there
    });
    const { code, output } = await services(["status"], env);
    expect(code, output).toBe(3);
    const listed = output
      .split("\n")
      .slice(1)
      .map((line) => line.trim().split(/\s+/)[0]);
    expect(listed).toEqual([...BACKING_SERVICE_NAMES]);
    expect(output.match(/\s+down\s+/g)?.length, output).toBe(BACKING_SERVICE_NAMES.length);
  }, 30_000);

  test("the usage names every service and every variable", () => {
    for (const name of BACKING_SERVICE_NAMES) expect(SERVICES_USAGE).toContain(name);
    expect(SERVICES_USAGE).toContain("restart");
    for (const variable of ["SOUK_KAFKA_PORT", "SOUK_KAFKA_CONTROLLER_PORT", "SOUK_RABBITMQ_PORT"]) {
      expect(SERVICES_USAGE).toContain(variable);
    }
    for (const variable of ["SOUK_RABBITMQ_DIST_PORT", "SOUK_RABBITMQ_EPMD_PORT"]) {
      expect(SERVICES_USAGE).toContain(variable);
    }
  });

  test("a bad variable exits 2 naming it", async () => {
    const { code, output } = await services(["status"], { SOUK_SERVICES_RUNTIME: "kubernetes" });
    expect(code).toBe(2);
    expect(output).toContain("SOUK_SERVICES_RUNTIME");
  });
});

describe("Kafka cluster ids", () => {
  test("are 16 random bytes in URL-safe base64, never starting with a dash", () => {
    const ids = Array.from({ length: 200 }, () => newClusterId());
    for (const id of ids) {
      expect(id).toMatch(/^[A-Za-z0-9_][A-Za-z0-9_-]{21}$/);
      expect(Buffer.from(id, "base64url")).toHaveLength(16);
    }
    expect(new Set(ids).size).toBe(ids.length);
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
