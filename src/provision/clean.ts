import fsp from 'node:fs/promises';
import path from 'node:path';
import { ElfError } from '../errors.js';
import { Fleet, removeKeyFiles } from '../fleet/fleet.js';
import { JOURNAL_FILE, STATE_FILES, THINGS_FILE } from '../fleet/store.js';
import type { ThingRecord } from '../fleet/types.js';
import type { ResolvedTarget } from '../target/target.js';
import { isFatal, type CreateIo, type RunSummary } from './create.js';
import { FLEET_ATTRIBUTE } from './defaults.js';
import { Caller, errorLine, makeIotClient, sdkIotApi } from './iot.js';
import { parseArn, policyDocumentText, samePolicy } from './policy.js';
import { inWindow, orphanWindow, sweepDecision, type InFlightCall, type ListedCertificate } from './orphans.js';
import { createProgress } from './progress.js';
import { runPool } from './pool.js';
import { classifyError } from './retry.js';

/**
 * `elf clean`: for every recorded thing, in AWS's order (docs/aws-iot-facts.md#state-rules-and-the-deletion-order):
 *   DetachPolicy → DeletePolicy → UpdateCertificate(INACTIVE) → DetachThingPrincipal → DeleteCertificate → DeleteThing
 * then its key files. Each step is journalled as it completes, so clean can be killed and run again.
 * "Already gone" (ResourceNotFound) counts as done; the eventually-consistent steps (a delete right
 * after a detach) are retried with backoff. A resource whose creation was never confirmed (a crash
 * mid-call) is only deleted after checking it is this fleet's (thing attribute, policy document).
 */

export interface CleanRequest {
  /** the fleet of the state dir, as read once at the CLI edge */
  fleet: Fleet;
  /** where the fleet was made, resolved once at the CLI edge; not asked for when there is nothing to clean */
  target: () => Promise<ResolvedTarget>;
  concurrency: number;
  pacing?: boolean;
  /** delete unrecorded certificates from calls cut short by a crash, also in AWS (always done on the local stand-in) */
  sweepOrphans?: boolean;
}

export type CleanResult =
  | { kind: 'nothing'; stateDir: string }
  | { kind: 'local-only'; stateDir: string; things: number; leftInControlPlane: number; where: string; dirRemoved: boolean }
  | ({ kind: 'cleaned'; dirRemoved: boolean } & RunSummary);

const gone = (e: unknown) => classifyError(e) === 'not-found';

/**
 * Names in a damaged state, read leniently, so --only-local can still remove their key files: every
 * name the files mention, plus key-file triplets named like elf's things (<prefix><index>).
 */
async function namesInDamagedState(dir: string): Promise<string[]> {
  const names = new Set<string>();
  for (const f of [THINGS_FILE, JOURNAL_FILE]) {
    const text = await fsp.readFile(path.join(dir, f), 'utf8').catch(() => '');
    for (const m of text.matchAll(/"(?:name|n)"\s*:\s*"([A-Za-z0-9_-]{1,128})"/g)) names.add(m[1]!);
  }
  const files = await fsp.readdir(dir).catch(() => [] as string[]);
  for (const f of files) {
    const m = /^([A-Za-z0-9_-]*\d)\.prv$/.exec(f);
    if (m && files.includes(`${m[1]}.pem`)) names.add(m[1]!);
  }
  return [...names];
}

/**
 * `elf clean --only-local`: removes the state dir's files and nothing in the control plane. Reads the
 * state itself, leniently: a damaged state is what this is for.
 */
export async function cleanLocalOnly(stateDir: string): Promise<CleanResult> {
  let things: ThingRecord[];
  let where = 'the control plane';
  let leftInControlPlane = 0;
  let createdDir = false;
  try {
    const state = (await Fleet.open(stateDir)).state;
    if (!state) return { kind: 'nothing', stateDir };
    things = state.things;
    createdDir = state.createdStateDir === true;
    where = state.target.endpointUrl ? `the control plane at ${state.target.endpointUrl}` : `AWS region ${state.target.region}`;
    leftInControlPlane = things.filter((t) => t.certificateId || t.thingArn || t.thingRequested || t.policyName).length;
  } catch (e) {
    if (!(e instanceof ElfError) || e.code !== 'ELF_STATE_CORRUPT') throw e;
    things = (await namesInDamagedState(stateDir)).map((name) => ({ name }));
    leftInControlPlane = things.length;
  }
  for (const t of things) await removeKeyFiles(stateDir, t);
  for (const f of STATE_FILES) await fsp.rm(path.join(stateDir, f), { force: true });
  let dirRemoved = false;
  if (createdDir) dirRemoved = await fsp.rmdir(stateDir).then(() => true, () => false);
  return { kind: 'local-only', stateDir, things: things.length, leftInControlPlane, where, dirRemoved };
}

