import { randomBytes } from 'node:crypto';
import fsp from 'node:fs/promises';
import { ElfError, UsageError } from '../errors.js';
import { newRunId, shardIndexes, type Shard } from '../fleet/shard.js';
import { highestIndex } from '../fleet/state.js';
import type { Fleet } from '../fleet/fleet.js';
import { diskError, type FleetStore } from '../fleet/store.js';
import type { FleetState } from '../fleet/types.js';
import type { Logger } from '../log.js';
import { type ResolvedTarget, toFleetTarget } from '../target/target.js';
import type { Clock } from '../util/clock.js';
import { makeThing, type MakeContext } from './create-thing.js';
import { DEFAULT_PREFIX, DEFAULT_TOPIC_ROOT } from './defaults.js';
import { forEachThing, newSummary, reportProgress, type EachThing, type ProvisionProgress, type RunSummary } from './each-thing.js';
import { Caller, type IotApi, makeIotClient, sdkIotApi } from './iot.js';
import { THING_NAME_RE, topicRootProblem } from './policy.js';

/**
 * `elf create`: per thing, in this order, each result recorded in the fleet journal before the next
 * call (so a crash leaves nothing `elf clean` cannot find):
 *   CreateKeysAndCertificate(setAsActive) → record cert id/ARN → write cert and keys (0600) → record files
 *   → record "thing requested" → CreateThing (attribute elf_fleet=<fleet id>) → record ARN
 *   → AttachThingPrincipal → record → record policy name → CreatePolicy → record ARN → AttachPolicy → record.
 * The only window a crash can leave unrecorded is between AWS creating a certificate and its answer
 * reaching elf: no API call can name a certificate before it exists.
 */

export { DEFAULT_CONCURRENCY, DEFAULT_PREFIX, DEFAULT_TOPIC_ROOT, FLEET_ATTRIBUTE } from './defaults.js';
export { isFatal, type ProvisionProgress, type RunSummary } from './each-thing.js';

export interface CreateRequest {
  count: number;
  /** grow an existing fleet instead of refusing */
  add: boolean;
  /** undefined = not given (the default, or the existing fleet's) */
  prefix?: string;
  topicRoot?: string;
  concurrency: number;
  /** the fleet of the state dir, as read once at the CLI edge */
  fleet: Fleet;
  /** where to make it, resolved once at the CLI edge; asked for after the request is checked */
  target: () => Promise<ResolvedTarget>;
  /** pace calls at AWS's default API rates (default true) */
  pacing?: boolean;
  /** stamped on every thing as attribute elf_run (default: the fleet's, or a fresh one) */
  runId?: string;
  /** make only this shard's things of a fleet of `count` (names keep their global index) */
  shard?: Shard;
}

export interface CreateIo {
  log: Logger;
  /** after each thing, and once when the things are done (the CLI draws a bar) */
  onProgress?: (p: ProvisionProgress) => void;
  /** a thing's error, one line (default: an ERROR log line; the CLI holds them back while its bar is drawn) */
  onThingError?: (line: string) => void;
  signal?: AbortSignal;
  /** the control plane to use (tests may wrap the real one) */
  api?: (target: ResolvedTarget) => IotApi;
  /** clock for pacing and backoff (tests) */
  clock?: Clock;
  /** space held in reserve in the state dir for recording after the disk fills (tests) */
  reserveBytes?: number;
}

export function validatePrefix(prefix: string): string | undefined {
  if (!/^[a-zA-Z0-9_-]{1,100}$/.test(prefix)) return 'may only contain letters, digits, "_" and "-" (1–100 of them)';
  return undefined;
}

function fatalFrom(error: unknown, target: ResolvedTarget): ElfError {
  if (error instanceof ElfError) return error;
  return new ElfError(`lost the control plane at ${target.endpointUrl ?? `AWS ${target.region}`}: ${(error as Error).message?.split('\n')[0]}; what was made is recorded`, 'ELF_NETWORK');
}

function describeWhere(state: FleetState): string {
  return state.target.endpointUrl ? `at ${state.target.endpointUrl}` : `in AWS ${state.target.region}`;
}

/**
 * `elf create`: checks the request against the fleet on disk, resolves where to make it, opens the
 * fleet's journal, names the new things and makes them (create-thing.ts), `concurrency` at a time.
 */
export async function runCreate(req: CreateRequest, io: CreateIo): Promise<RunSummary> {
  const started = Date.now();
  const { log } = io;
  const stateDir = req.fleet.dir;

  // 1. what is on disk already (a damaged state stopped us at the edge, before any call)
  const existing = req.fleet.state;
  const { prefix, topicRoot, hasThings, runId } = checkRequest(req, existing);

  // 2. where to make it
  const target = await req.target();
  log.info({ region: target.region, endpoint: target.endpointUrl ?? 'AWS', local: target.local }, 'target');

  // 3. a writable state dir before any resource exists
  const store = await req.fleet.openStore({
    init: { target: toFleetTarget(target), prefix, topicRoot, fleetId: newFleetId(), runId, ...(req.shard ? { shard: req.shard, fleetSize: req.count } : {}) },
    ...(io.reserveBytes !== undefined ? { reserveBytes: io.reserveBytes } : {}),
  });
  const summary: RunSummary = { runId, ...newSummary(req.count, stateDir, target) };
  try {
    if (!hasThings && existing) await store.setHeader({ target: toFleetTarget(target), prefix, topicRoot });
    if (!store.state?.fleetId) await store.setHeader({ fleetId: newFleetId() });
    if (store.state?.runId !== runId) await store.setHeader({ runId });
    // 4. names, then 5. the things
    const names = await newNames(store, stateDir, prefix, req, log);
    summary.requested = names.length;
    await makeAll(req, io, { store, target, topicRoot, runId, summary }, names);
    await store.compact();
  } finally {
    await store.close();
  }
  summary.elapsedMs = Date.now() - started;
  return summary;
}

