import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pino } from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { isComplete } from '../../src/fleet/types.js';
import { Fleet } from '../../src/fleet/fleet.js';
import { loadFleet } from '../../src/fleet/store.js';
import { cleanLocalOnly, runClean, type CleanRequest } from '../../src/provision/clean.js';
import { runCreate, type CreateIo, type CreateRequest } from '../../src/provision/create.js';
import { thingPolicyDocument } from '../../src/provision/policy.js';
import { DUMMY_CREDENTIALS, type ResolvedTarget } from '../../src/target/target.js';
import { systemClock, type Clock } from '../../src/util/clock.js';
import { ApiError, MemoryIot } from '../helpers/memory-iot.js';
import { mountTinyTmpfs } from '../helpers/disk.js';

const ENDPOINT = 'http://127.0.0.1:4580';
const standIn = { standIn: 'elf' as const, region: 'us-east-1', account: '123456789012', mqtt: { host: '127.0.0.1', port: 8883 }, caPem: '' };
/** what the CLI edge resolves for the stand-in at ENDPOINT, and for AWS with credentials */
const LOCAL: ResolvedTarget = { region: 'us-east-1', endpointUrl: ENDPOINT, local: true, account: standIn.account, credentials: DUMMY_CREDENTIALS, standIn };
const AWS: ResolvedTarget = { region: 'us-east-1', local: false };
/** backoff without waiting: every sleep resolves on the next turn of the event loop */
const fastClock: Clock = { ...systemClock, sleep: () => new Promise((r) => setImmediate(r)) };
const log = pino({ level: 'silent' });

let root: string;
let dir: string;
beforeEach(() => {
  // tmpfs when there is one: these tests are about ordering, not durability, and fsync costs ~7 ms on disk here
  root = fs.mkdtempSync(path.join(fs.existsSync('/dev/shm') ? '/dev/shm' : os.tmpdir(), 'elf-prov-'));
  dir = path.join(root, 'state');
});
afterEach(() => fs.rmSync(root, { recursive: true, force: true }));

function io(iot: MemoryIot, extra: Partial<CreateIo> = {}): CreateIo {
  return { log, clock: fastClock, api: () => iot.api(), ...extra };
}
/** the state dir (default `dir`) read once, and the target, as the CLI edge hands them down */
type Edge = { at?: string; target?: ResolvedTarget };
async function createReq(count: number, extra: Partial<Omit<CreateRequest, 'fleet' | 'target'>> & Edge = {}): Promise<CreateRequest> {
  const { at = dir, target = LOCAL, ...rest } = extra;
  return { count, add: false, concurrency: 4, pacing: false, ...rest, fleet: await Fleet.open(at), target: async () => target };
}
async function cleanReq(extra: Partial<Omit<CleanRequest, 'fleet' | 'target'>> & Edge = {}): Promise<CleanRequest> {
  const { at = dir, target = LOCAL, ...rest } = extra;
  return { concurrency: 4, pacing: false, ...rest, fleet: await Fleet.open(at), target: async () => target };
}
const mode = (p: string) => fs.statSync(p).mode & 0o777;

