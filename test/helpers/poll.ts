/**
 * Waiting for a condition instead of for the clock: `eventually` checks until the condition holds
 * and fails after a bound that only limits how long a broken test hangs (it never decides a pass).
 */
export interface PollOptions {
  /** give up after this long; default 15 s */
  timeoutMs?: number;
  /** between checks; default 20 ms */
  everyMs?: number;
}

/**
 * Resolves with the first truthy value `check` returns (awaited when it is a promise); rejects after
 * timeoutMs with `what` (a string, or a function that describes the state at that moment).
 */
export async function eventually<T>(check: () => T | Promise<T>, what: string | (() => string), opts: PollOptions = {}): Promise<NonNullable<T>> {
  const timeoutMs = opts.timeoutMs ?? 15_000;
  const everyMs = opts.everyMs ?? 20;
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value) return value as NonNullable<T>;
    if (Date.now() >= deadline) throw new Error(`not within ${timeoutMs} ms: ${typeof what === 'string' ? what : what()}`);
    await new Promise((resolve) => setTimeout(resolve, everyMs));
  }
}
