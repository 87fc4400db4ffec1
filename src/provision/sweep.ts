import type { RemoveContext } from './clean-thing.js';
import type { RunSummary } from './each-thing.js';
import { inWindow, orphanWindow, sweepDecision, type ListedCertificate } from './orphans.js';
import { classifyError } from './retry.js';

/**
 * Finds (and, when `deleteAllowed`, deletes) the certificates made by CreateKeysAndCertificate calls
 * that never came back (`ctx.inFlight`): unrecorded, unattached certificates created in the window of
 * those calls. Then forgets those things; the summary counts them.
 */
export async function sweepOrphans(ctx: RemoveContext, summary: RunSummary, recordedCerts: ReadonlySet<string>, deleteAllowed: boolean): Promise<void> {
  const { inFlight, log } = ctx;
  const unattached = await unattachedCandidates(ctx, recordedCerts);
  const names = inFlight.map((c) => c.name).join(', ');
  const decision = sweepDecision(unattached.length, inFlight.length, deleteAllowed);
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
  for (const c of decision.action === 'delete' ? unattached : []) await deleteOrphan(ctx, c);
  for (const c of inFlight) {
    await ctx.fleet.removeKeyFiles(ctx.store.thing(c.name) ?? { name: c.name });
    await ctx.store.dropThing(c.name);
  }
  summary.succeeded += inFlight.length;
}

/** Certificates created in the in-flight calls' window that no record names and nothing is attached to. */
async function unattachedCandidates(ctx: RemoveContext, recordedCerts: ReadonlySet<string>): Promise<ListedCertificate[]> {
  const { caller, api } = ctx;
  const w = orphanWindow(ctx.inFlight);
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
  return unattached;
}

async function deleteOrphan(ctx: RemoveContext, c: ListedCertificate): Promise<void> {
  try {
    await ctx.caller.call('UpdateCertificate', () => ctx.api.updateCertificate(c.certificateId, 'INACTIVE'));
    await ctx.caller.call('DeleteCertificate', () => ctx.api.deleteCertificate(c.certificateId), { retryConflicts: true });
  } catch (e) {
    if (classifyError(e) !== 'not-found') throw e;
  }
  ctx.log.warn({ certificateId: c.certificateId, created: c.creationDate.toISOString() }, 'deleted a certificate made by a CreateKeysAndCertificate call elf was stopped in');
}
