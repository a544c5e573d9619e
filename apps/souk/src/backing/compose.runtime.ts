// The Docker Compose runtime: used instead of daemons started directly when a Docker engine
// answers. deploy/compose/compose.yaml describes the same services on the same loopback ports;
// data lives in the project's named volumes, NGINX's conf.d in the state directory.
import { createHash } from "node:crypto";
import { join } from "node:path";
import type { BackingContext, BackingService, ServiceStatus, StopOutcome } from "./backing-service.ts";
import { run, runChecked } from "./process.runner.ts";

/** How long `docker info` may take before the engine counts as absent. */
const DOCKER_INFO_TIMEOUT_MS = 5000;

/**
 * Whether a Docker engine answers `docker info` within 5 s and the Compose plugin is there
 * (`docker compose version`); false when there is no docker CLI at all.
 */
export async function dockerEngineAnswers(): Promise<boolean> {
  try {
    const options = { timeoutMs: DOCKER_INFO_TIMEOUT_MS };
    const info = await run("docker", ["info", "--format", "{{.ServerVersion}}"], options);
    if (info.code !== 0 || info.stdout.trim() === "") return false;
    return (await run("docker", ["compose", "version"], options)).code === 0;
  } catch {
    return false; // no docker CLI at all
  }
}

/** start / stop / status of every service through one Compose project. */
export interface ComposeRuntime {
  start(): Promise<void>;
  /** `down`: removes the whole project's containers (named volumes are kept). */
  stop(): Promise<StopOutcome>;
  /** Stops and removes only the given services' containers (named volumes are kept). */
  stopServices(): Promise<StopOutcome>;
  status(service: BackingService): Promise<ServiceStatus>;
  /** `nginx -t`, then `nginx -s reload`, inside the nginx container. */
  reloadNginx(): Promise<void>;
}

/**
 * The Compose project of one state directory: `souk-services-<hash of the directory>`, so two
 * state directories (a shared instance and a test's) are two projects that never touch each other.
 */
export function composeRuntime(ctx: BackingContext, services: readonly BackingService[]): ComposeRuntime {
  const project = `souk-services-${createHash("sha256").update(ctx.layout.root).digest("hex").slice(0, 8)}`;
  const composeFile = join(ctx.repoRoot, "deploy", "compose", "compose.yaml");
  const options = {
    timeoutMs: ctx.config.SOUK_SERVICES_TIMEOUT_MS + 30 * 60_000, // the first `up` pulls images
    env: {
      SOUK_SERVICES_DIR: ctx.layout.root,
      SOUK_PG_PORT: String(ctx.config.SOUK_PG_PORT),
      SOUK_REDIS_PORT: String(ctx.config.SOUK_REDIS_PORT),
      SOUK_NGINX_PORT: String(ctx.config.SOUK_NGINX_PORT),
      SOUK_KAFKA_PORT: String(ctx.config.SOUK_KAFKA_PORT),
      SOUK_KAFKA_CONTROLLER_PORT: String(ctx.config.SOUK_KAFKA_CONTROLLER_PORT),
      SOUK_RABBITMQ_PORT: String(ctx.config.SOUK_RABBITMQ_PORT),
    },
  };
  const compose = (...args: string[]) => ["compose", "--file", composeFile, "--project-name", project, ...args];

  return {
    async start() {
      for (const service of services) await service.prepare();
      const waitSeconds = String(Math.ceil(ctx.config.SOUK_SERVICES_TIMEOUT_MS / 1000));
      await ctx.step("compose", `docker compose up (project ${project})`, async () => {
        const names = services.map((service) => service.composeService);
        await runChecked(
          "compose",
          "docker compose up",
          "docker",
          compose("up", "--detach", "--wait", "--wait-timeout", waitSeconds, ...names),
          options,
        );
      });
      for (const service of services) await service.provision();
    },

    async stop() {
      const running = await run("docker", compose("ps", "--quiet"), options);
      if (running.code === 0 && running.stdout.trim() === "") return "not running";
      // `down` removes the containers and keeps the named volumes: data survives a stop.
      await ctx.step("compose", `docker compose down (project ${project})`, async () => {
        await runChecked("compose", "docker compose down", "docker", compose("down"), options);
      });
      return "stopped";
    },

    async stopServices() {
      const names = services.map((service) => service.composeService);
      const running = await run("docker", compose("ps", "--quiet", ...names), options);
      if (running.code === 0 && running.stdout.trim() === "") return "not running";
      await ctx.step("compose", `docker compose rm --stop ${names.join(" ")} (project ${project})`, async () => {
        await runChecked(
          "compose",
          "docker compose rm",
          "docker",
          compose("rm", "--stop", "--force", ...names),
          options,
        );
      });
      return "stopped";
    },

    async reloadNginx() {
      await runChecked(
        "nginx",
        "nginx -t (config test)",
        "docker",
        compose("exec", "nginx", "nginx", "-t", "-q"),
        options,
      );
      await runChecked(
        "nginx",
        "nginx -s reload",
        "docker",
        compose("exec", "nginx", "nginx", "-s", "reload"),
        options,
      );
    },

    async status(service) {
      return (await service.probe())
        ? { up: true, detail: `container ${service.composeService} (project ${project})` }
        : { up: false, detail: `not answering (project ${project})` };
    },
  };
}
