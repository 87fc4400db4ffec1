import type { Fleet } from '../fleet/fleet.js';
import type { FleetStore } from '../fleet/store.js';
import type { ThingRecord } from '../fleet/types.js';
import type { Logger } from '../log.js';
import { FLEET_ATTRIBUTE } from './defaults.js';
import type { Caller, IotApi } from './iot.js';
import type { InFlightCall } from './orphans.js';
import { parseArn, policyDocumentText, samePolicy } from './policy.js';
import { classifyError } from './retry.js';
import type { ThingOutcome } from './each-thing.js';

/** Why a thing's resource was left untouched (the summary counts them by these words). */
export const NOT_OURS_THING = 'a thing of that name that this fleet did not make';
export const NOT_OURS_POLICY = 'a policy of that name that this fleet did not make';

/** What removing one thing needs: the control plane, the fleet's journal and header values. */
export interface RemoveContext {
  api: IotApi;
  caller: Caller;
  store: FleetStore;
  log: Logger;
  /** the fleet's files */
  fleet: Fleet;
  fleetId: string | undefined;
  topicRoot: string;
  /** things whose only record is a CreateKeysAndCertificate call that never came back (for the orphan sweep) */
  inFlight: InFlightCall[];
}

const gone = (e: unknown) => classifyError(e) === 'not-found';

/** Runs a delete call; "already gone" counts as done. */
async function removing(call: () => Promise<unknown>): Promise<boolean> {
  try {
    await call();
    return true;
  } catch (e) {
    if (!gone(e)) throw e;
    return false;
  }
}

/**
 * Removes one thing in AWS's order (policy, certificate, thing), then its key files and its record;
 * each step journalled as it completes. Returns false when the thing waits for the orphan sweep.
 */
export async function cleanThing(ctx: RemoveContext, name: string): Promise<ThingOutcome> {
  const first = ctx.store.thing(name) ?? { name };
  if (first.certRequestedAt && !first.certificateId && !first.thingArn && !first.thingRequested && !first.policyName) {
    // only a CreateKeysAndCertificate call that never came back: see sweep.ts
    ctx.inFlight.push({ name, at: Date.parse(first.certRequestedAt) || Date.now() });
    return false;
  }
  const certArn = first.certificateArn;
  const policyKept = await removePolicy(ctx, name, certArn);
  await removeCertificate(ctx, name, certArn);
  const thingKept = await removeThingResource(ctx, name);
  await ctx.fleet.removeKeyFiles(record(ctx, name));
  await ctx.store.dropThing(name);
  // the rest of it is removed; what is not ours was left, and the count says so
  const kept = thingKept ?? policyKept;
  return kept === undefined ? true : { leftAlone: kept };
}

const record = (ctx: RemoveContext, name: string): ThingRecord => ctx.store.thing(name) ?? { name };

/** 1. the policy: detached from the certificate, deleted; one whose creation was never confirmed only if it is the document this fleet makes. Returns why it was left, if it was. */
async function removePolicy(ctx: RemoveContext, name: string, certArn: string | undefined): Promise<string | undefined> {
  const { caller, api, store } = ctx;
  const policyName = record(ctx, name).policyName;
  if (!policyName) return record(ctx, name).policyNameTaken ? NOT_OURS_POLICY : undefined;
  const whose = record(ctx, name).policyArn ? 'ours' : await policyIsOurs(ctx, name, policyName, certArn);
  const ours = whose === 'ours';
  if (ours) {
    if (certArn) {
      await removing(() => caller.call('DetachPolicy', () => api.detachPolicy(policyName, certArn)));
      await store.unsetThing(name, ['policyAttached']);
    }
    await removing(() => caller.call('DeletePolicy', () => api.deletePolicy(policyName), { retryConflicts: true }));
  }
  await store.unsetThing(name, ['policyName', 'policyArn', 'policyAttached']);
  return whose === 'theirs' ? NOT_OURS_POLICY : undefined;
}

/** CreatePolicy's outcome was never recorded: the policy is ours if it holds the document this fleet would have made. */
async function policyIsOurs(ctx: RemoveContext, name: string, policyName: string, certArn: string | undefined): Promise<'ours' | 'theirs' | 'gone'> {
  try {
    const p = await ctx.caller.call('GetPolicy', () => ctx.api.getPolicy(policyName));
    const arn = certArn ? parseArn(certArn) : undefined;
    const ours = Boolean(arn) && samePolicy(p.policyDocument, policyDocumentText({ region: arn!.region, account: arn!.account, partition: arn!.partition, thingName: name, topicRoot: ctx.topicRoot }));
    if (!ours) ctx.log.debug({ policyName }, 'policy exists but was not made by this fleet: left alone');
    return ours ? 'ours' : 'theirs';
  } catch (e) {
    if (!gone(e)) throw e;
    return 'gone';
  }
}

/** 2. the certificate: deactivated, detached from the thing, deleted */
async function removeCertificate(ctx: RemoveContext, name: string, certArn: string | undefined): Promise<void> {
  const { caller, api, store } = ctx;
  const certificateId = record(ctx, name).certificateId;
  if (!certificateId) return;
  const exists = await removing(() => caller.call('UpdateCertificate', () => api.updateCertificate(certificateId, 'INACTIVE')));
  const rec = record(ctx, name);
  if (exists && certArn && (rec.thingArn || rec.thingRequested || rec.principalAttached)) {
    await removing(() => caller.call('DetachThingPrincipal', () => api.detachThingPrincipal(name, certArn)));
    await store.unsetThing(name, ['principalAttached']);
  }
  if (exists) await removing(() => caller.call('DeleteCertificate', () => api.deleteCertificate(certificateId), { retryConflicts: true }));
  await store.unsetThing(name, ['certificateId', 'certificateArn', 'principalAttached']);
}

/** 3. the thing; one whose creation was never confirmed only if it carries this fleet's attribute. Returns why it was left, if it was. */
async function removeThingResource(ctx: RemoveContext, name: string): Promise<string | undefined> {
  const { caller, api } = ctx;
  const rec = record(ctx, name);
  // create found the name taken by a thing this fleet did not make (and left it)
  if (rec.nameTaken) return NOT_OURS_THING;
  if (!rec.thingArn && !rec.thingRequested) return undefined;
  let ours = Boolean(rec.thingArn);
  let exists = true;
  if (!ours) {
    try {
      const t = await caller.call('DescribeThing', () => api.describeThing(name));
      ours = ctx.fleetId !== undefined && t.attributes[FLEET_ATTRIBUTE] === ctx.fleetId;
      if (!ours) ctx.log.debug({ thing: name }, 'thing exists but was not made by this fleet: left alone');
    } catch (e) {
      if (!gone(e)) throw e;
      exists = false;
    }
  }
  if (ours && exists) await removing(() => caller.call('DeleteThing', () => api.deleteThing(name), { retryConflicts: true }));
  await ctx.store.unsetThing(name, ['thingArn', 'thingRequested']);
  return exists && !ours ? NOT_OURS_THING : undefined;
}
