import { readFile, writeFile } from "node:fs/promises";

/** Linux's list of ports the kernel never hands out as ephemeral (source) ports. */
const RESERVED_PORTS_FILE = "/proc/sys/net/ipv4/ip_local_reserved_ports";

/**
 * Souk's fixed loopback ports that fall inside Linux's ephemeral range (32768–60999 by
 * default): the backing servers' and the distributed topology's gRPC ports (50051–50066,
 * orders' balancer 50060 included) and the services' HTTP metrics ports (gRPC + 1000). An outgoing connection may otherwise take one as its
 * source port, and a server started while that socket lingers in TIME_WAIT fails with
 * EADDRINUSE — seen in practice after a test run opened thousands of PostgreSQL connections.
 */
export function souksFixedPorts(backing: {
  pg: number;
  redis: number;
  nginx: number;
  /** Kafka's broker and controller ports, RabbitMQ's AMQP, distribution and epmd ports. */
  brokers?: readonly number[];
}): string[] {
  const ports = [backing.pg, backing.redis, backing.nginx, ...(backing.brokers ?? [])];
  return ["50051-50066", "51051-51066", ...ports.map(String)];
}

/**
 * Adds `ranges` to the kernel's reserved local ports (net.ipv4.ip_local_reserved_ports), keeping
 * what is there. Needs root on Linux; elsewhere it does nothing and says so.
 * @returns what happened, for the log.
 */
export async function reserveLocalPorts(ranges: readonly string[]): Promise<string> {
  let current: string;
  try {
    current = (await readFile(RESERVED_PORTS_FILE, "utf8")).trim();
  } catch {
    return "ports: no ip_local_reserved_ports here (not Linux); fixed ports are not reserved";
  }
  const wanted = [...new Set([...current.split(",").filter((r) => r !== ""), ...ranges])];
  if (wanted.length === current.split(",").filter((r) => r !== "").length) return "ports: already reserved";
  try {
    await writeFile(RESERVED_PORTS_FILE, wanted.join(","));
    return `ports: reserved ${ranges.join(",")} from the ephemeral range`;
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? "error";
    return `ports: could not reserve ${ranges.join(",")} (${code}); a lingering outgoing connection may hold one`;
  }
}
