import type { Logger } from '../../log.js';
import { ActionFailure, runAction, type ActionDeps } from './actions.js';
import type { RuleAction } from './definition.js';
import { messageEnv, resultBytes } from './engine.js';
import type { Env } from './evaluate.js';
import type { MessageContext } from './functions.js';
import type { RuleCounters } from './figures.js';
import { RecentRows } from './recent.js';
import type { LiveRule, TopicRules } from './topic-rules.js';

/**
 * Runs topic rules off the broker's hot path. The broker hands every accepted publish to `offer()`,
 * which only matches topics and queues (bounded: when the queue is full the message is dropped for
 * that rule, counted and logged); the SQL and the actions run later, a batch per event-loop turn,
 * so a slow sink never stalls publishers.
 * Basic Ingest (https://docs.aws.amazon.com/iot/latest/developerguide/iot-basic-ingest.html): a publish
 * to `$aws/rules/<ruleName>/<topic>` goes to that rule only, with topic() seeing `<topic>`.
 */

export type { RuleCounters } from './figures.js';

export interface IncomingMessage {
  topic: string;
  payload: Buffer;
  clientId?: string;
  /** the publisher's certificate id */
  principal?: string;
}

export interface ExecutorStats {
  /** (message, rule) pairs queued */
  matched: number;
  /** pairs whose WHERE was true and whose actions ran */
  fired: number;
  /** pairs dropped because the queue was full */
  dropped: number;
  /** actions that failed (each reported to the rule's errorAction when it has one) */
  failedActions: number;
  queued: number;
}

export interface ExecutorOptions extends ActionDeps {
  rules: TopicRules;
  accountId: string;
  log: Logger;
  /** most (message, rule) pairs waiting; default 100,000 (a few hundred bytes each plus the payload) */
  queueLimit?: number;
  now?: () => number;
}

interface Job {
  rule: LiveRule;
  ctx: MessageContext;
}

const BASIC_INGEST = /^\$aws\/rules\/([^/]+)\/(.*)$/s;
/** jobs started per event-loop turn, and most jobs with actions in flight */
const BATCH = 256;
const MAX_RUNNING = 1024;

export class RuleExecutor {
  private readonly queue: Job[] = [];
  private head = 0;
  private scheduled = false;
  private running = 0;
  private idleWaiters: (() => void)[] = [];
  private readonly warned = new Set<string>();
  private lastDropLog = 0;
  readonly stats: ExecutorStats = { matched: 0, fired: 0, dropped: 0, failedActions: 0, queued: 0 };
  /** by rule name; a rule deleted keeps its figures (counters only grow), one made again adds to them */
  private readonly perRule = new Map<string, RuleCounters>();
  /** the last rows each sink received */
  readonly recent = new RecentRows();

  constructor(private readonly o: ExecutorOptions) {}

  /** On the broker's path: match and queue, nothing else. */
  offer(m: IncomingMessage): void {
    const now = (this.o.now ?? Date.now)();
    const ingest = BASIC_INGEST.exec(m.topic);
    if (ingest) {
      const rule = this.o.rules.enabledRule(ingest[1]!);
      if (!rule) {
        this.o.log.warn({ topic: m.topic.slice(0, 300) }, `Basic Ingest: no enabled rule named ${ingest[1]}`);
        return;
      }
      this.enqueue(rule, { ...m, topic: ingest[2]! }, now);
      return;
    }
    for (const rule of this.o.rules.enabled()) if (rule.compiled.sql.matches(m.topic)) this.enqueue(rule, m, now);
  }

  /** Every rule's figures so far, by rule name (copies). */
  ruleCounters(): Record<string, RuleCounters> {
    return Object.fromEntries([...this.perRule].map(([name, c]) => [name, { ...c }]));
  }

  private counters(ruleName: string): RuleCounters {
    let c = this.perRule.get(ruleName);
    if (!c) this.perRule.set(ruleName, (c = { matched: 0, fired: 0, failed: 0, actionErrors: 0, dropped: 0 }));
    return c;
  }

  private enqueue(rule: LiveRule, m: IncomingMessage, timestamp: number): void {
    const counters = this.counters(rule.record.ruleName);
    counters.matched++;
    if (this.queue.length - this.head >= (this.o.queueLimit ?? 100_000)) {
      this.stats.dropped++;
      counters.dropped++;
      if (timestamp - this.lastDropLog >= 1000) {
        this.lastDropLog = timestamp;
        this.o.log.warn({ rule: rule.record.ruleName, dropped: this.stats.dropped }, 'rule queue full: dropping messages (actions are slower than the publish rate)');
      }
      return;
    }
    this.stats.matched++;
    const p = rule.record.payload;
    this.queue.push({
      rule,
      ctx: { topic: m.topic, payload: m.payload, clientId: m.clientId, principal: m.principal, timestamp, ruleName: rule.record.ruleName, accountId: this.o.accountId, sqlVersion: p.awsIotSqlVersion ?? '2015-10-08' },
    });
    this.stats.queued = this.queue.length - this.head;
    this.schedule();
  }

