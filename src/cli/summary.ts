import type { RunSummary } from '../provision/create.js';

/** The one summary line on stdout for create/clean. */
export function formatSummary(verb: 'created' | 'removed', s: RunSummary): string {
  const where = s.target.local ? `local stand-in ${s.target.endpointUrl}` : s.target.endpointUrl ? s.target.endpointUrl : `AWS ${s.target.region}`;
  const throttled = s.stats.throttled > 0 ? `, ${s.stats.throttled} throttled calls retried` : '';
  const skipped = Object.entries(s.skipped ?? {});
  const left = skipped.reduce((a, [, n]) => a + n, 0);
  const line = `${verb} ${s.succeeded} of ${s.requested} things${left ? `, ${left} left alone` : ''}, ${s.failed} failed, in ${(s.elapsedMs / 1000).toFixed(1)} s (${where}; state in ${s.stateDir}${throttled})`;
  // why: e.g. names another fleet holds; what was this fleet's own under those names is removed
  return [line, ...skipped.map(([why, n]) => `  ${n} left alone: ${why} (what this fleet made under ${n === 1 ? 'that name' : 'those names'} was removed)`)].join('\n');
}
