import { ElfError } from '../errors.js';
import { RUN_ATTRIBUTE } from '../fleet/shard.js';
import type { FleetStore } from '../fleet/store.js';
import type { ResolvedTarget } from '../target/target.js';
import { FLEET_ATTRIBUTE } from './defaults.js';
import type { Caller, IotApi } from './iot.js';
import { parseArn, policyDocumentText, policyNameFor, samePolicy } from './policy.js';
import { classifyError } from './retry.js';

/** What making one thing needs: the control plane, the fleet's journal, and the fleet's header values. */
export interface MakeContext {
  api: IotApi;
  caller: Caller;
  store: FleetStore;
  target: ResolvedTarget;
  fleetId: string;
  /** stamped on every thing (attribute elf_run) */
  runId: string;
  topicRoot: string;
}

type Certificate = Awaited<ReturnType<IotApi['createKeysAndCertificate']>>;

/**
 * Makes one thing, in this order, each result recorded in the fleet journal before the next call (so a
 * crash leaves nothing `elf clean` cannot find): keys and certificate, key files, the thing, the
 * certificate attached to it, its policy, the policy attached to the certificate.
 */
export async function makeThing(ctx: MakeContext, name: string): Promise<void> {
  const cert = await makeCertificate(ctx, name);
  await writeKeyFiles(ctx, name, cert);
  await makeThingResource(ctx, name);
  await ctx.caller.call('AttachThingPrincipal', () => ctx.api.attachThingPrincipal(name, cert.certificateArn));
  await ctx.store.setThing(name, { principalAttached: true });
  const policyName = await makePolicy(ctx, name, cert.certificateArn);
  await ctx.caller.call('AttachPolicy', () => ctx.api.attachPolicy(policyName, cert.certificateArn));
  await ctx.store.setThing(name, { policyAttached: true });
}

/** CreateKeysAndCertificate (active); the account is learnt from the first certificate's ARN. */
async function makeCertificate(ctx: MakeContext, name: string): Promise<Certificate> {
  const { store } = ctx;
  await store.setThing(name, { certRequestedAt: new Date().toISOString() });
  let cert: Certificate;
  try {
    cert = await ctx.caller.call('CreateKeysAndCertificate', () => ctx.api.createKeysAndCertificate());
  } catch (e) {
    // a definite refusal created nothing; a network failure may have (the record stays, clean warns)
    if (classifyError(e) !== 'network') await store.dropThing(name);
    throw e;
  }
  await store.setThing(name, { certificateId: cert.certificateId, certificateArn: cert.certificateArn });
  const arn = parseArn(cert.certificateArn);
  if (!arn || !/^\d{12}$/.test(arn.account)) throw new ElfError(`CreateKeysAndCertificate returned an unexpected certificate ARN: ${cert.certificateArn}`);
  if (!store.state?.target.account) await store.setHeader({ target: { ...store.state!.target, account: arn.account } });
  return cert;
}

async function writeKeyFiles(ctx: MakeContext, name: string, cert: Certificate): Promise<void> {
  const files = { cert: `${name}.pem`, publicKey: `${name}.pub`, privateKey: `${name}.prv` };
  await ctx.store.writeKeyFile(files.privateKey, cert.privateKey);
  await ctx.store.writeKeyFile(files.publicKey, cert.publicKey);
  await ctx.store.writeKeyFile(files.cert, cert.certificatePem);
  await ctx.store.setThing(name, { files });
}

/** CreateThing with the fleet's and the run's attributes; a thing of that name made by someone else is refused. */
async function makeThingResource(ctx: MakeContext, name: string): Promise<void> {
  const { store, target } = ctx;
  await store.setThing(name, { thingRequested: true });
  let thing: { thingArn: string };
  try {
    thing = await ctx.caller.call('CreateThing', () => ctx.api.createThing(name, { [FLEET_ATTRIBUTE]: ctx.fleetId, [RUN_ATTRIBUTE]: ctx.runId }));
  } catch (e) {
    if (classifyError(e) === 'exists') {
      await store.unsetThing(name, ['thingRequested']);
      await store.setThing(name, { nameTaken: true });
      throw new ElfError(`thing ${name} already exists ${target.local ? 'in the stand-in' : `in region ${target.region}`} and was not made by this fleet; remove it or choose another --prefix`);
    }
    throw e;
  }
  await store.setThing(name, { thingArn: thing.thingArn });
}

/** The thing's least-privilege policy; one of that name with the same document is ours (a retried call). Returns its name. */
async function makePolicy(ctx: MakeContext, name: string, certificateArn: string): Promise<string> {
  const { store, caller, api } = ctx;
  const arn = parseArn(certificateArn)!;
  const policyName = policyNameFor(name);
  const document = policyDocumentText({ region: arn.region || ctx.target.region, account: arn.account, partition: arn.partition, thingName: name, topicRoot: ctx.topicRoot });
  await store.setThing(name, { policyName });
  let policyArn: string;
  try {
    policyArn = (await caller.call('CreatePolicy', () => api.createPolicy(policyName, document))).policyArn;
  } catch (e) {
    if (classifyError(e) !== 'exists') throw e;
    // ours if an earlier attempt of this very call succeeded (same document), else someone else's
    const existing = await caller.call('GetPolicy', () => api.getPolicy(policyName));
    if (!samePolicy(existing.policyDocument, document)) {
      await store.unsetThing(name, ['policyName']);
      await store.setThing(name, { policyNameTaken: true });
      throw new ElfError(`policy ${policyName} already exists with another document and was not made by this fleet; delete it or choose another --prefix`);
    }
    policyArn = existing.policyArn;
  }
  await store.setThing(name, { policyArn });
  return policyName;
}
