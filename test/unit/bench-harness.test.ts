import { describe, expect, it } from 'vitest';

// the bench is plain Node ESM (.mjs); loaded untyped
interface Args {
  scenarios: number[];
  quick: boolean;
  lines: number;
  qos: number[];
  fleet: number[];
  standInFleet: number[];
  duration: number;
  megabytes: number;
  things: number;
  out?: string;
  help: boolean;
}
const load = async (p: string): Promise<Record<string, (...a: never[]) => unknown>> => (await import(p)) as Record<string, (...a: never[]) => unknown>;
const argsMod = () => load('../../bench/lib/args.mjs');
const parse = async (argv: string[]) => ((await argsMod()).parseArgs as (a: string[]) => Args)(argv);

describe('bench flags', () => {
  it('defaults to every scenario at the issue sizes', async () => {
    const o = await parse([]);
    expect(o.scenarios).toEqual([1, 2, 3, 4]);
    expect(o.lines).toBe(200_000);
    expect(o.fleet).toEqual([100, 1_000, 10_000]);
    expect(o.standInFleet).toEqual([100, 1_000]);
    expect(o.duration).toBe(60);
    expect(o.megabytes).toBe(1024);
    expect(o.things).toBe(1_000);
  });

  it('--quick shrinks every size, and explicit flags still win', async () => {
    const o = await parse(['--quick', '--scenario', '2,1', '--lines=300']);
    expect(o.quick).toBe(true);
    expect(o.scenarios).toEqual([1, 2]);
    expect(o.lines).toBe(300);
    expect(o.fleet.every((n) => n <= 100)).toBe(true);
    expect(o.duration).toBeLessThan(60);
    expect(o.megabytes).toBeLessThan(1024);
  });

  it('scenarios 5-7 run only when asked for, at the issue sizes or tiny with --quick', async () => {
    const full = (await parse(['--scenario', '5,6,7'])) as Args & Record<string, unknown>;
    expect(full.scenarios).toEqual([5, 6, 7]);
    expect(full).toMatchObject({ s5Things: 20_000, s5Interval: 2, s5Workers: [1, 2], s6Things: 4_000, s6Shards: 4, rulesLines: 200_000 });
    expect((await parse([])).scenarios).toEqual([1, 2, 3, 4]);
    const quick = (await parse(['--quick', '--scenario', '5', '--s5-workers', '1,2,3'])) as Args & Record<string, unknown>;
    expect(quick.s5Things as number).toBeLessThanOrEqual(100);
    expect(quick.s6Things as number).toBeLessThanOrEqual(100);
    expect(quick.s5Workers).toEqual([1, 2, 3]);
  });

  it('scenario 8 (generated traffic) runs when asked for: 100,000 messages and 10,000 things, tiny with --quick', async () => {
    expect(await parse(['--scenario', '8'])).toMatchObject({ scenarios: [8], s8Messages: 100_000, s8Things: 10_000 });
    expect(await parse(['--quick', '--scenario', '8', '--s8-things', '50'])).toMatchObject({ s8Messages: 1_000, s8Things: 50 });
  });

  it('--stand-in-fleet 0 turns the stand-in rows off', async () => {
    expect((await parse(['--stand-in-fleet', '0'])).standInFleet).toEqual([]);
  });

  it.each([
    [['--scenario', '9'], /--scenario: scenarios are 1 to 8/],
    [['--s8-things', '0'], /--s8-things: expected a positive number/],
    [['--s5-workers', '0'], /--s5-workers: worker counts are 1 or more/],
    [['--s6-things', 'x'], /--s6-things: expected a positive number/],
    [['--qos', '2'], /--qos: QoS is 0 or 1/],
    [['--lines', 'many'], /--lines: expected a positive number/],
    [['--fleet'], /--fleet: missing value/],
    [['--fast'], /unknown option --fast/],
  ])('rejects %j with a one-line message naming the flag', async (argv, message) => {
    await expect(parse(argv)).rejects.toThrow(message);
  });
});

describe('bench parsing and verdicts', () => {
  it('lost at QoS 1 is what the broker acknowledged and the subscriber never got (unacknowledged publishes are not)', async () => {
    const { lostOf, normalize } = await load('../../bench/lib/summary.mjs');
    const s = (normalize as (x: unknown) => Record<string, number>)({ connected: 2, allConnectedMs: 5, totals: { scheduled: 10, sent: 10, acked: 8, failed: 0, unacked: 2, late: 0 } });
    expect(s).toMatchObject({ sent: 10, acked: 8, unacked: 2 });
    expect((lostOf as (a: unknown, b: number) => number)(s, 8)).toBe(0);
    expect((lostOf as (a: unknown, b: number) => number)(s, 5)).toBe(3);
  });

  it('S6 counts duplicates, missing and foreign lines against 0..n-1', async () => {
    const { tally } = await load('../../bench/scenarios/s6-shards.mjs');
    expect((tally as (ns: number[], n: number) => unknown)([0, 1, 1, 3, 7], 4)).toEqual({ received: 5, duplicates: 1, missing: 1, foreign: 1 });
  });

  it('reads the create/clean summary line', async () => {
    const { parseProvisionLine } = await load('../../bench/scenarios/s4-provision.mjs');
    expect((parseProvisionLine as (s: string) => unknown)('created 998 of 1000 things, 2 failed, in 104.2 s (local stand-in http://127.0.0.1:1)\n')).toEqual({
      ok: 998,
      requested: 1000,
      failed: 2,
      seconds: 104.2,
    });
    expect((parseProvisionLine as (s: string) => unknown)('nothing to clean in misc')).toBeUndefined();
  });

  it('leaves targets pending on stand-in figures and marks misses of elf figures', async () => {
    const { evaluateTargets } = await load('../../bench/lib/targets.mjs');
    const evaluate = evaluateTargets as (r: unknown) => Array<{ target: string; met?: boolean }>;
    const row = (tool: string, qos: number, msgsPerSec: number, extra = {}) => ({ tool, qos, msgsPerSec, lines: 10, lost: 0, ...extra });
    const s1 = (elfRow: object) => ({
      scenarios: {
        1: { rows: [elfRow, row('mosquitto_pub -l', 0, 1000), row('MQTT.js CLI (mqtt pub -s -M)', 1, 100), row('MQTT.js CLI (mqtt pub -s -M)', 0, 100)] },
      },
    });
    const standIn = evaluate(s1(row('device SDK direct', 0, 5000, { elf: true, standIn: true })));
    expect(standIn.find((t) => t.target.startsWith('S1 QoS 0'))?.met).toBeUndefined();
    const slow = evaluate(s1(row('elf send --interval 0', 0, 900, { elf: true })));
    expect(slow.find((t) => t.target.startsWith('S1 QoS 0'))?.met).toBe(false);
    const fast = evaluate(s1(row('elf send --interval 0', 0, 1000, { elf: true })));
    expect(fast.find((t) => t.target.startsWith('S1 QoS 0'))?.met).toBe(true);
  });
});
