import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { applyEvent, highestIndex, replayJournal } from '../../src/fleet/state.js';
import { FleetStore, loadFleet, readFleet, writeSecretFile } from '../../src/fleet/store.js';
import { makeUnwritable, mountTinyTmpfs } from '../helpers/disk.js';

const header = { target: { region: 'us-east-1', local: true, endpointUrl: 'http://127.0.0.1:4580' }, prefix: 'thing_', topicRoot: 'elf', fleetId: 'f1' };
let root: string;
let dir: string;
beforeEach(() => {
  root = fs.mkdtempSync(path.join(os.tmpdir(), 'elf-store-'));
  dir = path.join(root, 'misc');
});
afterEach(() => {
  fs.chmodSync(root, 0o700);
  fs.rmSync(root, { recursive: true, force: true });
});

describe('journal rules (pure)', () => {
  it('folds events into state; replaying over a snapshot that holds them changes nothing', () => {
    const events = [
      { h: header },
      { n: 'thing_0', s: { certificateId: 'c0', certificateArn: 'a0' } },
      { n: 'thing_1', s: { certificateId: 'c1' } },
      { n: 'thing_0', s: { thingArn: 't0' } },
      { n: 'thing_1', d: 1 as const },
      { n: 'thing_0', u: ['certificateId' as const] },
    ];
    const text = events.map((e) => JSON.stringify(e)).join('\n') + '\n';
    const once = replayJournal(undefined, text).state!;
    expect(once.things).toEqual([{ name: 'thing_0', certificateArn: 'a0', thingArn: 't0' }]);
    const twice = replayJournal(structuredClone(once), text).state!;
    expect(twice).toEqual(once);
    expect(() => applyEvent(undefined, { n: 'x', s: {} })).toThrow(/before the fleet header/);
  });

  it('tolerates a torn last line and reports a damaged earlier one with its line number', () => {
    const good = `${JSON.stringify({ h: header })}\n${JSON.stringify({ n: 'thing_0', s: { certificateId: 'c' } })}\n`;
    expect(replayJournal(undefined, `${good}{"n":"thing_1","s":{"cert`)).toMatchObject({ truncatedTail: true });
    expect(replayJournal(undefined, `${good}\0\0\0\0`).truncatedTail).toBe(false);
    expect(() => replayJournal(undefined, `${good}garbage\n${good}`)).toThrow(/line 3 is not a journal event/);
  });

  it('finds the highest index for a prefix', () => {
    expect(highestIndex(['thing_0', 'thing_12', 'thing_3', 'other_99', 'thing_x', 'thing_01'], 'thing_')).toBe(12);
    expect(highestIndex([], 'thing_')).toBe(-1);
  });
});

describe('fleet store on disk', () => {
  it('creates the dir 0700, records events durably and compacts atomically', async () => {
    const store = await FleetStore.open(dir, { init: header });
    expect(fs.statSync(dir).mode & 0o777).toBe(0o700);
    await store.setThing('thing_0', { certificateId: 'c0' });
    await Promise.all([store.setThing('thing_1', { certificateId: 'c1' }), store.setThing('thing_2', { certificateId: 'c2' })]);
    // what a SIGKILL now would leave: journal only
    expect((await loadFleet(dir))!.things.map((t) => t.name)).toEqual(['thing_0', 'thing_1', 'thing_2']);
    expect(fs.existsSync(path.join(dir, 'things.json'))).toBe(false);
    await store.compact();
    expect(fs.readFileSync(path.join(dir, 'journal.ndjson'), 'utf8')).toBe('');
    expect(JSON.parse(fs.readFileSync(path.join(dir, 'things.json'), 'utf8')).things).toHaveLength(3);
    await store.dropThing('thing_1');
    await store.close();
    const loaded = (await loadFleet(dir))!;
    expect(loaded.things.map((t) => t.name)).toEqual(['thing_0', 'thing_2']);
    expect(loaded.createdStateDir).toBe(true);
    expect(fs.statSync(path.join(dir, 'things.json')).mode & 0o777).toBe(0o600);
  });

  it('a torn journal tail is dropped when the store is reopened, so new lines never follow garbage', async () => {
    const store = await FleetStore.open(dir, { init: header });
    await store.setThing('thing_0', { certificateId: 'c0' });
    await store.close();
    fs.appendFileSync(path.join(dir, 'journal.ndjson'), '{"n":"thing_1","s":{"certif');
    expect((await readFleet(dir)).truncatedTail).toBe(true);
    const again = await FleetStore.open(dir);
    await again.setThing('thing_2', { certificateId: 'c2' });
    await again.close();
    expect((await loadFleet(dir))!.things.map((t) => t.name)).toEqual(['thing_0', 'thing_2']);
  });

  it('names the damaged file and the way out', async () => {
    fs.mkdirSync(dir);
    fs.writeFileSync(path.join(dir, 'things.json'), '{"version":1,"tar');
    await expect(loadFleet(dir)).rejects.toThrow(/misc\/things.json is corrupted .*elf clean --only-local/);
    fs.writeFileSync(path.join(dir, 'things.json'), '[]');
    await expect(loadFleet(dir)).rejects.toThrow(/things.json is not elf fleet state \(not a JSON object\)/);
    fs.writeFileSync(path.join(dir, 'things.json'), '');
    await expect(loadFleet(dir)).rejects.toThrow(/corrupted \(empty\)/);
    fs.rmSync(path.join(dir, 'things.json'));
    fs.writeFileSync(path.join(dir, 'journal.ndjson'), `${JSON.stringify({ h: header })}\nxx\n${JSON.stringify({ h: header })}\n`);
    await expect(loadFleet(dir)).rejects.toThrow(/journal.ndjson is corrupted \(line 2/);
    expect(await loadFleet(path.join(root, 'none'))).toBeUndefined();
  });

  it('refuses an unwritable state dir with one line, before anything is made', async (ctx) => {
    const undo = makeUnwritable(root);
    if (!undo) return ctx.skip();
    try {
      await expect(FleetStore.open(dir, { init: header })).rejects.toThrow(/state dir .*misc: not writable \((EACCES|EPERM)\).*--state-dir/);
    } finally {
      undo();
    }
  });

  it('a state dir on a full disk is refused before anything is made', async (ctx) => {
    const mnt = mountTinyTmpfs(root, 64);
    if (!mnt) return ctx.skip();
    try {
      fs.writeFileSync(path.join(mnt.dir, 'filler'), Buffer.alloc(60 * 1024));
      await expect(FleetStore.open(path.join(mnt.dir, 'misc'), { init: header })).rejects.toThrow(/disk full \(ENOSPC\)/);
    } finally {
      mnt.unmount();
    }
  });

  it('writes secret files 0600 from the start and never overwrites one', async () => {
    fs.mkdirSync(dir, { mode: 0o700 });
    const f = path.join(dir, 'k.prv');
    const old = process.umask(0);
    try {
      await writeSecretFile(f, 'secret');
    } finally {
      process.umask(old);
    }
    expect(fs.statSync(f).mode & 0o777).toBe(0o600);
    await expect(writeSecretFile(f, 'other')).rejects.toThrow(/already exists; elf never overwrites key files/);
    expect(fs.readFileSync(f, 'utf8')).toBe('secret');
  });
});
