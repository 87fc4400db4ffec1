import { randomBytes } from 'node:crypto';
import fsp from 'node:fs/promises';
import { ElfError, UsageError } from '../errors.js';
import { newRunId, RUN_ATTRIBUTE, shardIndexes, type Shard } from '../fleet/shard.js';
import { highestIndex } from '../fleet/state.js';
import type { Fleet } from '../fleet/fleet.js';
import { diskError } from '../fleet/store.js';
import type { FleetState } from '../fleet/types.js';
import type { Logger } from '../log.js';
import { type ResolvedTarget, toFleetTarget } from '../target/target.js';
import { Caller, type IotApi, FatalApiError, errorLine, makeIotClient, sdkIotApi } from './iot.js';
import { parseArn, policyDocumentText, policyNameFor, samePolicy, THING_NAME_RE, topicRootProblem } from './policy.js';
import { createProgress } from './progress.js';
import { runPool } from './pool.js';
import { classifyError } from './retry.js';
import type { Clock } from '../util/clock.js';
import { DEFAULT_PREFIX, DEFAULT_TOPIC_ROOT, FLEET_ATTRIBUTE } from './defaults.js';

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
  progressStream?: NodeJS.WriteStream;
  signal?: AbortSignal;
  /** the control plane to use (tests may wrap the real one) */
  api?: (target: ResolvedTarget) => IotApi;
  /** clock for pacing and backoff (tests) */
  clock?: Clock;
  /** space held in reserve in the state dir for recording after the disk fills (tests) */
  reserveBytes?: number;
}

export interface RunSummary {
  requested: number;
  succeeded: number;
  failed: number;
  elapsedMs: number;
  stateDir: string;
  target: ResolvedTarget;
  /** first few per-thing errors, one line each */
  errors: string[];
  /** a failure that stopped the run (access denied, disk full, endpoint gone) */
  fatal?: ElfError;
  interrupted: boolean;
  stats: { calls: number; retries: number; throttled: number };
  /** create: the run id every thing carries (attribute elf_run); `elf clean --run-id` finds them by it */
  runId?: string;
}

export function validatePrefix(prefix: string): string | undefined {
  if (!/^[a-zA-Z0-9_-]{1,100}$/.test(prefix)) return 'may only contain letters, digits, "_" and "-" (1–100 of them)';
  return undefined;
}

/** Errors that would fail every other thing the same way: stop starting new ones. */
export function isFatal(error: unknown): boolean {
  if (error instanceof FatalApiError) return true;
  if (error instanceof ElfError) return /^ELF_(STATE|DISK)/.test(error.code);
  return classifyError(error) === 'network';
}

function fatalFrom(error: unknown, target: ResolvedTarget): ElfError {
  if (error instanceof ElfError) return error;
  return new ElfError(`lost the control plane at ${target.endpointUrl ?? `AWS ${target.region}`}: ${(error as Error).message?.split('\n')[0]}; what was made is recorded`, 'ELF_NETWORK');
}

function describeWhere(state: FleetState): string {
  return state.target.endpointUrl ? `at ${state.target.endpointUrl}` : `in AWS ${state.target.region}`;
}