describe('create and clean against an in-memory control plane', () => {
  it('creates things with key files 0600 in a 0700 dir, an attached least-privilege policy each, then cleans everything', async () => {
    const iot = new MemoryIot();
    const s = await runCreate(await createReq(5), io(iot));
    expect(s).toMatchObject({ succeeded: 5, failed: 0 });
    expect(iot.counts).toEqual({ things: 5, certs: 5, policies: 5 });
    const fleet = (await loadFleet(dir))!;
    expect(fleet.things.map((t) => t.name)).toEqual(['thing_0', 'thing_1', 'thing_2', 'thing_3', 'thing_4']);
    expect(fleet.things.every(isComplete)).toBe(true);
    expect(fleet.target).toMatchObject({ local: true, endpointUrl: ENDPOINT, account: '123456789012' });
    expect(mode(dir)).toBe(0o700);
    for (const t of fleet.things) {
      for (const f of Object.values(t.files!)) expect(mode(path.join(dir, f))).toBe(0o600);
      const cert = iot.certs.get(t.certificateId!)!;
      expect(cert.status).toBe('ACTIVE');
      expect([...cert.things]).toEqual([t.name]);
      expect([...cert.policies]).toEqual([`elf-${t.name}`]);
      expect(JSON.parse(iot.policies.get(`elf-${t.name}`)!.document)).toEqual(thingPolicyDocument({ region: 'us-east-1', account: '123456789012', thingName: t.name, topicRoot: 'elf' }));
      expect(iot.things.get(t.name)!.attributes.elf_fleet).toBe(fleet.fleetId);
    }
    // compacted at the end
    expect(fs.readFileSync(path.join(dir, 'journal.ndjson'), 'utf8')).toBe('');

    const c = await runClean(await cleanReq(), io(iot));
    expect(c).toMatchObject({ kind: 'cleaned', succeeded: 5, failed: 0, dirRemoved: true });
    expect(iot.empty).toBe(true);
    expect(fs.existsSync(dir)).toBe(false);
    expect(await runClean(await cleanReq(), io(iot))).toEqual({ kind: 'nothing', stateDir: dir });
  });

  it('calls the control plane in AWS order', async () => {
    const iot = new MemoryIot();
    await runCreate(await createReq(1), io(iot));
    expect(iot.calls).toEqual(['CreateKeysAndCertificate', 'CreateThing', 'AttachThingPrincipal', 'CreatePolicy', 'AttachPolicy']);
    iot.calls.length = 0;
    await runClean(await cleanReq(), io(iot));
    expect(iot.calls).toEqual(['DetachPolicy', 'DeletePolicy', 'UpdateCertificate', 'DetachThingPrincipal', 'DeleteCertificate', 'DeleteThing']);
  });

  it('refuses to create over an existing fleet without --add, and grows it with --add', async () => {
    const iot = new MemoryIot();
    await runCreate(await createReq(2), io(iot));
    const calls = iot.calls.length;
    await expect(runCreate(await createReq(3), io(iot))).rejects.toThrow(/already holds a fleet of 2 things .*--add.*elf clean/);
    expect(iot.calls.length).toBe(calls);
    await expect(runCreate(await createReq(1, { add: true, prefix: 'other_' }), io(iot))).rejects.toThrow(/--prefix other_ differs/);
    const s = await runCreate(await createReq(2, { add: true }), io(iot));
    expect(s.succeeded).toBe(2);
    expect((await loadFleet(dir))!.things.map((t) => t.name)).toEqual(['thing_0', 'thing_1', 'thing_2', 'thing_3']);
    expect(iot.counts).toEqual({ things: 4, certs: 4, policies: 4 });
  });

  it('retries throttling, 5xx and eventual consistency: 20% faults → nothing fails, clean leaves nothing', async () => {
    const iot = new MemoryIot({ faultRate: 0.2, detachLag: 4 });
    const s = await runCreate(await createReq(30, { concurrency: 8 }), io(iot));
    expect(s).toMatchObject({ succeeded: 30, failed: 0 });
    expect(iot.faults).toBeGreaterThan(10);
    expect(s.stats.retries).toBeGreaterThanOrEqual(iot.faults);
    const c = await runClean(await cleanReq({ concurrency: 8 }), io(iot));
    expect(c).toMatchObject({ kind: 'cleaned', succeeded: 30, failed: 0 });
    expect(iot.empty).toBe(true);
  });

  it('stops at access denied with one line naming the IAM action; clean removes what was made', async () => {
    const iot = new MemoryIot({
      hook: (op) => {
        if (op === 'CreatePolicy') throw new ApiError('AccessDeniedException', 403, 'User: arn:aws:iam::123456789012:user/x is not authorized to perform: iot:CreatePolicy');
      },
    });
    const s = await runCreate(await createReq(6, { concurrency: 2 }), io(iot));
    expect(s.fatal?.message).toMatch(/^access denied: these credentials may not call iot:CreatePolicy .*IAM policy for elf/);
    expect(s.fatal?.message).not.toContain('\n');
    expect(s.succeeded).toBe(0);
    expect(iot.certs.size).toBeLessThanOrEqual(2);
    const fleet = (await loadFleet(dir))!;
    expect(fleet.things.length).toBe(iot.certs.size);
    const c = await runClean(await cleanReq(), io(iot));
    expect(c).toMatchObject({ kind: 'cleaned', failed: 0 });
    expect(iot.empty).toBe(true);
  });

  it('never takes over a thing or policy it did not make', async () => {
    const iot = new MemoryIot();
    await iot.api().createThing('thing_1', { owner: 'someone-else' });
    await iot.api().createPolicy('elf-thing_2', '{"Version":"2012-10-17","Statement":[]}');
    const s = await runCreate(await createReq(3), io(iot));
    expect(s).toMatchObject({ succeeded: 1, failed: 2 });
    expect(s.errors.join('\n')).toMatch(/thing_1: thing thing_1 already exists .* not made by this fleet/);
    expect(s.errors.join('\n')).toMatch(/thing_2: policy elf-thing_2 already exists with another document/);
    const c = await runClean(await cleanReq(), io(iot));
    // counted as left alone, with why, not as removed (#17 item 10)
    expect(c).toMatchObject({ succeeded: 1, failed: 0, skipped: { 'a thing of that name that this fleet did not make': 1, 'a policy of that name that this fleet did not make': 1 } });
    expect([...iot.things.keys()]).toEqual(['thing_1']);
    expect([...iot.policies.keys()]).toEqual(['elf-thing_2']);
    expect(iot.certs.size).toBe(0);
    expect(iot.things.get('thing_1')!.attributes).toEqual({ owner: 'someone-else' });
  });

  it('a crash at any call of create or clean leaves nothing that the next clean cannot remove', async () => {
    // "crash": the state dir and the control plane as they are when a call reaches the server
    const crashAt = async (phase: 'create' | 'clean', k: number) => {
      let image: { dir: string; iot: MemoryIot } | undefined;
      const crashDir = path.join(root, `crash-${phase}-${k}`);
      let iot: MemoryIot;
      const hook = (_op: string) => {
        if (!image && iot.calls.length === k) {
          fs.cpSync(dir, crashDir, { recursive: true });
          image = { dir: crashDir, iot: iot.snapshot() };
        }
      };
      iot = new MemoryIot({ hook });
      if (phase === 'clean') {
        iot = new MemoryIot();
        await runCreate(await createReq(4, { concurrency: 2 }), io(iot));
        const snap = iot.snapshot({ hook });
        iot = snap;
        await runClean(await cleanReq({ concurrency: 2 }), io(iot));
      } else {
        await runCreate(await createReq(4, { concurrency: 2 }), io(iot));
      }
      expect(image, `crash point ${k}`).toBeDefined();
      const c = await runClean(await cleanReq({ at: image!.dir }), io(image!.iot));
      expect(c.kind === 'nothing' || (c.kind === 'cleaned' && c.failed === 0), JSON.stringify(c)).toBe(true);
      // including certificates whose CreateKeysAndCertificate answer was in flight (found by the orphan sweep)
      expect(image!.iot.counts, `${phase} crash before call ${k}`).toEqual({ things: 0, certs: 0, policies: 0 });
      if (image!.iot.calls.includes('ListCertificates')) sweeps++;
      fs.rmSync(dir, { recursive: true, force: true });
    };
    let sweeps = 0;
    // create makes 4 things × 5 calls; clean 4 × 6
    for (let k = 1; k <= 20; k++) await crashAt('create', k);
    for (let k = 1; k <= 24; k += 3) await crashAt('clean', k);
    expect(sweeps).toBeGreaterThan(0); // some crash points were inside the certificate window
  });

  it('--only-local removes only local files; a damaged state is still removable that way', async () => {
    const iot = new MemoryIot();
    await runCreate(await createReq(2), io(iot));
    const r = await cleanLocalOnly(dir);
    expect(r).toMatchObject({ kind: 'local-only', things: 2, leftInControlPlane: 2, dirRemoved: true });
    expect(iot.counts).toEqual({ things: 2, certs: 2, policies: 2 });
    expect(fs.existsSync(dir)).toBe(false);

    await runCreate(await createReq(1), io(new MemoryIot()));
    fs.writeFileSync(path.join(dir, 'things.json'), '{"version":1,"target":');
    // clean and create read it at the edge (Fleet.open), before any call
    await expect(Fleet.open(dir)).rejects.toThrow(/things.json is corrupted .*elf clean --only-local/);
    const r2 = await cleanLocalOnly(dir);
    expect(r2).toMatchObject({ kind: 'local-only' });
    expect(fs.existsSync(path.join(dir, 'thing_0.prv'))).toBe(false);
  });
});

