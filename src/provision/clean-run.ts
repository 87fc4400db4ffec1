import { ElfError } from '../errors.js';
import { owns, RUN_ATTRIBUTE, type Shard } from '../fleet/shard.js';
import type { ResolvedTarget } from '../target/target.js';
import type { CreateIo } from './create.js';
import { forEachThing, isFatal, reportProgress, type EachThing, type RunSummary } from './each-thing.js';
import { Caller, errorLine, type IotApi, makeIotClient, sdkIotApi } from './iot.js';
import { policyNameFor } from './policy.js';
import { classifyError } from './retry.js';

/**
 * `elf clean --run-id <id>`: removes a run's things from the control plane with no local state at
 * all (the pods of a Kubernetes Job are gone, a crashed pod's state with them). The things are found
 * by their attribute elf_run=<id> (ListThings' attribute filter), their certificates through
 * ListThingPrincipals, the policies on those through ListAttachedPolicies; then AWS's order:
 *   DetachPolicy → DeletePolicy (elf's own per-thing policy only) → UpdateCertificate(INACTIVE)
 *   → DetachThingPrincipal → DeleteCertificate → DeleteThing
 * Other policies attached to a certificate are detached, not deleted. "Already gone" counts as done,
 * and the eventually consistent deletes after a detach are retried (Caller). What a run cannot
 * reach this way: a certificate whose thing was never created (a crash between the two calls).
 */

export interface CleanRunRequest {
  runId: string;
  /** only the things of this shard (their name's index ≡ i mod n) */
  shard?: Shard;
  concurrency: number;
  /** the control plane, resolved at the CLI edge from the flags and the environment */
  target: () => Promise<ResolvedTarget>;
  pacing?: boolean;
}

const gone = (e: unknown) => classifyError(e) === 'not-found';

async function ignoringGone(fn: () => Promise<unknown>): Promise<void> {
  try {
    await fn();
  } catch (e) {
    if (!gone(e)) throw e;
  }
}

/** the index at the end of a thing's name (thing_12 → 12) */
const trailingIndex = (name: string): number | undefined => {
  const m = /(\d+)$/.exec(name);
  return m ? Number(m[1]) : undefined;
};

async function findThings(api: IotApi, caller: Caller, req: CleanRunRequest): Promise<string[]> {
  const names: string[] = [];
  let token: string | undefined;
  do {
    const page = await caller.call('ListThings', () => api.listThingsByAttribute(RUN_ATTRIBUTE, req.runId, token));
    names.push(...page.things);
    token = page.nextToken;
  } while (token);
  if (!req.shard) return names;
  return names.filter((n) => {
    const k = trailingIndex(n);
    return k !== undefined && owns(req.shard, k);
  });
}

function cleanThing(api: IotApi, caller: Caller): (name: string) => Promise<void> {
  return async (name) => {
    let principals: string[];
    try {
      principals = await caller.call('ListThingPrincipals', () => api.listThingPrincipals(name));
    } catch (e) {
      if (gone(e)) return;
      throw e;
    }
    const own = policyNameFor(name);
    for (const cert of principals) {
      let policies: string[] = [];
      try {
        policies = await caller.call('ListAttachedPolicies', () => api.listAttachedPolicies(cert));
      } catch (e) {
        if (!gone(e)) throw e;
      }
      for (const p of policies) await ignoringGone(() => caller.call('DetachPolicy', () => api.detachPolicy(p, cert)));
      if (policies.includes(own)) await ignoringGone(() => caller.call('DeletePolicy', () => api.deletePolicy(own), { retryConflicts: true }));
      const certificateId = cert.split('/').pop()!;
      await ignoringGone(() => caller.call('UpdateCertificate', () => api.updateCertificate(certificateId, 'INACTIVE')));
      await ignoringGone(() => caller.call('DetachThingPrincipal', () => api.detachThingPrincipal(name, cert)));
      await ignoringGone(() => caller.call('DeleteCertificate', () => api.deleteCertificate(certificateId), { retryConflicts: true }));
    }
    await ignoringGone(() => caller.call('DeleteThing', () => api.deleteThing(name), { retryConflicts: true }));
  };
}

export async function runCleanRun(req: CleanRunRequest, io: CreateIo): Promise<RunSummary> {
  const started = Date.now();
  const { log } = io;
  const target = await req.target();
  const api = io.api ? io.api(target) : sdkIotApi(makeIotClient(target));
  const caller = new Caller({ log, pacing: req.pacing ?? true, ...(io.clock ? { clock: io.clock } : {}) });
  const where = target.endpointUrl ?? `AWS ${target.region}`;
  const summary: RunSummary = { requested: 0, succeeded: 0, failed: 0, elapsedMs: 0, stateDir: '-', target, errors: [], interrupted: false, stats: { calls: 0, retries: 0, throttled: 0 }, runId: req.runId };
  let things: string[];
  try {
    things = await findThings(api, caller, req);
  } catch (e) {
    if (isFatal(e)) throw e instanceof ElfError ? e : new ElfError(`ListThings at ${where} failed: ${errorLine(e)}`, 'ELF_NETWORK');
    throw new ElfError(`ListThings at ${where} failed: ${errorLine(e)}`);
  }
  summary.requested = things.length;
  log.info({ runId: req.runId, things: things.length, ...(req.shard ? { shard: `${req.shard.index}/${req.shard.count}` } : {}) }, 'things of the run');
  const run: EachThing = { summary, log, concurrency: req.concurrency, onProgress: io.onProgress, onThingError: io.onThingError, shouldStop: () => io.signal?.aborted === true };
  const clean = cleanThing(api, caller);
  await forEachThing(run, things, async (name) => {
    await clean(name);
    return true;
  });
  reportProgress(run, true);
  const { fatal } = run;
  summary.interrupted = io.signal?.aborted === true;
  if (fatal !== undefined) summary.fatal = fatal instanceof ElfError ? fatal : new ElfError(`lost the control plane at ${where}: ${errorLine(fatal)}`, 'ELF_NETWORK');
  summary.stats = { ...caller.stats };
  summary.elapsedMs = Date.now() - started;
  return summary;
}
