import type { RunSummary } from '../provision/create.js';

/** The one summary line on stdout for create/clean. */
export function formatSummary(verb: 'created' | 'removed', s: RunSummary): string {
  const where = s.target.local ? `local stand-in ${s.target.endpointUrl}` : s.target.endpointUrl ? s.target.endpointUrl : `AWS ${s.target.region}`;
  const throttled = s.stats.throttled > 0 ? `, ${s.stats.throttled} throttled calls retried` : '';
  return `${verb} ${s.succeeded} of ${s.requested} things, ${s.failed} failed, in ${(s.elapsedMs / 1000).toFixed(1)} s (${where}; state in ${s.stateDir}${throttled})`;
}
