import fsp from 'node:fs/promises';
import path from 'node:path';
import { ElfError } from '../errors.js';
import { Fleet, removeKeyFiles } from '../fleet/fleet.js';
import { JOURNAL_FILE, STATE_FILES, THINGS_FILE, type FleetStore } from '../fleet/store.js';
import type { ThingRecord } from '../fleet/types.js';
import type { ResolvedTarget } from '../target/target.js';
import { cleanThing, type RemoveContext } from './clean-thing.js';
import type { CreateIo } from './create.js';
import { forEachThing, isFatal, newSummary, reportProgress, type EachThing, type RunSummary } from './each-thing.js';
import { Caller, errorLine, makeIotClient, sdkIotApi } from './iot.js';
import { sweepOrphans } from './sweep.js';

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

/**
 * `elf clean`: resolves where the fleet was made, removes every recorded thing (clean-thing.ts),
 * `concurrency` at a time, sweeps the certificates of calls a crash cut short (sweep.ts), then
 * removes the state when no thing is left.
 */
export async function runClean(req: CleanRequest, io: CreateIo): Promise<CleanResult> {
  const started = Date.now();
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
  const summary = newSummary(store.state!.things.length, stateDir, target);
  const caller = await removeAll(req, io, store, summary);
  summary.interrupted = io.signal?.aborted === true;
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

/** Removes every recorded thing, then sweeps for the certificates of interrupted calls; returns the caller (its stats). */
async function removeAll(req: CleanRequest, io: CreateIo, store: FleetStore, summary: RunSummary): Promise<Caller> {
  const { target } = summary;
  const state = store.state!;
  const caller = new Caller({ log: io.log, pacing: req.pacing ?? true, ...(io.clock ? { clock: io.clock } : {}) });
  const api = io.api ? io.api(target) : sdkIotApi(makeIotClient(target));
  const ctx: RemoveContext = { api, caller, store, log: io.log, fleet: req.fleet, fleetId: state.fleetId, topicRoot: state.topicRoot, inFlight: [] };
  const recordedCerts = new Set(state.things.map((t) => t.certificateId).filter((id): id is string => Boolean(id)));
  const run: EachThing = { summary, log: io.log, concurrency: req.concurrency, onProgress: io.onProgress, onThingError: io.onThingError, shouldStop: () => io.signal?.aborted === true };
  try {
    await forEachThing(run, state.things.map((t) => t.name), (name) => cleanThing(ctx, name));
    if (ctx.inFlight.length > 0 && run.fatal === undefined && !io.signal?.aborted) {
      try {
        await sweepOrphans(ctx, summary, recordedCerts, target.local || req.sweepOrphans === true);
      } catch (e) {
        if (isFatal(e)) run.fatal ??= e;
        else {
          summary.failed += ctx.inFlight.length;
          summary.errors.push(`looking for certificates of interrupted calls: ${errorLine(e)}`);
          io.log.error(summary.errors.at(-1)!);
        }
      }
    }
  } finally {
    reportProgress(run, true);
  }
  if (run.fatal !== undefined) summary.fatal = run.fatal instanceof ElfError ? run.fatal : new ElfError(`lost the control plane: ${errorLine(run.fatal)}; run \`elf clean\` again`, 'ELF_NETWORK');
  return caller;
}
