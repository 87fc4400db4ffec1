import type { RegistrySnapshot } from '../registry/index.js';
import type { TopicRulesSnapshot } from '../rules/topic-rules.js';
import type { ExecutorStats } from '../rules/executor.js';
import type { RuleCounters, SinkRows } from '../rules/figures.js';
import type { ClientTraffic, Flow } from '../traffic.js';
import type { ConsoleView, ThingView } from './wire.js';

export type { ConsoleView, RuleView, ThingView } from './wire.js';

/**
 * What the console's pages show, built from plain values (registry, shadows, traffic, rules): the
 * stream (stream.ts) sends it when it changed. Pure; the page renders it as it is.
 */

/** A shadow as the stand-in keeps it: classic when name is undefined. */
export interface ShadowEntry {
  thingName: string;
  name?: string;
  document: { state?: { reported?: unknown; desired?: unknown; delta?: unknown }; version?: number };
}

export interface ViewInput {
  registry: RegistrySnapshot;
  shadows: ShadowEntry[];
  clients: ClientTraffic[];
  traffic: Flow;
  rules?: TopicRulesSnapshot;
  ruleStats?: ExecutorStats;
  /** each rule's figures, by rule name */
  ruleCounters?: Record<string, RuleCounters>;
  sinks?: SinkRows[];
}

/** At most this many things are shown (the rest are counted by the page from the registry total). */
export const MAX_THINGS_SHOWN = 500;

export function buildView(i: ViewInput): ConsoleView {
  const certs = new Map(i.registry.certificates.map((c) => [c.certificateArn, c]));
  const policiesOf = new Map<string, string[]>();
  for (const [policy, target] of i.registry.policyTargets) policiesOf.set(target, [...(policiesOf.get(target) ?? []), policy]);
  const principalsOf = new Map<string, string[]>();
  for (const [thing, principal] of i.registry.thingPrincipals) principalsOf.set(thing, [...(principalsOf.get(thing) ?? []), principal]);
  const clients = new Map(i.clients.map((c) => [c.clientId, c]));
  const shadowsOf = new Map<string, ThingView['shadows']>();
  for (const s of i.shadows) {
    const st = s.document.state ?? {};
    shadowsOf.set(s.thingName, [...(shadowsOf.get(s.thingName) ?? []), { name: s.name ?? '(classic)', reported: st.reported, desired: st.desired, delta: st.delta, version: s.document.version ?? 0 }]);
  }
  const things = [...i.registry.things]
    .sort((a, b) => a.thingName.localeCompare(b.thingName, 'en', { numeric: true }))
    .slice(0, MAX_THINGS_SHOWN)
    .map((t): ThingView => {
      const connection = clients.get(t.thingName);
      return {
        thingName: t.thingName,
        ...(t.thingTypeName ? { thingTypeName: t.thingTypeName } : {}),
        attributes: t.attributes,
        creationDate: t.creationDate,
        certificates: (principalsOf.get(t.thingName) ?? []).flatMap((arn) => {
          const c = certs.get(arn);
          return c ? [{ certificateId: c.certificateId, status: c.status, creationDate: c.creationDate, policies: policiesOf.get(arn) ?? [] }] : [];
        }),
        ...(connection ? { connection } : {}),
        shadows: shadowsOf.get(t.thingName) ?? [],
      };
    });
  const thingNames = new Set(i.registry.things.map((t) => t.thingName));
  return {
    things,
    policies: i.registry.policies.map((p) => ({ policyName: p.policyName, document: p.policyDocument })),
    clients: i.clients.filter((c) => !thingNames.has(c.clientId)),
    traffic: i.traffic,
    rules: (i.rules?.rules ?? []).map((r) => ({
      ruleName: r.ruleName,
      sql: r.payload.sql,
      enabled: r.payload.ruleDisabled !== true,
      actions: r.payload.actions.flatMap((a) => Object.keys(a)),
      createdAt: r.createdAt,
      ...(i.ruleCounters?.[r.ruleName] ? { counters: i.ruleCounters[r.ruleName] } : {}),
    })),
    ...(i.ruleStats ? { ruleStats: { ...i.ruleStats } } : {}),
    sinks: i.sinks ?? [],
  };
}