export async function runClean(req: CleanRequest, io: CreateIo): Promise<CleanResult> {
  const started = Date.now();
  const { log } = io;
  const { fleet } = req;
  const stateDir = fleet.dir;
  const existing = fleet.state;
  if (!existing) return { kind: 'nothing', stateDir };
  if (existing.things.length === 0) {
    const store = await fleet.openStore({ reserveBytes: 0 });
    await store.removeState();
    return { kind: 'nothing', stateDir };
  }

  const target = await req.target();
  // no reserve: clean must work on a full disk (it frees space as it goes)
  const store = await fleet.openStore({ reserveBytes: 0 });
  const state = store.state!;
  const fleetId = state.fleetId;
  const api = io.api ? io.api(target) : sdkIotApi(makeIotClient(target));
  const caller = new Caller({ log, pacing: req.pacing ?? true, ...(io.clock ? { clock: io.clock } : {}) });
  const things = [...state.things];
  const summary: RunSummary = { requested: things.length, succeeded: 0, failed: 0, elapsedMs: 0, stateDir, target, errors: [], interrupted: false, stats: { calls: 0, retries: 0, throttled: 0 } };
  const progress = createProgress(io.progressStream ?? process.stderr, 'cleaning', things.length);
  let fatal: unknown;

  const recordedCerts = new Set(state.things.map((t) => t.certificateId).filter((id): id is string => Boolean(id)));
  const inFlight: InFlightCall[] = [];

  /** returns false when the thing waits for the orphan sweep */
  const cleanThing = async (name: string): Promise<boolean> => {
    const rec = (): ThingRecord => store.thing(name) ?? { name };
    const certArn = rec().certificateArn;
    const first = rec();
    if (first.certRequestedAt && !first.certificateId && !first.thingArn && !first.thingRequested && !first.policyName) {
      // only a CreateKeysAndCertificate call that never came back: see sweepOrphans below
      inFlight.push({ name, at: Date.parse(first.certRequestedAt) || Date.now() });
      return false;
    }

    // 1. the policy: detach from the certificate, delete
    const policyName = rec().policyName;
    if (policyName) {
      let ours = Boolean(rec().policyArn);
      if (!ours) {
        // CreatePolicy's outcome was never recorded: delete only if it is the document this fleet would have made
        try {
          const p = await caller.call('GetPolicy', () => api.getPolicy(policyName));
          const arn = certArn ? parseArn(certArn) : undefined;
          ours = Boolean(arn) && samePolicy(p.policyDocument, policyDocumentText({ region: arn!.region, account: arn!.account, partition: arn!.partition, thingName: name, topicRoot: state.topicRoot }));
          if (!ours) log.warn({ policyName }, 'policy exists but was not made by this fleet: left alone');
        } catch (e) {
          if (!gone(e)) throw e;
        }
      }
      if (ours) {
        if (certArn) {
          try {
            await caller.call('DetachPolicy', () => api.detachPolicy(policyName, certArn));
          } catch (e) {
            if (!gone(e)) throw e;
          }
          await store.unsetThing(name, ['policyAttached']);
        }
        try {
          await caller.call('DeletePolicy', () => api.deletePolicy(policyName), { retryConflicts: true });
        } catch (e) {
          if (!gone(e)) throw e;
        }
      }
      await store.unsetThing(name, ['policyName', 'policyArn', 'policyAttached']);
    }

    // 2. the certificate: deactivate, detach from the thing, delete
    const certificateId = rec().certificateId;
    if (certificateId) {
      let exists = true;
      try {
        await caller.call('UpdateCertificate', () => api.updateCertificate(certificateId, 'INACTIVE'));
      } catch (e) {
        if (!gone(e)) throw e;
        exists = false;
      }
      if (exists && certArn && (rec().thingArn || rec().thingRequested || rec().principalAttached)) {
        try {
          await caller.call('DetachThingPrincipal', () => api.detachThingPrincipal(name, certArn));
        } catch (e) {
          if (!gone(e)) throw e;
        }
        await store.unsetThing(name, ['principalAttached']);
      }
      if (exists) {
        try {
          await caller.call('DeleteCertificate', () => api.deleteCertificate(certificateId), { retryConflicts: true });
        } catch (e) {
          if (!gone(e)) throw e;
        }
      }
      await store.unsetThing(name, ['certificateId', 'certificateArn', 'principalAttached']);
    }

    // 3. the thing
    if (rec().thingArn || rec().thingRequested) {
      let ours = Boolean(rec().thingArn);
      let exists = true;
      if (!ours) {
        try {
          const t = await caller.call('DescribeThing', () => api.describeThing(name));
          ours = fleetId !== undefined && t.attributes[FLEET_ATTRIBUTE] === fleetId;
          if (!ours) log.warn({ thing: name }, 'thing exists but was not made by this fleet: left alone');
        } catch (e) {
          if (!gone(e)) throw e;
          exists = false;
        }
      }
      if (ours && exists) {
        try {
          await caller.call('DeleteThing', () => api.deleteThing(name), { retryConflicts: true });
        } catch (e) {
          if (!gone(e)) throw e;
        }
      }
      await store.unsetThing(name, ['thingArn', 'thingRequested']);
    }

    // 4. local files, then the record
    await fleet.removeKeyFiles(rec());
    await store.dropThing(name);
    return true;
  };

  /** Finds (and, when allowed, deletes) certificates made by CreateKeysAndCertificate calls that never came back. */
  const sweepOrphans = async (): Promise<void> => {
    const w = orphanWindow(inFlight);
    const candidates: ListedCertificate[] = [];
    let marker: string | undefined;
    do {
      const page = await caller.call('ListCertificates', () => api.listCertificates(marker));
      for (const c of page.certificates) if (inWindow(c, w, recordedCerts)) candidates.push(c);
      const oldest = page.certificates.at(-1)?.creationDate.getTime();
      marker = oldest !== undefined && oldest < w.from ? undefined : page.nextMarker;
    } while (marker);
    const unattached: ListedCertificate[] = [];
    for (const c of candidates) {
      const things = await caller.call('ListPrincipalThings', () => api.listPrincipalThings(c.certificateArn));
      const policies = things.length ? [] : await caller.call('ListAttachedPolicies', () => api.listAttachedPolicies(c.certificateArn));
      if (things.length === 0 && policies.length === 0) unattached.push(c);
    }
    const names = inFlight.map((c) => c.name).join(', ');
    const decision = sweepDecision(unattached.length, inFlight.length, target.local || req.sweepOrphans === true);
    const ids = unattached.map((c) => `${c.certificateId.slice(0, 12)}… (${c.creationDate.toISOString()})`).join(', ');
    if (decision.action === 'report') {
      const line =
        decision.reason === 'ambiguous'
          ? `${unattached.length} unrecorded, unattached certificates were created around the CreateKeysAndCertificate calls elf was stopped in (${names}), more than those calls could have made: none deleted; check them: ${ids}`
          : `${unattached.length} unrecorded, unattached certificates were created while elf was stopped in CreateKeysAndCertificate (${names}): probably this fleet's; delete them with \`elf clean --sweep-orphans\`: ${ids}`;
      summary.failed += inFlight.length;
      summary.errors.push(line);
      log.warn(line);
      return;
    }
    for (const c of decision.action === 'delete' ? unattached : []) {
      try {
        await caller.call('UpdateCertificate', () => api.updateCertificate(c.certificateId, 'INACTIVE'));
        await caller.call('DeleteCertificate', () => api.deleteCertificate(c.certificateId), { retryConflicts: true });
      } catch (e) {
        if (!gone(e)) throw e;
      }
      log.warn({ certificateId: c.certificateId, created: c.creationDate.toISOString() }, 'deleted a certificate made by a CreateKeysAndCertificate call elf was stopped in');
    }
    for (const c of inFlight) {
      await fleet.removeKeyFiles(store.thing(c.name) ?? { name: c.name });
      await store.dropThing(c.name);
    }
    summary.succeeded += inFlight.length;
  };

  try {
    await runPool(
      things.map((t) => t.name),
      req.concurrency,
      async (name) => {
        try {
          if (await cleanThing(name)) summary.succeeded++;
        } catch (e) {
          summary.failed++;
          if (isFatal(e)) fatal ??= e;
          else {
            const line = `${name}: ${errorLine(e)}`;
            if (summary.errors.length < 5) summary.errors.push(line);
            log.error(line);
          }
        }
        progress.update(summary.succeeded, summary.failed);
      },
      () => fatal !== undefined || io.signal?.aborted === true,
    );
    if (inFlight.length > 0 && fatal === undefined && !io.signal?.aborted) {
      try {
        await sweepOrphans();
      } catch (e) {
        if (isFatal(e)) fatal ??= e;
        else {
          summary.failed += inFlight.length;
          summary.errors.push(`looking for certificates of interrupted calls: ${errorLine(e)}`);
          log.error(summary.errors.at(-1)!);
        }
      }
    }
  } finally {
    progress.finish();
  }
  summary.interrupted = io.signal?.aborted === true;
  if (fatal !== undefined) summary.fatal = fatal instanceof ElfError ? fatal : new ElfError(`lost the control plane: ${errorLine(fatal)}; run \`elf clean\` again`, 'ELF_NETWORK');
  summary.stats = { ...caller.stats };
  let dirRemoved = false;
  if (store.state && store.state.things.length === 0) dirRemoved = await store.removeState();
  else {
    await store.compact();
    await store.close();
  }
  summary.elapsedMs = Date.now() - started;
  return { kind: 'cleaned', dirRemoved, ...summary };
}
