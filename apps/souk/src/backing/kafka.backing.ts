// Apache Kafka: one KRaft node (broker and controller in one JVM) on 127.0.0.1, data in
// <state>/kafka/data. No Kafka tarball is downloaded: the broker runs from Apache Kafka's own
// artefacts on Maven Central (kafka_2.13 and its dependencies), resolved once by Maven into its
// local repository; the resulting classpath is cached per Kafka version, and so is a class data
// sharing archive of the broker's classes (written when a broker first exits cleanly), which
// halves the JVM's start-up work afterwards.
import { createHash, randomBytes } from "node:crypto";
import { access, appendFile, mkdir, readdir, readFile, realpath, rename, rm, stat, writeFile } from "node:fs/promises";
import { homedir } from "node:os";
import { join } from "node:path";
import { LOOPBACK } from "./backing.config.ts";
import { ServicesError, type BackingContext, type BackingService, type ServiceStatus } from "./backing-service.ts";
import {
  failureWithLog,
  findExecutable,
  isProcessAlive,
  lastLines,
  readPidFile,
  requireFreePort,
  run,
  runChecked,
  spawnDaemon,
  waitForDaemon,
  waitUntil,
} from "./process.runner.ts";

const NAME = "kafka";

/**
 * The Kafka version the broker runs: the newest release in the range @platformatic/kafka is
 * tested against (3.5.0–4.2.x), on Java 17 (Kafka 4 brokers need 17 or later).
 */
export const KAFKA_VERSION = "4.2.2";
/** The Log4j 2 version Kafka 4.2.2 depends on; its SLF4J binding is added so the broker logs. */
const LOG4J_VERSION = "2.25.5";
/** Resolves the classpath without building anything (works with Debian 12's Maven 3.8). */
const DEPENDENCY_PLUGIN = "org.apache.maven.plugins:maven-dependency-plugin:3.8.1";
/** A fresh machine downloads about 45 jars (~35 MB) from Maven Central. */
const MAVEN_TIMEOUT_MS = 20 * 60_000;
/** Small-machine heap: a development broker holds a few topics. */
const HEAP = ["-Xms256m", "-Xmx512m"];
/** The node id of the single KRaft voter. */
const NODE_ID = 1;

/**
 * The Kafka backing service. Local runtime: `fetch` resolves the classpath (Maven, first run
 * only); `start` writes server.properties, formats the data directory on the first start (the
 * equivalent of `kafka-storage.sh format`), runs `java … kafka.Kafka server.properties` as a
 * daemon and waits until the broker answers a metadata request. Stop is SIGTERM (a controlled
 * shutdown: logs flushed, clean-shutdown marker written), waiting for the JVM to exit.
 */
