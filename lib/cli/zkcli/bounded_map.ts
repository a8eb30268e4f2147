/**
 * mapBounded: one request per item with at most `inFlightMax` outstanding, results in item
 * order. The subtree commands (tree, export, import) use it so a large subtree neither waits a
 * round trip per node nor queues a request per node in memory at once.
 */

export async function mapBounded<T, R>(
  items: readonly T[],
  inFlightMax: number,
  fn: (item: T, index: number) => Promise<R>,
  signal?: AbortSignal,
): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  // After the first failure the other workers stop taking items (their current one finishes).
  let failed = false;
  const worker = async () => {
    while (next < items.length && !failed) {
      signal?.throwIfAborted();
      const i = next++;
      try {
        results[i] = await fn(items[i], i);
      } catch (e) {
        failed = true;
        throw e;
      }
    }
  };
  const workers = [];
  for (let w = 0; w < Math.min(inFlightMax, items.length); w++) workers.push(worker());
  await Promise.all(workers);
  return results;
}
