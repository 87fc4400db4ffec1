import path from 'node:path';
import type { Logger } from '../../log.js';
import type { RunningBroker } from '../broker/index.js';
import { readIfExists, writeFileAtomic } from '../../util/atomic-write.js';
import { CoalescingWriter } from '../store.js';
import { RuleExecutor, type ExecutorStats, type RuleCounters } from './executor.js';
import type { SinkRows } from './recent.js';
import { FileSinks } from './sinks.js';
import { TopicRules, type TopicRulesSnapshot } from './topic-rules.js';

/**
 * Topic rules as `elf local` runs them: the rules kept in `<state-dir>/rules.json`, executed against
 * every publish the broker accepts, into sinks under `<state-dir>/sinks/`.
 */

export const RULES_FILE = 'rules.json';
export const SINKS_DIR = 'sinks';

export interface RuleService {
  rules: TopicRules;
  /** persist the rules (after a control-plane change) */
  save(): Promise<void>;
  /** start executing rules on the broker's accepted publishes */
  attach(broker: Pick<RunningBroker, 'events' | 'publish'>): void;
  stats(): ExecutorStats | undefined;
  /** each rule's figures so far, by rule name (empty until attached) */
  ruleCounters(): Record<string, RuleCounters>;
  /** the last rows each sink received */
  recentRows(): SinkRows[];
  /** waits for queued rule work, then closes the sinks and the last save */
  close(): Promise<void>;
}

export async function loadRuleService(o: { stateDir: string; region: string; account: string; log: Logger }): Promise<RuleService> {
  const file = path.join(o.stateDir, RULES_FILE);
  const text = await readIfExists(file);
  let snapshot: TopicRulesSnapshot | undefined;
  if (text !== undefined) {
    try {
      snapshot = JSON.parse(text) as TopicRulesSnapshot;
    } catch (e) {
      o.log.warn({ file, err: (e as Error).message }, 'ignoring a rules file that does not parse');
    }
  }
  const rules = new TopicRules({ region: o.region, account: o.account, ...(snapshot ? { snapshot } : {}) });
  const writer = new CoalescingWriter(() => writeFileAtomic(file, JSON.stringify(rules.snapshot())));
  const sinks = new FileSinks(path.join(o.stateDir, SINKS_DIR));
  const log = o.log.child({ component: 'rules' });
  let executor: RuleExecutor | undefined;
  let stop: (() => void) | undefined;
  return {
    rules,
    save: () => writer.save(),
    attach(broker) {
      executor = new RuleExecutor({ rules, accountId: o.account, log, sinks, publish: (m) => broker.publish(m) });
      const ex = executor;
      stop = broker.events.on('publish', (p) => ex.offer({ topic: p.topic, payload: p.payload, clientId: p.client?.clientId, principal: p.client?.certificateId }));
    },
    stats: () => executor?.stats,
    ruleCounters: () => executor?.ruleCounters() ?? {},
    recentRows: () => executor?.recent.snapshot() ?? [],
    async close() {
      stop?.();
      await executor?.idle();
      await sinks.close();
      await writer.idle();
    },
  };
}
