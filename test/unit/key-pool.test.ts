import { describe, expect, it } from 'vitest';
import type { KeyPairPem } from '../../src/local/ca.js';
import { KeyPool } from '../../src/local/key-pool.js';

/** A generator the test finishes by hand: each call is a pending promise in `calls`. */
function manualGenerator() {
  let n = 0;
  const calls: Array<{ key: KeyPairPem; resolve: () => void; reject: (e: Error) => void }> = [];
  const generate = () =>
    new Promise<KeyPairPem>((resolve, reject) => {
      const key = { publicKey: `pub${n}`, privateKey: `key${n}` };
      n++;
      calls.push({ key, resolve: () => resolve(key), reject });
    });
  return { calls, generate };
}

const settle = () => new Promise((r) => setImmediate(r));

describe('key pool', () => {
  it('does nothing until asked, then fills to its size one key at a time and hands each key out once', async () => {
    const g = manualGenerator();
    const pool = new KeyPool({ size: 3, generate: g.generate });
    await settle();
    expect(g.calls).toHaveLength(0);

    pool.fill();
    for (let i = 0; i < 3; i++) {
      expect(pool.generating).toBe(1); // background refill uses one thread
      g.calls[i]!.resolve();
      await settle();
    }
    expect(pool.available).toBe(3);
    expect(pool.generating).toBe(0);
    expect(g.calls).toHaveLength(3);

    // a burst is served from the pool at once, and refill starts again
    const got = await Promise.all([pool.take(), pool.take()]);
    expect(got.map((k) => k.privateKey)).toEqual(['key0', 'key1']);
    expect(pool.available).toBe(1);
    expect(pool.generating).toBe(1);
    pool.close();
  });

  it('serves callers beyond the pool from new generations, at most maxInFlight at once, in order', async () => {
    const g = manualGenerator();
    const pool = new KeyPool({ size: 0, generate: g.generate, maxInFlight: 2 });
    const takes = [pool.take(), pool.take(), pool.take()];
    expect(pool.generating).toBe(2);
    g.calls[1]!.resolve(); // finishing out of order still serves the first caller first
    await settle();
    expect(pool.generating).toBe(2);
    g.calls[0]!.resolve();
    g.calls[2]!.resolve();
    const got = await Promise.all(takes);
    expect(got.map((k) => k.privateKey)).toEqual(['key1', 'key0', 'key2']);
    expect(new Set(got.map((k) => k.privateKey)).size).toBe(3);
    expect(pool.available).toBe(0); // size 0: nothing kept
    expect(pool.generating).toBe(0);
  });

  it('a failing generation fails the caller waiting for it; a failing refill stops until the next take', async () => {
    const g = manualGenerator();
    const errors: unknown[] = [];
    const pool = new KeyPool({ size: 2, generate: g.generate, maxInFlight: 2, onError: (e) => errors.push(e) });
    const first = pool.take();
    expect(pool.generating).toBe(2); // one for the caller, one refill
    g.calls[0]!.reject(new Error('no entropy'));
    await expect(first).rejects.toThrow('no entropy');
    await settle();
    expect(g.calls).toHaveLength(2);
    g.calls[1]!.reject(new Error('still none'));
    await settle();
    expect(errors).toHaveLength(1);
    expect(pool.generating).toBe(0); // no retry loop
    const before = g.calls.length;
    const next = pool.take();
    expect(g.calls.length).toBeGreaterThan(before);
    for (const c of g.calls.slice(before)) c.resolve();
    await expect(next).resolves.toMatchObject({ privateKey: `key${before}` });
    pool.close();
  });

  it('close rejects waiting callers, drops pooled keys and refuses new takes', async () => {
    const g = manualGenerator();
    const pool = new KeyPool({ size: 4, generate: g.generate });
    const waiting = pool.take();
    pool.close();
    await expect(waiting).rejects.toThrow('closed');
    await expect(pool.take()).rejects.toThrow('closed');
    for (const c of g.calls) c.resolve();
    await settle();
    expect(pool.available).toBe(0);
  });
});