describe('disk faults during create', () => {
  it('a disk that fills up mid-run: everything made is still recorded, the run stops with one line, clean removes all', async (ctx) => {
    const mnt = mountTinyTmpfs(root, 160);
    if (!mnt) return ctx.skip();
    try {
      dir = path.join(mnt.dir, 'misc');
      const iot = new MemoryIot();
      const s = await runCreate(await createReq(60, { concurrency: 4 }), io(iot, { reserveBytes: 32 * 1024 })).catch((e: Error) => e);
      // either the summary carries the fatal error, or the final compaction hit the full disk
      const message = s instanceof Error ? s.message : s.fatal?.message;
      expect(message).toMatch(/disk full \(ENOSPC\)/);
      expect(message).not.toContain('\n');
      expect(iot.certs.size).toBeGreaterThan(0);
      expect(iot.certs.size).toBeLessThan(60);
      const fleet = (await loadFleet(dir))!;
      // every certificate the control plane made is in the state
      expect(new Set(fleet.things.map((t) => t.certificateId).filter(Boolean))).toEqual(new Set(iot.certs.keys()));
      const c = await runClean(await cleanReq(), io(iot));
      expect(c).toMatchObject({ kind: 'cleaned', failed: 0 });
      expect(iot.empty).toBe(true);
    } finally {
      mnt.unmount();
    }
  });
});

