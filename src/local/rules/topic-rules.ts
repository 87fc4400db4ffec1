import { MAX_RULES_PER_ACCOUNT } from '../../aws/limits.js';
import { ApiError, invalid } from '../api-error.js';
import { decodeToken, encodeToken } from '../page.js';
import { topicMatches } from '../topics.js';
import { parseTagging, tagList, withoutTags, withTags, type TagMap } from '../tags.js';
import { checkRuleName, compileRulePayload, type CompiledRule, type TopicRulePayload } from './definition.js';

/**
 * The stand-in's topic rules: CreateTopicRule, GetTopicRule, ListTopicRules, ReplaceTopicRule,
 * DeleteTopicRule, EnableTopicRule, DisableTopicRule over plain state (no disk, no network), with
 * each rule's SQL compiled once for the executor.
 * https://docs.aws.amazon.com/iot/latest/apireference/API_CreateTopicRule.html
 */

export interface TopicRuleRecord {
  ruleName: string;
  ruleArn: string;
  /** epoch milliseconds */
  createdAt: number;
  payload: TopicRulePayload;
  tags?: Record<string, string>;
}

export interface TopicRulesSnapshot {
  format: 'elf-topic-rules/1';
  rules: TopicRuleRecord[];
}

export interface LiveRule {
  record: TopicRuleRecord;
  compiled: CompiledRule;
}

const MAX_LIST = 10_000;
const DEFAULT_LIST = 1000;

const seconds = (ms: number) => ms / 1000;

export class TopicRules {
  private readonly rules = new Map<string, LiveRule>();
  private readonly listeners = new Set<() => void>();

  constructor(
    private readonly o: { region: string; account: string; now?: () => number; snapshot?: TopicRulesSnapshot },
  ) {
    for (const record of o.snapshot?.rules ?? []) {
      // a rule saved by an older stand-in that no longer compiles is skipped, not fatal
      try {
        this.rules.set(record.ruleName, { record, compiled: compileRulePayload(record.payload).compiled });
      } catch {
        /* dropped */
      }
    }
  }

  private now(): number {
    return (this.o.now ?? Date.now)();
  }

