import { UsageError } from '../errors.js';
import { TemplateError } from './errors.js';

/**
 * Topic templates (`--topic 'elf/{thing}/{Direction}'`): placeholders for the thing's name, index and
 * message number, and fields of the payload (dots reach into objects), so rules and subscribers can
 * route by key. Compiled once; rendered per message.
 */
export interface TopicTemplate {
  readonly source: string;
  /** true when a placeholder reads the payload (the payload must then be a JSON object) */
  readonly readsPayload: boolean;
  render(thing: string, index: number, seq: number, payload: unknown): string;
}

const PLACEHOLDER = /\{([^{}]*)\}/g;
const BUILT_IN = new Set(['thing', 'index', 'seq']);

export function isTopicTemplate(topic: string): boolean {
  return /\{[^{}]*\}/.test(topic);
}

export function compileTopic(source: string): TopicTemplate {
  const parts: Array<string | string[]> = [];
  let last = 0;
  for (const m of source.matchAll(PLACEHOLDER)) {
    // a field name may hold spaces ({Time Bin}); dots reach inside objects ({a.b})
    const name = m[1]!.trim();
    if (name === '' || name.split('.').some((p) => p.trim() === '' || p !== p.trim())) throw new UsageError(`--topic '${source}': {${m[1]}} is not a placeholder (thing, index, seq or a field name)`);
    if (m.index > last) parts.push(source.slice(last, m.index));
    parts.push(name.split('.'));
    last = m.index + m[0].length;
  }
  if (last < source.length) parts.push(source.slice(last));
  if (/[{}]/.test(parts.filter((p) => typeof p === 'string').join(''))) throw new UsageError(`--topic '${source}': unbalanced { or }`);
  const readsPayload = parts.some((p) => typeof p !== 'string' && !(p.length === 1 && BUILT_IN.has(p[0]!)));
  return {
    source,
    readsPayload,
    render(thing, index, seq, payload) {
      let out = '';
      for (const p of parts) {
        if (typeof p === 'string') {
          out += p;
          continue;
        }
        const v = p.length === 1 && BUILT_IN.has(p[0]!) ? (p[0] === 'thing' ? thing : p[0] === 'index' ? index : seq) : field(payload, p);
        if (v === undefined || v === null || typeof v === 'object') throw new TemplateError(`--topic '${source}': {${p.join('.')}}: the payload has ${v === undefined ? 'no such field' : `a ${v === null ? 'null' : 'non-scalar'} there`}`);
        const s = String(v);
        if (s === '' || /[+#]/.test(s)) throw new TemplateError(`--topic '${source}': {${p.join('.')}} = ${JSON.stringify(s)} cannot be a topic level (empty, or holds + or #)`);
        out += s;
      }
      return out;
    },
  };
}

function field(payload: unknown, path: string[]): unknown {
  let v = payload;
  for (const k of path) {
    if (v === null || typeof v !== 'object' || !Object.hasOwn(v, k)) return undefined;
    v = (v as Record<string, unknown>)[k];
  }
  return v;
}

/**
 * Why the fleet's policy (publish to `<root>` and `<root>/*`, written by `elf create --topic-root`)
 * would refuse this topic, or topics of this template; undefined when every topic it makes is
 * allowed. A plain topic must be the root or under it; in a template, the text before the first
 * placeholder must be the root followed by `/`.
 */
export function topicPolicyProblem(template: string, topicRoot: string): string | undefined {
  if (!isTopicTemplate(template)) {
    if (template === topicRoot || template.startsWith(`${topicRoot}/`)) return undefined;
    return `--topic '${template}' is outside the fleet's topic root '${topicRoot}' (its policy allows ${topicRoot} and ${topicRoot}/*): use a topic under '${topicRoot}/', or create the fleet with --topic-root`;
  }
  const literal = template.slice(0, template.indexOf('{'));
  if (literal.startsWith(`${topicRoot}/`)) return undefined;
  return `--topic '${template}' can publish outside the fleet's topic root '${topicRoot}' (its policy allows ${topicRoot} and ${topicRoot}/*): start it with '${topicRoot}/', or create the fleet with --topic-root`;
}