export async function runCreate(req: CreateRequest, io: CreateIo): Promise<RunSummary> {
  const started = Date.now();
  const { log } = io;
  const stateDir = req.fleet.dir;
  const thingsFile = req.fleet.thingsFile;

  // 1. what is on disk already (a damaged state stopped us at the edge, before any call)
  const existing = req.fleet.state;
  const hasThings = Boolean(existing && existing.things.length > 0);
  if (existing && hasThings) {
    if (!req.add) {
      throw new ElfError(
        `${stateDir} already holds a fleet of ${existing.things.length} things (made ${describeWhere(existing)}); grow it with \`elf create ${req.count} --add\` or remove it first with \`elf clean\``,
        'ELF_FLEET_EXISTS',
      );
    }
    if (req.prefix !== undefined && req.prefix !== existing.prefix) throw new UsageError(`--prefix ${req.prefix} differs from the fleet's prefix "${existing.prefix}" in ${thingsFile}`);
    if (req.topicRoot !== undefined && req.topicRoot !== existing.topicRoot) throw new UsageError(`--topic-root ${req.topicRoot} differs from the fleet's topic root "${existing.topicRoot}" in ${thingsFile}`);
  }
  if (req.shard && hasThings) throw new UsageError(`--shard makes one shard of a new fleet; ${stateDir} already holds one (\`elf clean\` it, or use another --state-dir)`);
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

  // 2. where to make it
  const target = await req.target();
  log.info({ region: target.region, endpoint: target.endpointUrl ?? 'AWS', local: target.local }, 'target');

  // 3. a writable state dir before any resource exists
  const store = await req.fleet.openStore({
    init: { target: toFleetTarget(target), prefix, topicRoot, fleetId: randomBytes(8).toString('hex'), runId, ...(req.shard ? { shard: req.shard, fleetSize: req.count } : {}) },
    ...(io.reserveBytes !== undefined ? { reserveBytes: io.reserveBytes } : {}),
  });
  const summary: RunSummary = { runId, requested: req.count, succeeded: 0, failed: 0, elapsedMs: 0, stateDir, target, errors: [], interrupted: false, stats: { calls: 0, retries: 0, throttled: 0 } };
  try {
    if (!hasThings && existing) await store.setHeader({ target: toFleetTarget(target), prefix, topicRoot });
    if (!store.state?.fleetId) await store.setHeader({ fleetId: randomBytes(8).toString('hex') });
    if (store.state?.runId !== runId) await store.setHeader({ runId });
    const fleetId = store.state!.fleetId!;

    // 4. names: continue after the highest recorded index and after any stray key file
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
    // a shard: the global indexes ≡ i (mod n) of a fleet of `count` (fleet/shard.ts)
    const names = req.shard ? shardIndexes(req.count, req.shard).map((k) => `${prefix}${k}`) : Array.from({ length: req.count }, (_, i) => `${prefix}${start + i}`);
    summary.requested = names.length;
    const tooLong = names.find((n) => !THING_NAME_RE.test(n));
    if (tooLong) throw new UsageError(`thing name ${tooLong} is not a valid AWS IoT thing name`);

    // 5. make them
    const api = io.api ? io.api(target) : sdkIotApi(makeIotClient(target));
    const caller = new Caller({ log, pacing: req.pacing ?? true, ...(io.clock ? { clock: io.clock } : {}) });
    const progress = createProgress(io.progressStream ?? process.stderr, 'creating', names.length);
    let fatal: unknown;

    const makeThing = async (name: string): Promise<void> => {
      await store.setThing(name, { certRequestedAt: new Date().toISOString() });
      let cert: Awaited<ReturnType<IotApi['createKeysAndCertificate']>>;
      try {
        cert = await caller.call('CreateKeysAndCertificate', () => api.createKeysAndCertificate());
      } catch (e) {
        // a definite refusal created nothing; a network failure may have (the record stays, clean warns)
        if (classifyError(e) !== 'network') await store.dropThing(name);
        throw e;
      }
      await store.setThing(name, { certificateId: cert.certificateId, certificateArn: cert.certificateArn });
      const arn = parseArn(cert.certificateArn);
      if (!arn || !/^\d{12}$/.test(arn.account)) throw new ElfError(`CreateKeysAndCertificate returned an unexpected certificate ARN: ${cert.certificateArn}`);
      if (!store.state?.target.account) await store.setHeader({ target: { ...store.state!.target, account: arn.account } });

      const fileNames = { cert: `${name}.pem`, publicKey: `${name}.pub`, privateKey: `${name}.prv` };
      await store.writeKeyFile(fileNames.privateKey, cert.privateKey);
      await store.writeKeyFile(fileNames.publicKey, cert.publicKey);
      await store.writeKeyFile(fileNames.cert, cert.certificatePem);
      await store.setThing(name, { files: fileNames });

      await store.setThing(name, { thingRequested: true });
      let thing: { thingArn: string };
      try {
        thing = await caller.call('CreateThing', () => api.createThing(name, { [FLEET_ATTRIBUTE]: fleetId, [RUN_ATTRIBUTE]: runId }));
      } catch (e) {
        if (classifyError(e) === 'exists') {
          await store.unsetThing(name, ['thingRequested']);
          throw new ElfError(`thing ${name} already exists ${target.local ? 'in the stand-in' : `in region ${target.region}`} and was not made by this fleet; remove it or choose another --prefix`);
        }
        throw e;
      }
      await store.setThing(name, { thingArn: thing.thingArn });

      await caller.call('AttachThingPrincipal', () => api.attachThingPrincipal(name, cert.certificateArn));
      await store.setThing(name, { principalAttached: true });

      const policyName = policyNameFor(name);
      const document = policyDocumentText({ region: arn.region || target.region, account: arn.account, partition: arn.partition, thingName: name, topicRoot });
      await store.setThing(name, { policyName });
      let policyArn: string;
      try {
        policyArn = (await caller.call('CreatePolicy', () => api.createPolicy(policyName, document))).policyArn;
      } catch (e) {
        if (classifyError(e) !== 'exists') throw e;
        // ours if an earlier attempt of this very call succeeded (same document), else someone else's
        const existingPolicy = await caller.call('GetPolicy', () => api.getPolicy(policyName));
        if (!samePolicy(existingPolicy.policyDocument, document)) {
          await store.unsetThing(name, ['policyName']);
          throw new ElfError(`policy ${policyName} already exists with another document and was not made by this fleet; delete it or choose another --prefix`);
        }
        policyArn = existingPolicy.policyArn;
      }
      await store.setThing(name, { policyArn });

      await caller.call('AttachPolicy', () => api.attachPolicy(policyName, cert.certificateArn));
      await store.setThing(name, { policyAttached: true });
    };

    await runPool(
      names,
      req.concurrency,
      async (name) => {
        try {
          await makeThing(name);
          summary.succeeded++;
        } catch (e) {
          summary.failed++;
          if (isFatal(e)) {
            fatal ??= e;
          } else {
            const line = `${name}: ${errorLine(e)}`;
            if (summary.errors.length < 5) summary.errors.push(line);
            log.error(line);
          }
        }
        progress.update(summary.succeeded, summary.failed);
      },
      () => {
        if (store.diskFull) fatal ??= diskError(Object.assign(new Error('disk full'), { code: 'ENOSPC' }), stateDir, 'state dir');
        return fatal !== undefined || io.signal?.aborted === true;
      },
    );
    progress.finish();
    summary.interrupted = io.signal?.aborted === true;
    if (fatal !== undefined) summary.fatal = fatalFrom(fatal, target);
    summary.stats = { ...caller.stats };
    await store.compact();
  } finally {
    await store.close();
  }
  summary.elapsedMs = Date.now() - started;
  return summary;
}