export function kafkaService(ctx: BackingContext): BackingService {
  const { layout, config } = ctx;
  const port = config.SOUK_KAFKA_PORT;
  const controllerPort = config.SOUK_KAFKA_CONTROLLER_PORT;
  const dataDir = join(layout.kafka, "data");
  const serverProperties = join(layout.kafka, "server.properties");
  const log4jConfig = join(layout.kafka, "log4j2.properties");
  const pidFile = join(layout.kafka, "kafka.pid");
  /** Names the CDS archive this state directory's broker writes when it exits, until it is kept. */
  const pendingArchiveFile = join(layout.kafka, "cds-archive-pending");
  const logFile = join(layout.logs, "kafka.log");
  const mavenLog = join(layout.logs, "kafka-maven.log");
  const timeoutMs = config.SOUK_SERVICES_TIMEOUT_MS;
  /** A virtual machine booting on a busy two-core machine may need more than the default minute. */
  const bootTimeoutMs = Math.max(timeoutMs, 120_000);
  const brokers = `${LOOPBACK}:${port}`;
  /** Our JVM's command line contains this, and no other program's does. */
  const commandMark = `kafka.Kafka ${serverProperties}`;

  async function runningPid(): Promise<number | undefined> {
    const pid = await readPidFile(pidFile);
    return pid !== undefined && (await isProcessAlive(pid, commandMark)) ? pid : undefined;
  }

  const probe = () => kafkaAnswers(brokers);

  async function requireJava(): Promise<string> {
    const java = await javaExecutable();
    if (java === undefined) throw new ServicesError(NAME, "java not found (Debian package openjdk-17-jre-headless)");
    return java;
  }

  /** The cached classpath; resolves it with Maven first when missing or stale. */
  async function classpath(): Promise<string> {
    const cached = await cachedClasspath();
    if (cached !== undefined) return cached;
    await resolveClasspath();
    const resolved = await cachedClasspath();
    if (resolved === undefined) {
      throw new ServicesError(NAME, `Maven ran, but ${classpathFile()} does not list existing jars`, mavenLog);
    }
    return resolved;
  }

  /** `mvn dependency:build-classpath` on a generated pom; the jars land in Maven's local repository. */
  async function resolveClasspath(): Promise<void> {
    const mvn = await findExecutable("mvn");
    if (mvn === undefined) throw new ServicesError(NAME, "mvn not found (Debian package maven)");
    await mkdir(layout.logs, { recursive: true });
    const dir = cacheDir();
    await mkdir(dir, { recursive: true });
    // An archive made against another classpath would be refused (with a warning) by the JVM.
    const archives = (await readdir(dir)).filter((file) => file.startsWith(ARCHIVE_PREFIX));
    for (const file of archives) await rm(join(dir, file), { force: true });
    const pom = join(dir, "pom.xml");
    await writeFile(pom, brokerPom());
    // Written next to the final file, then renamed: a concurrent run never reads half a list.
    const partial = `${classpathFile()}.${process.pid}.partial`;
    await ctx.step(NAME, `Maven: kafka_2.13 ${KAFKA_VERSION} and its dependencies (first run only)`, async () => {
      const args = [
        "--batch-mode",
        "--no-transfer-progress",
        "--file",
        pom,
        `${DEPENDENCY_PLUGIN}:build-classpath`,
        `-Dmdep.outputFile=${partial}`,
        "-Dmdep.includeScope=runtime",
      ];
      const result = await run(mvn, args, { timeoutMs: MAVEN_TIMEOUT_MS, cwd: dir }).catch((error: unknown) => {
        throw new ServicesError(NAME, `cannot run mvn: ${error instanceof Error ? error.message : String(error)}`);
      });
      await appendFile(mavenLog, `$ mvn ${args.join(" ")}\n${result.stdout}${result.stderr}\n`);
      if (result.code !== 0) {
        const status = result.timedOut ? `timed out after ${MAVEN_TIMEOUT_MS} ms` : `exit code ${result.code}`;
        const output = lastLines(
          result.stdout
            .split("\n")
            .filter((line) => line.includes("ERROR"))
            .join("\n"),
          8,
        );
        throw new ServicesError(NAME, `mvn dependency:build-classpath failed (${status}):\n${output}`, mavenLog);
      }
      await rename(partial, classpathFile());
    });
  }

  /** server.properties and the Log4j 2 config, rewritten on every start. */
  async function prepareLocal(): Promise<void> {
    await mkdir(dataDir, { recursive: true });
    await mkdir(layout.logs, { recursive: true });
    const settings = {
      "process.roles": "broker,controller",
      "node.id": String(NODE_ID),
      "controller.quorum.voters": `${NODE_ID}@${LOOPBACK}:${controllerPort}`,
      listeners: `PLAINTEXT://${LOOPBACK}:${port},CONTROLLER://${LOOPBACK}:${controllerPort}`,
      "advertised.listeners": `PLAINTEXT://${LOOPBACK}:${port}`,
      "listener.security.protocol.map": "PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT",
      "controller.listener.names": "CONTROLLER",
      "inter.broker.listener.name": "PLAINTEXT",
      "log.dirs": dataDir,
      // Topics are created by the services that own them (partition counts chosen on purpose);
      // a typo in a topic name fails instead of creating a new topic.
      "auto.create.topics.enable": "false",
      "num.partitions": "6",
      // One node: every replication factor and ISR minimum is 1.
      "default.replication.factor": "1",
      "min.insync.replicas": "1",
      "offsets.topic.replication.factor": "1",
      "offsets.topic.num.partitions": "10",
      "transaction.state.log.replication.factor": "1",
      "transaction.state.log.min.isr": "1",
      "transaction.state.log.num.partitions": "10",
      "share.coordinator.state.topic.replication.factor": "1",
      "share.coordinator.state.topic.min.isr": "1",
      // Consumers join a group at once (tests and restarts), not after the default 3 s.
      "group.initial.rebalance.delay.ms": "0",
      // Sized for a small machine (two cores).
      "num.network.threads": "2",
      "num.io.threads": "4",
      "num.recovery.threads.per.data.dir": "1",
    };
    const escape = (value: string) => value.replaceAll("\\", "\\\\").replaceAll("\n", "\\n");
    const lines = [
      "# Written by `npm run services` on every start: change SOUK_KAFKA_PORT, SOUK_KAFKA_CONTROLLER_PORT",
      "# or SOUK_SERVICES_DIR instead.",
      ...Object.entries(settings).map(([key, value]) => `${key}=${escape(value)}`),
      "",
    ];
    await writeFile(serverProperties, lines.join("\n"));
    await writeFile(
      log4jConfig,
      [
        "# Written by `npm run services`: the broker logs to stdout, which goes to logs/kafka.log.",
        "rootLogger.level = INFO",
        "rootLogger.appenderRef.stdout.ref = STDOUT",
        "appender.stdout.type = Console",
        "appender.stdout.name = STDOUT",
        "appender.stdout.layout.type = PatternLayout",
        "appender.stdout.layout.pattern = [%d] %p %m (%c)%n",
        // Every start dumps each config object (thousands of lines): server.properties says it.
        "logger.config.name = org.apache.kafka.common.config.AbstractConfig",
        "logger.config.level = WARN",
        "logger.request.name = kafka.request.logger",
        "logger.request.level = WARN",
        "",
      ].join("\n"),
    );
  }

  /** `kafka-storage.sh format`: writes meta.properties and the bootstrap metadata into log.dirs. */
  async function format(java: string, cp: string): Promise<void> {
    const args = [
      "-Xmx256m",
      // A short-lived tool: skip the optimizing compiler, start faster.
      "-XX:TieredStopAtLevel=1",
      "-XX:+UseSerialGC",
      `-Dlog4j2.configurationFile=${log4jConfig}`,
      "-cp",
      cp,
      "kafka.tools.StorageTool",
      "format",
      "--config",
      serverProperties,
      "--cluster-id",
      newClusterId(),
    ];
    await runChecked(NAME, "kafka-storage format", java, args, {
      timeoutMs: bootTimeoutMs,
      cwd: layout.kafka,
      logFile,
    });
  }

  /**
   * The JVM flags of class data sharing: use the cached archive of the broker's classes, or, when
   * there is none yet, record one that the JVM writes when it exits (`keepArchive` then moves it
   * into place). A damaged or stale archive is refused by the JVM, which then starts without it.
   */
  async function archiveFlags(java: string): Promise<string[]> {
    await keepArchive();
    const archive = await archiveFile(java);
    if (await exists(archive)) return [`-XX:SharedArchiveFile=${archive}`];
    const partial = `${archive}.${randomBytes(6).toString("hex")}.partial`;
    await writeFile(pendingArchiveFile, `${partial}\n`);
    return [`-XX:ArchiveClassesAtExit=${partial}`];
  }

  /** Moves the archive a stopped broker wrote into the cache (once its JVM exited). */
  async function keepArchive(): Promise<void> {
    let partial: string;
    try {
      partial = (await readFile(pendingArchiveFile, "utf8")).trim();
    } catch {
      return; // no archive pending
    }
    await rm(pendingArchiveFile, { force: true });
    const size = await stat(partial).then(
      (info) => info.size,
      () => 0,
    );
    // The archive only speeds starts up: failing to keep it never fails a start or a stop.
    if (size > 0) await rename(partial, partial.replace(/\.[0-9a-f]+\.partial$/, "")).catch(() => undefined);
    await rm(partial, { force: true });
  }

  return {
    name: NAME,
    composeService: "kafka",
    url: brokers,

    async missingPackages() {
      const missing: string[] = [];
      if ((await javaExecutable()) === undefined) missing.push("openjdk-17-jre-headless");
      // Maven is needed only until the classpath is cached.
      if ((await cachedClasspath()) === undefined && (await findExecutable("mvn")) === undefined) missing.push("maven");
      return missing;
    },

    async fetch() {
      await classpath();
    },

    async prepare() {
      // Nothing shared with the Compose runtime: there the data lives in a named volume.
    },

    async start() {
      const java = await requireJava();
      if ((await runningPid()) !== undefined) {
        if (!(await waitUntil(probe, timeoutMs, 250))) {
          throw await failureWithLog(NAME, `running but not answering a metadata request on ${brokers}`, logFile);
        }
        return "already running";
      }
      if (await probe()) {
        throw new ServicesError(
          NAME,
          `${brokers} already answers as a Kafka broker, but not from ${layout.kafka} (another broker? set SOUK_KAFKA_PORT)`,
        );
      }
      await requireFreePort(NAME, port, "SOUK_KAFKA_PORT");
      await requireFreePort(NAME, controllerPort, "SOUK_KAFKA_CONTROLLER_PORT");
      const cp = await classpath();
      await prepareLocal();
      if (!(await exists(join(dataDir, "meta.properties")))) {
        await ctx.step(NAME, `format ${dataDir} (KRaft, first start)`, () => format(java, cp));
      }
      await ctx.step(NAME, `kafka ${KAFKA_VERSION} (KRaft) on ${brokers}, controller :${controllerPort}`, async () => {
        const args = [
          ...HEAP,
          // The flags of Kafka's own kafka-run-class.sh.
          "-XX:+UseG1GC",
          "-XX:MaxGCPauseMillis=20",
          "-XX:InitiatingHeapOccupancyPercent=35",
          "-XX:+ExplicitGCInvokesConcurrent",
          "-XX:+ExitOnOutOfMemoryError",
          "-Djava.awt.headless=true",
          `-Dlog4j2.configurationFile=${log4jConfig}`,
          `-Dkafka.logs.dir=${layout.logs}`,
          ...(await archiveFlags(java)),
          "-cp",
          cp,
          "kafka.Kafka",
          serverProperties,
        ];
        const pid = await spawnDaemon(NAME, java, args, { cwd: layout.kafka, logFile, pidFile });
        const outcome = await waitForDaemon(pid, commandMark, probe, bootTimeoutMs, 250);
        if (outcome === "exited") throw await failureWithLog(NAME, `the broker (pid ${pid}) exited on start`, logFile);
        if (outcome === "timeout") {
          throw await failureWithLog(NAME, `started but not answering a metadata request on ${brokers}`, logFile);
        }
      });
      return "started";
    },

    async provision() {
      // Nothing to create: each service creates its own topics (auto.create.topics.enable=false).
    },

    async stop() {
      const pid = await runningPid();
      if (pid === undefined) return "not running";
      const archiving = await exists(pendingArchiveFile);
      const label = `controlled shutdown (SIGTERM to the broker)${archiving ? "; the JVM writes its CDS archive" : ""}`;
      await ctx.step(NAME, label, async () => {
        process.kill(pid, "SIGTERM");
        // The first clean exit also writes the CDS archive (seconds more on a busy machine).
        if (!(await waitUntil(async () => !(await isProcessAlive(pid, commandMark)), bootTimeoutMs))) {
          throw await failureWithLog(NAME, `pid ${pid} still runs ${bootTimeoutMs} ms after SIGTERM`, logFile);
        }
        await keepArchive();
      });
      return "stopped";
    },

    async status(): Promise<ServiceStatus> {
      if ((await javaExecutable()) === undefined) return { up: false, detail: "java not installed" };
      const pid = await runningPid();
      if (pid === undefined) {
        const formatted = await exists(join(dataDir, "meta.properties"));
        return { up: false, detail: formatted ? "not running" : "not initialized" };
      }
      return (await probe())
        ? { up: true, detail: `pid ${pid}; Kafka ${KAFKA_VERSION}, KRaft; data ${dataDir}` }
        : { up: false, detail: `pid ${pid} runs but does not answer a metadata request (log: ${logFile})` };
    },

    probe,
  };
}

