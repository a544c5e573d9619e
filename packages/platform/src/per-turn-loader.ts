import DataLoader from "dataloader";

/**
 * A load of one key whose value comes from a batch call shared with every other load made during
 * the same turn of the event loop: the DataLoader pattern (https://github.com/graphql/dataloader)
 * without its cache. The batch runs after the poll phase that delivered the loads (`setImmediate`),
 * so every request whose bytes arrived in that turn shares one call; under load a turn holds
 * many requests, at rest one. Nothing is kept once the call answers: each load sees the data as
 * the callee tells it at that moment.
 *
 * `batch` receives the keys of one turn in load order (a key loaded twice appears twice; at most
 * `maxBatchSize` keys, further keys go into further calls of the same turn) and resolves to one
 * value per key, in the same order; an `Error` in a slot fails that key's load only.
 *
 * Returns `(key) => Promise<value>`.
 * @throws (from a load) its slot's Error, or whatever the batch call threw, to every load in that call.
 */
export function perTurnLoader<K, V>(
  batch: (keys: readonly K[]) => Promise<readonly (V | Error)[]>,
  maxBatchSize: number,
): (key: K) => Promise<V> {
  const loader = new DataLoader<K, V>(batch, {
    cache: false,
    maxBatchSize,
    batchScheduleFn: (run) => {
      setImmediate(run);
    },
  });
  return (key) => loader.load(key);
}

/**
 * Wraps a batch call so that one bad key cannot fail its neighbours: when `batch` throws for more
 * than one key, each key is tried again alone (concurrently; each call's failure becomes that
 * key's `Error` slot). For a batch that applies its keys in one transaction, where any statement's
 * error rolls back all of them: the keys that were fine commit on their own, and the one at fault
 * fails alone (and is retried or dead-lettered by whoever loaded it).
 *
 * Returns a batch call of the same shape, for `perTurnLoader`.
 * @throws whatever `batch` threw, when it was called with one key.
 */
export function retryingKeysAlone<K, V>(
  batch: (keys: readonly K[]) => Promise<readonly (V | Error)[]>,
): (keys: readonly K[]) => Promise<readonly (V | Error)[]> {
  return async (keys) => {
    try {
      return await batch(keys);
    } catch (error) {
      if (keys.length <= 1) throw error;
      return Promise.all(
        keys.map(async (key) => {
          try {
            const [value] = await batch([key]);
            return value as V | Error;
          } catch (alone) {
            return alone instanceof Error ? alone : new Error(String(alone));
          }
        }),
      );
    }
  };
}
