import { describe, expect, it } from 'vitest';
import { formatDuration, groupErrors, renderBar } from '../../src/cli/progress-bar.js';
import { formatSummary } from '../../src/cli/summary.js';
import { CLEAN_CALLS, CREATE_CALLS, paceEstimate } from '../../src/provision/estimate.js';
import type { RunSummary } from '../../src/provision/each-thing.js';

describe('create and clean on a terminal (#17 item 10)', () => {
  it('the bar gives the rate so far and the time left at it, once a second has passed', () => {
    expect(renderBar('creating', 3, 0, 10, 10, 900)).toBe('creating [###.......] 3/10');
    expect(renderBar('creating', 400, 5, 100_000, 10, 57_000)).toBe('creating [..........] 405/100000 (5 failed)  7.1/s, 3 h 54 min left');
    expect(renderBar('cleaning', 300, 0, 1000, 10, 10_000)).toBe('cleaning [###.......] 300/1000  30/s, 23 s left');
  });

  it('durations for people', () => {
    expect([0, 59.4, 60, 250, 3600, 10_000].map(formatDuration)).toEqual(['0 s', '59 s', '1 min', '4 min 10 s', '1 h', '2 h 47 min']);
  });

  it('the up-front estimate: the slowest call of a thing at AWS IoT default rates sets the pace', () => {
    expect(paceEstimate(100_000, CREATE_CALLS)).toEqual({ seconds: 10_000, bottleneck: 'CreateKeysAndCertificate', perSec: 10 });
    expect(paceEstimate(600, CLEAN_CALLS).seconds).toBe(60);
    expect(paceEstimate(30, ['A', 'B'], { A: 15, B: 3 })).toEqual({ seconds: 10, bottleneck: 'B', perSec: 3 });
  });

  it('errors held back during the bar come out grouped by error, naming the first things', () => {
    const lines = ['thing_0: thing thing_0 already exists', 'thing_7: thing thing_7 already exists', 'thing_3: AccessDenied', 'thing_8: thing thing_8 already exists', 'thing_9: thing thing_9 already exists'];
    expect(groupErrors(lines)).toEqual(['4 things failed (thing_0, thing_7, thing_8 and 1 more): thing <thing> already exists', '1 thing failed (thing_3): AccessDenied']);
  });

  it("clean's counts say what was removed and what was left alone, and why", () => {
    const s: RunSummary = { requested: 489, succeeded: 484, failed: 0, elapsedMs: 1000, stateDir: 'misc', target: { region: 'us-east-1', local: false } as RunSummary['target'], errors: [], interrupted: false, stats: { calls: 0, retries: 0, throttled: 0 }, skipped: { 'a thing of that name that this fleet did not make': 5 } };
    expect(formatSummary('removed', s).split('\n')).toEqual([
      'removed 484 of 489 things, 5 left alone, 0 failed, in 1.0 s (AWS us-east-1; state in misc)',
      '  5 left alone: a thing of that name that this fleet did not make (what this fleet made under those names was removed)',
    ]);
    expect(formatSummary('removed', { ...s, succeeded: 489, skipped: undefined })).toBe('removed 489 of 489 things, 0 failed, in 1.0 s (AWS us-east-1; state in misc)');
  });
});
