import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pino } from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { commandContext } from '../../src/cli/context.js';
import type { FleetState } from '../../src/fleet/types.js';
import type { Probe, ResolveDeps } from '../../src/target/target.js';

const STAND_IN = 'http://127.0.0.1:4580';
const standIn: Probe = { kind: 'stand-in', info: { standIn: 'elf', region: 'us-east-1', account: '000000000000', mqtt: { host: '127.0.0.1', port: 8883 }, caPem: 'PEM' } };

let dir: string;
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'elf-ctx-'));
});
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

function writeFleet(things: string[], target: FleetState['target']): void {
  const state: FleetState = { version: 1, target, prefix: 'thing_', topicRoot: 'elf', things: things.map((name) => ({ name })) };
  fs.writeFileSync(path.join(dir, 'things.json'), JSON.stringify(state));
}

/** A context over `dir` whose probe and credential chain answer from fixed facts and count the questions. */
function context(flags: { endpointUrl?: string; region?: string } = {}, probes: Record<string, Probe> = { [STAND_IN]: standIn }) {
  const asked: string[] = [];
  const lines: string[] = [];
  const log = pino({ level: 'info', base: undefined }, { write: (line: string) => lines.push(JSON.parse(line).msg) });
  const resolve: ResolveDeps = {
    probe: async (url) => {
      asked.push(`probe ${url}`);
      return probes[url] ?? { kind: 'unreachable', reason: 'ECONNREFUSED' };
    },
    chain: async () => {
      asked.push('chain');
      return { found: false };
    },
  };
  const ctx = commandContext({ stateDir: dir, ...flags }, { env: {}, log, resolve });
  return { ctx, asked, lines };
}

describe('the CLI context step', () => {
  it('reads the fleet once and resolves the target once, however often and concurrently they are asked for', async () => {
    writeFleet(['thing_0'], { region: 'us-east-1', local: true, endpointUrl: STAND_IN });
    const { ctx, asked } = context();
    const [a, b] = await Promise.all([ctx.fleet(), ctx.fleet()]);
    expect(a).toBe(b);
    fs.rmSync(path.join(dir, 'things.json'));
    expect(await ctx.fleet()).toBe(a);
    const [t1, t2] = await Promise.all([ctx.target(), ctx.target()]);
    expect(t1).toBe(t2);
    expect(t1).toMatchObject({ local: true, endpointUrl: STAND_IN, region: 'us-east-1' });
    expect(asked).toEqual([`probe ${STAND_IN}`]);
  });

  it('resolves nothing until asked: a command that needs no target makes no probe', async () => {
    const { ctx, asked } = context();
    expect((await ctx.fleet()).state).toBeUndefined();
    expect(asked).toEqual([]);
  });

  it("a fleet with things pins the target to where it was made, named by its things.json", async () => {
    writeFleet(['thing_0'], { region: 'us-east-1', local: true, endpointUrl: STAND_IN });
    const { ctx } = context({ endpointUrl: 'http://127.0.0.1:9' });
    await expect(ctx.target()).rejects.toThrow(`the fleet in ${path.join(dir, 'things.json')} was made at ${STAND_IN}, but --endpoint-url says http://127.0.0.1:9`);
  });

  it('a fleet record without things pins nothing: the flags decide (as `elf create` needs)', async () => {
    writeFleet([], { region: 'us-east-1', local: true, endpointUrl: 'http://127.0.0.1:9' });
    const other = 'http://127.0.0.1:4599';
    const { ctx, asked } = context({ endpointUrl: other }, { [other]: standIn });
    expect(await ctx.target()).toMatchObject({ local: true, endpointUrl: other });
    expect(asked).toEqual([`probe ${other}`]);
  });

  it("passes the decision's notice to the log, and flag errors as one line", async () => {
    const { ctx, lines } = context();
    expect(await ctx.target()).toMatchObject({ local: true, endpointUrl: STAND_IN });
    expect(lines).toEqual([`no AWS credentials found: using the local IoT Core stand-in at ${STAND_IN} (region us-east-1), not AWS`]);
    await expect(context({ region: 'nowhere' }).ctx.target()).rejects.toThrow(/^--region "nowhere" is not an AWS region name/);
  });
});
