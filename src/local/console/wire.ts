import type { RuleCounters, SinkRows } from '../rules/figures.js';
import type { ClientTraffic, Flow } from '../traffic.js';

/**
 * What the console's stream sends (view.ts builds it; the page in app/ renders it). Types only, and
 * no imports but traffic.ts's and rules/figures.ts's, so the page's TypeScript (DOM, no Node) can read them.
 */

/** The rule engine's counters over all rules (rules/executor.ts ExecutorStats). */
export interface RuleStats {
  matched: number;
  fired: number;
  dropped: number;
  failedActions: number;
  queued: number;
}

export type { RuleCounters, SinkRow, SinkRows } from '../rules/figures.js';

export interface ThingView {
  thingName: string;
  thingTypeName?: string;
  attributes: Record<string, string>;
  creationDate: number;
  certificates: { certificateId: string; status: string; creationDate: number; policies: string[] }[];
  /** the connection whose client id is the thing name (elf's devices use their thing name) */
  connection?: ClientTraffic;
  shadows: { name: string; reported?: unknown; desired?: unknown; delta?: unknown; version: number }[];
}

export interface RuleView {
  ruleName: string;
  sql: string;
  enabled: boolean;
  actions: string[];
  createdAt: number;
  /** what the rule engine counted for this rule (absent before the engine runs) */
  counters?: RuleCounters;
}

export interface ConsoleView {
  things: ThingView[];
  policies: { policyName: string; document: string }[];
  /** connections that are not a thing's (e.g. elf subscribe, the console itself) */
  clients: ClientTraffic[];
  traffic: Flow;
  rules: RuleView[];
  ruleStats?: RuleStats;
  /** the last rows each sink received */
  sinks: SinkRows[];
}