  /** Called after every change (the store saves, the executor re-reads). */
  onChange(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private changed(): void {
    for (const l of this.listeners) l();
  }

  /** AWS answers a missing rule with UnauthorizedException (it does not say whether the rule exists). */
  private existing(name: string): LiveRule {
    const r = this.rules.get(name);
    if (!r) throw new ApiError('UnauthorizedException', `Access to topic rule '${name.slice(0, 200)}' was denied`);
    return r;
  }

  create(name: string, body: unknown, tagging?: string): void {
    checkRuleName(name);
    const { payload, compiled } = compileRulePayload(body);
    const tags = parseTagging(tagging);
    if (this.rules.has(name)) {
      const arn = this.arn(name);
      throw new ApiError('ResourceAlreadyExistsException', `Rule ${name} already exists`, { resourceId: name, resourceArn: arn });
    }
    if (this.rules.size >= MAX_RULES_PER_ACCOUNT) throw invalid(`The account already has ${MAX_RULES_PER_ACCOUNT} rules, the most AWS IoT allows`);
        const record: TopicRuleRecord = { ruleName: name, ruleArn: this.arn(name), createdAt: this.now(), payload, ...(Object.keys(tags).length > 0 ? { tags } : {}) };
    this.rules.set(name, { record, compiled });
    this.changed();
  }

  replace(name: string, body: unknown): void {
    checkRuleName(name);
    const old = this.existing(name);
    const { payload, compiled } = compileRulePayload(body);
    this.rules.set(name, { record: { ...old.record, payload }, compiled });
    this.changed();
  }

  delete(name: string): void {
    checkRuleName(name);
    this.existing(name);
    this.rules.delete(name);
    this.changed();
  }

  setDisabled(name: string, disabled: boolean): void {
    checkRuleName(name);
    const r = this.existing(name);
    r.record = { ...r.record, payload: { ...r.record.payload, ruleDisabled: disabled } };
    this.changed();
  }

  get(name: string) {
    checkRuleName(name);
    const { record } = this.existing(name);
    const p = record.payload;
    return {
      ruleArn: record.ruleArn,
      rule: {
        ruleName: record.ruleName,
        sql: p.sql,
        description: p.description,
        createdAt: seconds(record.createdAt),
        actions: p.actions,
        ruleDisabled: p.ruleDisabled ?? false,
        awsIotSqlVersion: p.awsIotSqlVersion,
        errorAction: p.errorAction,
      },
    };
  }

  list(q: { topic?: string; maxResults?: number; nextToken?: string; ruleDisabled?: boolean } = {}) {
    const limit = q.maxResults ?? DEFAULT_LIST;
    if (!Number.isInteger(limit) || limit < 1 || limit > MAX_LIST) throw invalid(`maxResults must be between 1 and ${MAX_LIST}`);
    let all = [...this.rules.values()].map((r) => r.record).sort((a, b) => (a.ruleName < b.ruleName ? -1 : 1));
    if (q.ruleDisabled !== undefined) all = all.filter((r) => (r.payload.ruleDisabled ?? false) === q.ruleDisabled);
    if (q.topic !== undefined) {
      const topic = q.topic;
      all = all.filter((r) => {
        const from = this.rules.get(r.ruleName)!.compiled.sql.from;
        return from !== undefined && (from === topic || topicMatches(from, topic));
      });
    }
    let start = 0;
    if (q.nextToken !== undefined) {
      const after = decodeToken(q.nextToken);
      start = all.findIndex((r) => r.ruleName > after);
      if (start < 0) start = all.length;
    }
    const items = all.slice(start, start + limit);
    const more = start + limit < all.length;
    return {
      rules: items.map((r) => ({
        ruleArn: r.ruleArn,
        ruleName: r.ruleName,
        topicPattern: this.rules.get(r.ruleName)!.compiled.sql.from,
        createdAt: seconds(r.createdAt),
        ruleDisabled: r.payload.ruleDisabled ?? false,
      })),
      nextToken: more ? encodeToken(items[items.length - 1]!.ruleName) : undefined,
    };
  }

  /** A rule by its ARN, for the tag operations (src/local/routes/tags.ts). */
  private byArn(resourceArn: string): LiveRule {
    const name = /^arn:aws:iot:[^:]+:\d{12}:rule\/(.+)$/.exec(resourceArn)?.[1];
    const r = name === undefined ? undefined : this.rules.get(name);
    if (!r || r.record.ruleArn !== resourceArn) throw new ApiError('ResourceNotFoundException', `${resourceArn} not found`);
    return r;
  }

  /**
   * ListTagsForResource of a rule's ARN: the tags CreateTopicRule (`x-amz-tagging`) and TagResource gave it.
   * https://docs.aws.amazon.com/iot/latest/apireference/API_ListTagsForResource.html
   */
  tagsOf(resourceArn: string) {
    return tagList(this.byArn(resourceArn).record.tags);
  }

  tag(resourceArn: string, tags: TagMap): void {
    const r = this.byArn(resourceArn);
    r.record = { ...r.record, tags: withTags(r.record.tags, tags) };
  }

  untag(resourceArn: string, keys: string[]): void {
    const r = this.byArn(resourceArn);
    r.record = { ...r.record, tags: withoutTags(r.record.tags, keys) };
  }

  /** The enabled rules, for the executor. */
  enabled(): LiveRule[] {
    return [...this.rules.values()].filter((r) => !r.record.payload.ruleDisabled);
  }

  /** An enabled rule by name (Basic Ingest). */
  enabledRule(name: string): LiveRule | undefined {
    const r = this.rules.get(name);
    return r && !r.record.payload.ruleDisabled ? r : undefined;
  }

  snapshot(): TopicRulesSnapshot {
    return { format: 'elf-topic-rules/1', rules: [...this.rules.values()].map((r) => r.record) };
  }

  private arn(name: string): string {
    return `arn:aws:iot:${this.o.region}:${this.o.account}:rule/${name}`;
  }
}
