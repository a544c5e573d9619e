import { decodeEvent, TOPICS, type EventLog, type Subscription } from "@souk/messaging";
import { newId, type Logger } from "@souk/platform";

/** Called with the CloudEvents type of each event about the watched order. */
export type OrderEventListener = (eventType: string) => void;

/**
 * Fans the order events of the event log out to the live streams of this gateway process
 * (`GET /v1/orders/{id}/events`). Every replica must see every event, so each process
 * consumes `souk.orders.v1` in a consumer group of its own (`gateway-live-<uuid>`), from the
 * end: pushes are live, not a history (the stream starts from the order as it is).
 */
export interface OrderStatusHub {
  /** Registers `listener` for `orderId`'s events; returns the function that unregisters it. */
  watch(orderId: string, listener: OrderEventListener): () => void;
  /** Streams currently open (gauge for logs and tests). */
  readonly watchers: () => number;
  start(): Promise<void>;
  stop(): Promise<void>;
}

/** Creates the hub over `eventLog`; `start()` joins the consumer group. */
export function createOrderStatusHub(eventLog: EventLog, logger: Logger): OrderStatusHub {
  const listeners = new Map<string, Set<OrderEventListener>>();
  let subscription: Subscription | undefined;
  let count = 0;
  return {
    watch(orderId, listener) {
      let set = listeners.get(orderId);
      if (set === undefined) listeners.set(orderId, (set = new Set()));
      set.add(listener);
      count++;
      return () => {
        if (set.delete(listener)) count--;
        if (set.size === 0) listeners.delete(orderId);
      };
    },
    watchers: () => count,
    async start() {
      subscription ??= await eventLog.subscribe({
        topics: [TOPICS.orders],
        group: `gateway-live-${newId()}`,
        from: "end",
        async handle(event) {
          const watching = listeners.get(event.subject);
          if (watching === undefined) return;
          // Poison is dead-lettered by the adapter; only well-formed events reach the streams.
          decodeEvent(event);
          for (const listener of watching) listener(event.type);
        },
      });
      logger.info("order status hub is consuming order events");
    },
    async stop() {
      await subscription?.close();
      subscription = undefined;
    },
  };
}
