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