describe('certificates of CreateKeysAndCertificate calls cut short', () => {
  /** a fleet whose state says thing_0's CreateKeysAndCertificate never came back, while the control plane made it */
  async function crashedInCertCall(awsIo: CreateIo, iot: MemoryIot) {
    let image: MemoryIot | undefined;
    const crashDir = path.join(root, 'crash');
    const hooked = new MemoryIot({
      hook: (op) => {
        // the moment after the server made thing_0's certificate, before elf recorded it
        if (op === 'CreateThing' && !image) {
          fs.cpSync(dir, crashDir, { recursive: true });
          image = hooked.snapshot();
        }
      },
    });
    await runCreate(await createReq(1, { concurrency: 1, target: AWS }), { ...awsIo, api: () => hooked.api() });
    // rewrite the image's journal as if the certificate's answer had never arrived
    const j = path.join(crashDir, 'journal.ndjson');
    const lines = fs.readFileSync(j, 'utf8').split('\n').filter((l) => l && !l.includes('"certificateId"') && !l.includes('"files"') && !l.includes('"thingRequested"'));
    fs.writeFileSync(j, lines.join('\n') + '\n');
    for (const f of fs.readdirSync(crashDir)) if (/\.(pem|pub|prv)$/.test(f)) fs.rmSync(path.join(crashDir, f));
    for (const [k, v] of image!.certs) iot.certs.set(k, v);
    return crashDir;
  }
  const awsIo = (iot: MemoryIot): CreateIo => ({ log, clock: fastClock, api: () => iot.api() });

  it('in AWS: reports them and keeps the record; --sweep-orphans deletes them', async () => {
    const iot = new MemoryIot();
    // someone else's certificate, attached to their thing, created at the same moment: never touched
    const other = await iot.api().createKeysAndCertificate();
    await iot.api().createThing('theirs', {});
    await iot.api().attachThingPrincipal('theirs', other.certificateArn);
    const crashDir = await crashedInCertCall(awsIo(iot), iot);
    expect(iot.certs.size).toBe(2);
    const first = await runClean(await cleanReq({ at: crashDir, target: AWS }), awsIo(iot));
    expect(first).toMatchObject({ kind: 'cleaned', failed: 1 });
    if (first.kind !== 'cleaned') throw new Error();
    expect(first.errors[0]).toMatch(/1 unrecorded, unattached certificates were created while elf was stopped .*thing_0.*--sweep-orphans/);
    expect(iot.certs.size).toBe(2);
    const second = await runClean(await cleanReq({ at: crashDir, target: AWS, sweepOrphans: true }), awsIo(iot));
    expect(second).toMatchObject({ kind: 'cleaned', failed: 0, succeeded: 1 });
    expect([...iot.certs.keys()]).toEqual([other.certificateId]);
    expect(fs.existsSync(crashDir)).toBe(false);
  });

  it('deletes nothing when there are more candidates than calls cut short', async () => {
    const iot = new MemoryIot();
    const stray = await iot.api().createKeysAndCertificate(); // unattached, same moment, not ours
    const crashDir = await crashedInCertCall(awsIo(iot), iot);
    const r = await runClean(await cleanReq({ at: crashDir, target: AWS, sweepOrphans: true }), awsIo(iot));
    if (r.kind !== 'cleaned') throw new Error(r.kind);
    expect(r.failed).toBe(1);
    expect(r.errors[0]).toMatch(/2 unrecorded, unattached certificates .*more than those calls could have made: none deleted/);
    expect(iot.certs.has(stray.certificateId)).toBe(true);
    expect(iot.certs.size).toBe(2);
  });
});