/**
 * Whether a Kafka broker at `brokers` (`host:port`) answers a metadata request listing at least
 * one broker, within about two seconds. Never rejects.
 */
export async function kafkaAnswers(brokers: string): Promise<boolean> {
  // Loaded on first use: `services status` of the other services does not pay for the client.
  const { Admin } = await import("@platformatic/kafka");
  const admin = new Admin({
    clientId: "souk-services-probe",
    bootstrapBrokers: [brokers],
    retries: 0,
    connectTimeout: 1000,
    requestTimeout: 2000,
  });
  try {
    const metadata = await admin.metadata({ topics: [] });
    return metadata.brokers.size > 0;
  } catch {
    return false; // refused, timed out, or not a broker yet: not ready
  } finally {
    await admin.close().catch(() => {});
  }
}

/** `$JAVA_HOME/bin/java` when JAVA_HOME is set, else `java` on PATH; undefined when missing. */
async function javaExecutable(): Promise<string | undefined> {
  const home = process.env["JAVA_HOME"];
  return findExecutable("java", home === undefined || home === "" ? [] : [join(home, "bin")]);
}

/** Where the generated pom and the resolved classpath of this Kafka version live (per user, not per state directory). */
function cacheDir(): string {
  const base = process.env["XDG_CACHE_HOME"];
  return join(base === undefined || base === "" ? join(homedir(), ".cache") : base, "souk", `kafka-${KAFKA_VERSION}`);
}

