import { mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { FaultInjector } from '../../src/local/faults.js';
import { CoalescingWriter } from '../../src/local/store.js';
import { writeFileAtomic } from '../../src/util/atomic-write.js';
import { TokenBuckets } from '../../src/local/throttle.js';
import { regionFromAuthorization } from '../../src/local/api.js';

describe('TokenBuckets', () => {
  it('allows a burst of one second’s worth, then the rate', () => {
    let now = 0;
    const b = new TokenBuckets({ Op: 10 }, () => now);
    let ok = 0;
    for (let i = 0; i < 20; i++) if (b.take('Op')) ok++;
    expect(ok).toBe(10);
    now += 500; // half a second refills 5
    ok = 0;
    for (let i = 0; i < 20; i++) if (b.take('Op')) ok++;
    expect(ok).toBe(5);
    expect(b.take('Unlisted')).toBe(true);
    now += 10_000; // never more than the burst
    ok = 0;
    for (let i = 0; i < 20; i++) if (b.take('Op')) ok++;
    expect(ok).toBe(10);
  });
});

describe('FaultInjector', () => {
  it('is repeatable for a seed and hits about the given share', () => {
    const seq = (seed: number) => {
      const f = new FaultInjector(0.3, seed);
      return Array.from({ length: 1000 }, () => f.next());
    };
    const a = seq(7);
    expect(seq(7)).toEqual(a);
    const hits = a.filter(Boolean).length;
    expect(hits).toBeGreaterThan(240);
    expect(hits).toBeLessThan(360);
    expect(new Set(a.filter(Boolean))).toEqual(new Set(['ThrottlingException', 'InternalFailureException', 'ServiceUnavailableException']));
    const none = new FaultInjector(0, 1);
    expect(Array.from({ length: 100 }, () => none.next()).filter(Boolean)).toHaveLength(0);
  });
});

describe('CoalescingWriter + writeFileAtomic', () => {
  it('coalesces concurrent saves into few writes and leaves the last state on disk, no temp files', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'elf-store-'));
    try {
      const file = path.join(dir, 'registry.json');
      let value = 0;
      const w = new CoalescingWriter(() => writeFileAtomic(file, JSON.stringify({ value })));
      const saves: Promise<void>[] = [];
      for (let i = 0; i < 100; i++) {
        value = i;
        saves.push(w.save());
      }
      await Promise.all(saves);
      expect(JSON.parse(await readFile(file, 'utf8'))).toEqual({ value: 99 });
      expect(w.writes).toBeLessThanOrEqual(2);
      expect(await readdir(dir)).toEqual(['registry.json']);
      // each save resolves only after a write that includes it
      value = 100;
      await w.save();
      expect(JSON.parse(await readFile(file, 'utf8'))).toEqual({ value: 100 });
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('regionFromAuthorization', () => {
  it('reads the region of the SigV4 credential scope', () => {
    expect(regionFromAuthorization('AWS4-HMAC-SHA256 Credential=AKID/20240101/eu-central-1/iot/aws4_request, SignedHeaders=host, Signature=abc')).toBe('eu-central-1');
    expect(regionFromAuthorization(undefined)).toBeUndefined();
    expect(regionFromAuthorization('Bearer x')).toBeUndefined();
  });
});