  private drain(): void {
    this.scheduled = false;
    const end = Math.min(this.queue.length, this.head + BATCH);
    for (; this.head < end && this.running < MAX_RUNNING; this.head++) {
      const job = this.queue[this.head]!;
      this.running++;
      void this.run(job).finally(() => {
        this.running--;
        this.schedule();
        this.settle();
      });
    }
    if (this.head === this.queue.length) {
      this.queue.length = 0;
      this.head = 0;
    } else if (this.head > 4096) {
      this.queue.splice(0, this.head);
      this.head = 0;
    }
    if (this.head < this.queue.length && this.running < MAX_RUNNING) {
      this.schedule();
    }
    this.stats.queued = this.queue.length - this.head;
    this.settle();
  }

  private schedule(): void {
    if (this.scheduled || this.head === this.queue.length) return;
    this.scheduled = true;
    setImmediate(() => this.drain());
  }

  private settle(): void {
    if (this.running === 0 && this.queue.length === this.head && !this.scheduled) {
      const waiters = this.idleWaiters;
      this.idleWaiters = [];
      for (const w of waiters) w();
    }
  }

  private async run(job: Job): Promise<void> {
    const { rule, ctx } = job;
    const counters = this.counters(ctx.ruleName);
    let result;
    try {
      result = rule.compiled.sql.run(ctx);
    } catch (e) {
      counters.failed++;
      this.o.log.error({ rule: ctx.ruleName, err: (e as Error).message }, 'rule SQL failed');
      return;
    }
    if (!result) return;
    this.stats.fired++;
    counters.fired++;
    const bytes = resultBytes(result);
    const isJson = result.kind === 'json';
    const env = messageEnv(ctx);
    const failures: ActionFailure[] = [];
    await Promise.all(
      rule.compiled.actions.map((a) => {
        this.warnUnsupported(ctx.ruleName, a);
        return runAction(a, bytes, isJson, env, this.o).then(
          (resource) => {
            if (a.type !== 'unsupported') this.recent.record(a.type, resource, ctx.ruleName, bytes, (this.o.now ?? Date.now)());
          },
          (e: unknown) => {
            failures.push(e instanceof ActionFailure ? e : new ActionFailure('Action', '', String(e)));
          },
        );
      }),
    );
    if (failures.length === 0) return;
    this.stats.failedActions += failures.length;
    counters.actionErrors += failures.length;
    this.o.log.warn({ rule: ctx.ruleName, failures: failures.map((f) => `${f.failedAction} ${f.failedResource}: ${f.message}`) }, 'rule actions failed');
    if (rule.compiled.errorAction) await this.reportError(rule.compiled.errorAction, ctx, env, failures);
  }

  /** https://docs.aws.amazon.com/iot/latest/developerguide/rule-error-handling.html: one error message per rule per message. */
  private async reportError(action: RuleAction, ctx: MessageContext, env: Env, failures: ActionFailure[]): Promise<void> {
    const message = {
      ruleName: ctx.ruleName,
      topic: ctx.topic,
      cloudwatchTraceId: crypto.randomUUID(),
      clientId: ctx.clientId ?? 'n/a',
      base64OriginalPayload: ctx.payload.toString('base64'),
      failures: failures.map((f) => ({ failedAction: f.failedAction, failedResource: f.failedResource, errorMessage: f.message })),
    };
    try {
      await runAction(action, Buffer.from(JSON.stringify(message)), true, env, this.o);
    } catch (e) {
      this.o.log.error({ rule: ctx.ruleName, err: (e as Error).message }, 'the rule error action failed too');
    }
  }

  private warnUnsupported(ruleName: string, a: RuleAction): void {
    if (a.type !== 'unsupported' || this.warned.has(`${ruleName}/${a.name}`)) return;
    this.warned.add(`${ruleName}/${a.name}`);
    this.o.log.warn({ rule: ruleName }, `the elf stand-in does not run ${a.name} actions; rule ${ruleName} runs its other actions`);
  }

  /** Resolves when nothing is queued or running. */
  idle(): Promise<void> {
    if (this.running === 0 && this.queue.length === this.head && !this.scheduled) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }
}