function classpathFile(): string {
  return join(cacheDir(), "classpath.txt");
}

const ARCHIVE_PREFIX = "kafka-broker-";

/**
 * The class data sharing archive of the broker's classes: a dynamic archive on top of the JDK's
 * own, so it is named after the JVM binary (its real path and modification time) — another or
 * an upgraded JDK makes a new one instead of refusing the old one at every start.
 */
async function archiveFile(java: string): Promise<string> {
  const binary = await realpath(java);
  const { mtimeMs } = await stat(binary);
  const key = createHash("sha256").update(`${binary}\0${mtimeMs}`).digest("hex").slice(0, 12);
  return join(cacheDir(), `${ARCHIVE_PREFIX}${key}.jsa`);
}

/** The cached classpath when every jar it lists still exists (Maven's repository may have been cleaned). */
async function cachedClasspath(): Promise<string | undefined> {
  let text: string;
  try {
    text = (await readFile(classpathFile(), "utf8")).trim();
  } catch {
    return undefined; // never resolved on this machine
  }
  const jars = text.split(":").filter((jar) => jar !== "");
  if (!jars.some((jar) => jar.includes(`kafka_2.13-${KAFKA_VERSION}.jar`))) return undefined;
  const present = await Promise.all(jars.map(exists));
  return present.every(Boolean) ? jars.join(":") : undefined;
}

