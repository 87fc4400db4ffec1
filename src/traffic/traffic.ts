import { Rng, thingSeed } from './rng.js';
import type { ThingState } from './functions.js';
import type { CompiledTemplate } from './template.js';
import { TemplateError } from './errors.js';
import type { TopicTemplate } from './topic.js';
import type { CompiledScenario, ThingScenario } from './scenario.js';

/**
 * What a thing publishes next, when the line of the source is not sent as it is: a payload template
 * rendered for the thing, and/or a topic made from the payload. One ThingTraffic per thing keeps its
 * state (generator, sequence, series); the compiled parts are shared by the fleet.
 */
export interface TrafficSpec {
  template?: CompiledTemplate;
  /** the template reads `line`: parse each line as JSON */
  readsLine?: boolean;
  topic?: TopicTemplate;
  /** a scenario script (`--scenario`): its generator makes the payload and may choose the topic */
  scenario?: CompiledScenario;
  /** the run's seed */
  seed: number;
  /** seconds between a thing's messages, for the series' time line (0: one second per message) */
  intervalSec: number;
}

export class ThingTraffic {
  /** the topic of the last payload made */
  topic = '';
  private readonly state: ThingState;
  private readonly scenario: ThingScenario | undefined;
  private readonly fixedTopic: string;

  constructor(
    private readonly spec: TrafficSpec,
    k: number,
    name: string,
    /** the topic when there is no topic template */
    fixedTopic: string,
  ) {
    this.state = { k, name, rng: new Rng(thingSeed(spec.seed, k)), seq: 0, t: 0, series: [] };
    this.topic = this.fixedTopic = fixedTopic;
    this.scenario = spec.scenario?.forThing(this.state, fixedTopic);
  }

  /**
   * The payload for the next message, made from the source's line; sets `topic` to go with it.
   * undefined when the scenario's generator failed on it (counted by the scenario).
   */
  next(line: string, wallMs: number): string | undefined {
    const { spec, state } = this;
    state.t = state.seq * (spec.intervalSec > 0 ? spec.intervalSec : 1);
    let value: unknown;
    let payload: string;
    if (this.scenario) {
      const m = this.scenario.next(line);
      if (m === undefined) {
        state.seq++;
        return undefined;
      }
      payload = m.payload;
      value = m.value === undefined && spec.topic?.readsPayload && !m.topic ? parseLine(payload) : m.value;
      this.topic = m.topic ?? (spec.topic ? spec.topic.render(state.name, state.k, state.seq, value) : this.fixedTopic);
      state.seq++;
      return payload;
    }
    if (spec.template) {
      value = spec.template.render(state, spec.readsLine ? parseLine(line) : null, wallMs);
      payload = typeof value === 'string' ? value : JSON.stringify(value);
    } else {
      payload = line;
      value = spec.topic?.readsPayload ? parseLine(line) : null;
    }
    if (spec.topic) this.topic = spec.topic.render(state.name, state.k, state.seq, value);
    state.seq++;
    return payload;
  }
}

function parseLine(line: string): unknown {
  try {
    return JSON.parse(line);
  } catch {
    throw new TemplateError(`the line is not JSON, so its fields cannot be read: ${line.slice(0, 60)}`);
  }
}
