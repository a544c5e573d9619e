// Signed-in customers lent to one operation at a time: a cart or a checkout belongs to one
// shopper, so two operations never work on the same cart at once. When every customer is busy,
// operations queue (first come, first served) — and the wait counts in their latency.

/** A pool of customers; `acquire` waits for a free one. */
export interface CustomerPool<C> {
  /**
   * The next free customer (FIFO among waiters).
   * @throws the signal's reason (an AbortError) when `signal` aborts first.
   */
  acquire(signal: AbortSignal): Promise<C>;
  /** Gives a customer back (to the longest waiter, if any). */
  release(customer: C): void;
  /** Customers free right now. */
  readonly idle: number;
  /** Operations waiting for a customer right now. */
  readonly waiting: number;
  /** Every customer, busy or not (e.g. to refresh their tokens). */
  readonly all: readonly C[];
}

/** Creates a pool lending `customers`; throws on an empty list. */
export function createCustomerPool<C>(customers: readonly C[]): CustomerPool<C> {
  if (customers.length === 0) throw new Error("a customer pool needs at least one customer");
  const free: C[] = [...customers];
  const waiters: { resolve: (customer: C) => void; signal: AbortSignal; onAbort: () => void }[] = [];
  return {
    acquire(signal) {
      if (signal.aborted) return Promise.reject(abortReason(signal));
      const customer = free.shift();
      if (customer !== undefined) return Promise.resolve(customer);
      return new Promise<C>((resolve, reject) => {
        const waiter = {
          resolve: (c: C) => {
            signal.removeEventListener("abort", waiter.onAbort);
            resolve(c);
          },
          signal,
          onAbort: () => {
            const at = waiters.indexOf(waiter);
            if (at >= 0) waiters.splice(at, 1);
            reject(abortReason(signal));
          },
        };
        signal.addEventListener("abort", waiter.onAbort, { once: true });
        waiters.push(waiter);
      });
    },
    release(customer) {
      const waiter = waiters.shift();
      if (waiter === undefined) free.push(customer);
      else waiter.resolve(customer);
    },
    get idle() {
      return free.length;
    },
    get waiting() {
      return waiters.length;
    },
    all: customers,
  };
}

function abortReason(signal: AbortSignal): Error {
  return signal.reason instanceof Error ? signal.reason : new DOMException("aborted", "AbortError");
}