/** A pom whose runtime dependencies are exactly the broker's classpath. */
function brokerPom(): string {
  const dependency = (group: string, artifact: string, version: string) =>
    `    <dependency><groupId>${group}</groupId><artifactId>${artifact}</artifactId><version>${version}</version></dependency>`;
  return [
    `<?xml version="1.0" encoding="UTF-8"?>`,
    `<!-- Generated by \`npm run services\`: the classpath of a Kafka ${KAFKA_VERSION} broker. -->`,
    `<project xmlns="http://maven.apache.org/POM/4.0.0">`,
    `  <modelVersion>4.0.0</modelVersion>`,
    `  <groupId>dev.souk.services</groupId>`,
    `  <artifactId>kafka-broker-classpath</artifactId>`,
    `  <version>${KAFKA_VERSION}</version>`,
    `  <packaging>pom</packaging>`,
    `  <dependencies>`,
    dependency("org.apache.kafka", "kafka_2.13", KAFKA_VERSION),
    // Kafka logs through SLF4J 1.7; its distribution ships this binding to Log4j 2.
    dependency("org.apache.logging.log4j", "log4j-slf4j-impl", LOG4J_VERSION),
    `  </dependencies>`,
    `</project>`,
    ``,
  ].join("\n");
}

/**
 * A new KRaft cluster id, as `kafka-storage.sh random-uuid` makes one (16 random bytes,
 * URL-safe base64 without padding; never starting with "-", which a command line would misread).
 */
export function newClusterId(): string {
  for (;;) {
    const id = randomBytes(16).toString("base64url");
    if (!id.startsWith("-")) return id;
  }
}

async function exists(path: string): Promise<boolean> {
  try {
    await access(path);
    return true;
  } catch {
    return false; // absent (or unreadable, which reads the same to the caller)
  }
}
