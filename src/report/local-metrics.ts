import { Counter, Gauge, Registry } from 'prom-client';
import type { ExecutorStats, RuleCounters } from '../local/rules/executor.js';
import { OTHER_ROOTS, type ConnectionTotals, type Denials, type Flow } from '../local/traffic.js';
import type { StandIn } from '../local/server.js';
import type { ScrapedRegistry } from './metrics-server.js';

/**
 * `elf local --metrics-port`: the stand-in's traffic (local/traffic.ts) and its topic rules'
 * executions as Prometheus metrics, read at each scrape.
 */

/** Topic roots labelled one by one at most (a label per value is a series in Prometheus); the rest sum under OTHER_ROOTS. */
export const MAX_ROOT_LABELS = 100;
export { OTHER_ROOTS } from '../local/traffic.js';
export const LOCAL_METRICS = {
  connections: 'elf_local_connections',
  connects: 'elf_local_connects_total',
  disconnects: 'elf_local_disconnects_total',
  messagesIn: 'elf_local_messages_in_total',
  messagesOut: 'elf_local_messages_out_total',
  denials: 'elf_local_policy_denials_total',
  ruleMatches: 'elf_local_rule_executions_total',
  ruleActions: 'elf_local_rule_actions_total',
  ruleActionFailures: 'elf_local_rule_action_failures_total',
  ruleDropped: 'elf_local_rule_dropped_total',
  perRuleMatched: 'elf_local_rule_matched_total',
  perRuleFailed: 'elf_local_rule_sql_failures_total',
  perRuleActionErrors: 'elf_local_rule_action_errors_total',
} as const;

export interface LocalFigures {
  connections: ConnectionTotals;
  /** messages in and out by topic root (Traffic.roots()) */
  roots: Array<{ root: string } & Flow>;
  denials: Denials;
  rules: ExecutorStats | undefined;
  /** each rule's figures, by rule name (a label per rule: there are as many series as rules) */
  ruleCounters: Record<string, RuleCounters>;
}

/** Pure: messages by root, the busiest MAX_ROOT_LABELS roots by name and the rest as one. */
export function byRoot(roots: LocalFigures['roots'], dir: 'in' | 'out', max = MAX_ROOT_LABELS): Record<string, number> {
  const sorted = [...roots].sort((a, b) => b.in.messages + b.out.messages - (a.in.messages + a.out.messages));
  const out: Record<string, number> = {};
  sorted.forEach((r, i) => {
    const key = i < max ? r.root : OTHER_ROOTS;
    out[key] = (out[key] ?? 0) + r[dir].messages;
  });
  return out;
}

export function localMetricsRegistry(read: () => LocalFigures): ScrapedRegistry {
  const registry = new Registry();
  let snapshot: LocalFigures | undefined;
  const now = () => (snapshot ??= read());
  const registers = [registry];
  new Gauge({ name: LOCAL_METRICS.connections, help: 'MQTT clients connected now', registers, collect() { this.set(now().connections.connected); } });
  const total = (name: string, help: string, value: (f: LocalFigures) => number) =>
    new Counter({ name, help, registers, collect() { this.reset(); this.inc(value(now())); } });
  total(LOCAL_METRICS.connects, 'MQTT connections accepted', (f) => f.connections.connects);
  total(LOCAL_METRICS.disconnects, 'MQTT connections ended', (f) => f.connections.disconnects);
  const byLabel = (name: string, help: string, label: string, value: (f: LocalFigures) => Record<string, number>) =>
    new Counter({
      name,
      help,
      labelNames: [label],
      registers,
      collect() {
        this.reset();
        for (const [k, v] of Object.entries(value(now()))) this.inc({ [label]: k }, v);
      },
    });
  byLabel(LOCAL_METRICS.messagesIn, 'messages the broker accepted (from clients, and the stand-in\'s own: shadow answers, lifecycle events, rule republishes), by topic root (first topic level)', 'topic_root', (f) => byRoot(f.roots, 'in'));
  byLabel(LOCAL_METRICS.messagesOut, 'messages delivered to subscribers, by topic root (first topic level)', 'topic_root', (f) => byRoot(f.roots, 'out'));
  byLabel(LOCAL_METRICS.denials, 'packets refused by policy (connect, publish, subscribe) and messages a subscriber was not allowed to receive', 'action', (f) => f.denials);
  total(LOCAL_METRICS.ruleMatches, 'messages a topic rule matched and queued for execution', (f) => f.rules?.matched ?? 0);
  total(LOCAL_METRICS.ruleActions, 'rule executions whose SQL selected a row and ran its actions', (f) => f.rules?.fired ?? 0);
  total(LOCAL_METRICS.ruleActionFailures, 'rule actions that failed', (f) => f.rules?.failedActions ?? 0);
  total(LOCAL_METRICS.ruleDropped, 'messages a rule matched but dropped because its queue was full', (f) => f.rules?.dropped ?? 0);
  const perRule = (pick: (c: RuleCounters) => number) => (f: LocalFigures) => Object.fromEntries(Object.entries(f.ruleCounters).map(([rule, c]) => [rule, pick(c)]));
  byLabel(LOCAL_METRICS.perRuleMatched, 'messages whose topic a rule matched, by rule', 'rule', perRule((c) => c.matched));
  byLabel(LOCAL_METRICS.perRuleFailed, 'messages whose rule SQL failed to evaluate, by rule', 'rule', perRule((c) => c.failed));
  byLabel(LOCAL_METRICS.perRuleActionErrors, 'rule actions that failed, by rule', 'rule', perRule((c) => c.actionErrors));
  return {
    registry,
    beforeScrape: () => {
      snapshot = undefined;
    },
  };
}

/** The figures of a running stand-in. */
export function localFigures(standIn: Pick<StandIn, 'traffic' | 'ruleStats' | 'ruleCounters'>): LocalFigures {
  const t = standIn.traffic;
  return { connections: t.connections(), roots: t.roots(), denials: t.denials(), rules: standIn.ruleStats(), ruleCounters: standIn.ruleCounters() };
}
