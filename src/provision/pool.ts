/**
 * Runs `work` over `items` with at most `concurrency` in flight. `shouldStop` is checked before
 * each new item (a fatal error or Ctrl-C stops new work; what is in flight finishes).
 */
export async function runPool<T>(items: readonly T[], concurrency: number, work: (item: T) => Promise<void>, shouldStop: () => boolean = () => false): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < items.length && !shouldStop()) {
      const item = items[next++]!;
      await work(item);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(concurrency, items.length)) }, worker));
}