const newFleetId = () => randomBytes(8).toString('hex');

/** The fleet's prefix and topic root: an existing fleet's (it can only grow), else the request's. */
function checkRequest(req: CreateRequest, existing: FleetState | undefined): { prefix: string; topicRoot: string; hasThings: boolean; runId: string } {
  const hasThings = Boolean(existing && existing.things.length > 0);
  const thingsFile = req.fleet.thingsFile;
  if (existing && hasThings) {
    if (!req.add) {
      throw new ElfError(
        `${req.fleet.dir} already holds a fleet of ${existing.things.length} things (made ${describeWhere(existing)}); grow it with \`elf create ${req.count} --add\` or remove it first with \`elf clean\``,
        'ELF_FLEET_EXISTS',
      );
    }
    if (req.prefix !== undefined && req.prefix !== existing.prefix) throw new UsageError(`--prefix ${req.prefix} differs from the fleet's prefix "${existing.prefix}" in ${thingsFile}`);
    if (req.topicRoot !== undefined && req.topicRoot !== existing.topicRoot) throw new UsageError(`--topic-root ${req.topicRoot} differs from the fleet's topic root "${existing.topicRoot}" in ${thingsFile}`);
  }
  if (req.shard && hasThings) throw new UsageError(`--shard makes one shard of a new fleet; ${req.fleet.dir} already holds one (\`elf clean\` it, or use another --state-dir)`);
  if (req.runId !== undefined && hasThings && existing!.runId !== undefined && existing!.runId !== req.runId) {
    throw new UsageError(`--run-id ${req.runId} differs from the fleet's run id "${existing!.runId}" in ${thingsFile}`);
  }
  const runId = (hasThings ? existing!.runId : undefined) ?? req.runId ?? newRunId();
  const prefix = hasThings ? existing!.prefix : (req.prefix ?? DEFAULT_PREFIX);
  const topicRoot = hasThings ? existing!.topicRoot : (req.topicRoot ?? DEFAULT_TOPIC_ROOT);
  const pp = validatePrefix(prefix);
  if (pp) throw new UsageError(`--prefix "${prefix}" ${pp}`);
  const tp = topicRootProblem(topicRoot);
  if (tp) throw new UsageError(`--topic-root "${topicRoot}" ${tp}`);
  return { prefix, topicRoot, hasThings, runId };
}

/**
 * `count` new names, continuing after the highest recorded index and after any stray key file; for
 * a shard, the global indexes ≡ i (mod n) of a fleet of `count` (fleet/shard.ts).
 */
async function newNames(store: FleetStore, stateDir: string, prefix: string, req: CreateRequest, log: Logger): Promise<string[]> {
  let files: string[] = [];
  try {
    files = (await fsp.readdir(stateDir)).filter((f) => /\.(pem|pub|prv)$/.test(f)).map((f) => f.replace(/\.(pem|pub|prv)$/, ''));
  } catch {
    files = [];
  }
  const recordedMax = highestIndex((store.state?.things ?? []).map((t) => t.name), prefix);
  const fileMax = highestIndex(files, prefix);
  if (fileMax > recordedMax) log.warn({ stateDir }, `key files for ${prefix}${fileMax} exist without a record; new things start after them`);
  const start = Math.max(recordedMax, fileMax) + 1;
  const names = req.shard ? shardIndexes(req.count, req.shard).map((k) => `${prefix}${k}`) : Array.from({ length: req.count }, (_, i) => `${prefix}${start + i}`);
  const tooLong = names.find((n) => !THING_NAME_RE.test(n));
  if (tooLong) throw new UsageError(`thing name ${tooLong} is not a valid AWS IoT thing name`);
  return names;
}

/** Makes the named things, `concurrency` at a time, until done, a fatal error, a full disk or Ctrl-C. */
async function makeAll(req: CreateRequest, io: CreateIo, fleet: { store: FleetStore; target: ResolvedTarget; topicRoot: string; runId: string; summary: RunSummary }, names: string[]): Promise<void> {
  const { store, target, summary } = fleet;
  const api = io.api ? io.api(target) : sdkIotApi(makeIotClient(target));
  const caller = new Caller({ log: io.log, pacing: req.pacing ?? true, ...(io.clock ? { clock: io.clock } : {}) });
  const ctx: MakeContext = { api, caller, store, target, fleetId: store.state!.fleetId!, runId: fleet.runId, topicRoot: fleet.topicRoot };
  const run: EachThing = {
    summary,
    log: io.log,
    concurrency: req.concurrency,
    onProgress: io.onProgress,
    onThingError: io.onThingError,
    shouldStop: () => {
      if (store.diskFull) run.fatal ??= diskError(Object.assign(new Error('disk full'), { code: 'ENOSPC' }), req.fleet.dir, 'state dir');
      return run.fatal !== undefined || io.signal?.aborted === true;
    },
  };
  await forEachThing(run, names, async (name) => {
    await makeThing(ctx, name);
    return true;
  });
  reportProgress(run, true);
  summary.interrupted = io.signal?.aborted === true;
  if (run.fatal !== undefined) summary.fatal = fatalFrom(run.fatal, target);
  summary.stats = { ...caller.stats };
}
