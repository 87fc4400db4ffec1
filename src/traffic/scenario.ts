import type { Holder, ThingState } from './functions.js';
import { loadFaker, type FakerInstance } from './faker.js';
import { TemplateError } from './errors.js';
import { describe, lineOf, loadScenario, type Generator } from './scenario-load.js';

/**
 * Scenario scripts (`elf send --scenario <file>`): a module's generator, called per thing and
 * message as `generator(faker, options)` and returning `{ message }` (MQTTX CLI's shape) or
 * `{ payload }`, with an optional `topic`. `options` carries MQTTX's fields (clientId, count,
 * topic, qos, messageInterval, limit) and elf's: the thing (name, index), its `state` (an object
 * kept per thing between its messages), seq, t and the current line of --json-message.
 *
 * `faker` draws from the thing's own seeded generator (faker.ts), so --seed reproduces a run byte
 * for byte as long as the script takes its randomness from faker and its time from `options.t`.
 * A generator that throws or returns something that is not a message is counted and its message
 * skipped (with --strict the run stops); the first such error is kept to be reported, naming the
 * file and line.
 */
export interface ScenarioRun {
  /** the number of things of the run (MQTTX's `count`) */
  things: number;
  qos: number;
  intervalSec: number;
  /** messages per thing (MQTTX's `limit`; 0: no limit) */
  count?: number;
  seed: number;
  /** the fleet's topic root: a topic outside it is refused by its policy, so it is a bad message here */
  policyRoot?: string;
  /** stop the run at the first bad message instead of skipping it */
  strict?: boolean;
}

export interface ScenarioMessage {
  payload: string;
  /** the payload as a value when the generator gave one (for topic templates), else undefined */
  value: unknown;
  topic?: string;
}

export interface Failures {
  count: number;
  first?: string;
}

export interface CompiledScenario {
  readonly file: string;
  readonly name: string;
  /** bad messages of this process, and the first one's error */
  readonly failures: Failures;
  forThing(state: ThingState, topic: string): ThingScenario;
}

/** Loads the module and the fake-data library once for the fleet. */
export async function compileScenario(file: string, run: ScenarioRun): Promise<CompiledScenario> {
  const loaded = await loadScenario(file);
  const holder = { s: undefined as unknown as ThingState } satisfies Holder;
  const faker = withMqttxCompat(await loadFaker(holder));
  const failures: Failures = { count: 0 };
  const shared = { loaded, holder, faker, failures, run };
  return { file, name: loaded.name, failures, forThing: (state, topic) => new ThingScenario(shared, state, topic) };
}

/** MQTTX's scenarios were written for faker 8: `number.float({ precision })` is faker 10's `multipleOf`. */
function withMqttxCompat(faker: FakerInstance): FakerInstance {
  const float = faker.number.float.bind(faker.number);
  faker.number.float = ((o?: unknown) => {
    if (o !== null && typeof o === 'object' && 'precision' in o && !('multipleOf' in o)) {
      const { precision, ...rest } = o as { precision: unknown };
      return float({ ...rest, multipleOf: precision } as Parameters<typeof float>[0]);
    }
    return float(o as Parameters<typeof float>[0]);
  }) as typeof faker.number.float;
  return faker;
}

interface Shared {
  loaded: { file: string; path: string; generator: Generator };
  holder: Holder;
  faker: FakerInstance;
  failures: Failures;
  run: ScenarioRun;
}

/** What the generator is given: MQTTX's options and elf's, one object per thing, updated per message. */
class ScenarioOptions {
  seq = 0;
  t = 0;
  raw = '';
  readonly state: Record<string, unknown> = {};
  readonly thing: { readonly name: string; readonly index: number };
  readonly clientId: string;
  readonly count: number;
  readonly qos: number;
  readonly messageInterval: number;
  readonly limit: number;
  readonly seed: number;

  constructor(
    run: ScenarioRun,
    name: string,
    index: number,
    readonly topic: string,
  ) {
    this.thing = { name, index };
    this.clientId = name;
    this.count = run.things;
    this.qos = run.qos;
    this.messageInterval = run.intervalSec * 1000;
    this.limit = run.count ?? 0;
    this.seed = run.seed;
  }

  /** the current line of --json-message (or the message argument, as {"msg": ...}), parsed */
  get line(): unknown {
    return JSON.parse(this.raw);
  }
}

export class ThingScenario {
  private readonly options: ScenarioOptions;

  constructor(
    private readonly shared: Shared,
    private readonly state: ThingState,
    topic: string,
  ) {
    this.options = new ScenarioOptions(shared.run, state.name, state.k, topic);
  }

  /** The next message, or undefined when the generator failed on it (counted). */
  next(line: string): ScenarioMessage | undefined {
    const { shared, state, options } = this;
    options.seq = state.seq;
    options.t = state.t;
    options.raw = line;
    shared.holder.s = state;
    let result: unknown;
    try {
      result = shared.loaded.generator(shared.faker, options);
    } catch (e) {
      return this.fail(lineOf(e, shared.loaded.path), describe(e));
    }
    const made = messageOf(result, shared.run.policyRoot);
    return typeof made === 'string' ? this.fail('', made) : made;
  }

  private fail(at: string, why: string): undefined {
    const { failures, loaded, run } = this.shared;
    const text = `--scenario ${loaded.file}${at}: ${this.state.name} message ${this.state.seq}: ${why}`;
    failures.count++;
    failures.first ??= text;
    if (run.strict) throw new TemplateError(text);
    return undefined;
  }
}

/** Pure: the message a generator's result makes, or why it makes none. */
export function messageOf(result: unknown, policyRoot: string | undefined): ScenarioMessage | string {
  if (result === null || typeof result !== 'object') return `the generator returned ${result === undefined ? 'nothing' : JSON.stringify(result)}, not { message } or { payload }`;
  if (typeof (result as { then?: unknown }).then === 'function') return 'the generator returned a Promise: it must return { message } at once (no async)';
  const r = result as { message?: unknown; payload?: unknown; topic?: unknown };
  const body = 'message' in r ? r.message : 'payload' in r ? r.payload : undefined;
  let payload: string | undefined;
  let value: unknown;
  if (typeof body === 'string') payload = body;
  else if (body instanceof Uint8Array) payload = Buffer.from(body.buffer, body.byteOffset, body.byteLength).toString('utf8');
  else if (body !== undefined) {
    try {
      payload = JSON.stringify(body);
    } catch (e) {
      return `its message cannot be written as JSON (${describe(e)})`;
    }
    value = body;
  }
  if (payload === undefined) return `the generator returned ${short(result)}: no message (give { message: <string or value> } or { payload })`;
  if (r.topic === undefined || r.topic === null) return { payload, value };
  if (typeof r.topic !== 'string' || r.topic === '' || /[+#]/.test(r.topic)) return `the topic ${JSON.stringify(r.topic)} is not a topic name (empty, not a string, or holds + or #)`;
  if (policyRoot !== undefined && r.topic !== policyRoot && !r.topic.startsWith(`${policyRoot}/`)) return `the topic '${r.topic}' is outside the fleet's topic root '${policyRoot}' (its policy allows ${policyRoot} and ${policyRoot}/*)`;
  return { payload, value, topic: r.topic };
}

function short(v: unknown): string {
  let s: string;
  try {
    s = JSON.stringify(v) ?? String(v);
  } catch {
    s = String(v);
  }
  return s.length > 60 ? `${s.slice(0, 57)}...` : s;
}
