import { Rng, thingSeed } from './rng.js';
import type { ThingState } from './functions.js';
import type { CompiledTemplate } from './template.js';
import { TemplateError } from './errors.js';
import type { TopicTemplate } from './topic.js';

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
  /** the run's seed */
  seed: number;
  /** seconds between a thing's messages, for the series' time line (0: one second per message) */
  intervalSec: number;
}

export class ThingTraffic {
  /** the topic of the last payload made */
  topic = '';
  private readonly state: ThingState;

  constructor(
    private readonly spec: TrafficSpec,
    k: number,
    name: string,
    /** the topic when there is no topic template */
    fixedTopic: string,
  ) {
    this.state = { k, name, rng: new Rng(thingSeed(spec.seed, k)), seq: 0, t: 0, series: [] };
    this.topic = fixedTopic;
  }

  /** The payload for the next message, made from the source's line; sets `topic` to go with it. */
  next(line: string, wallMs: number): string {
    const { spec, state } = this;
    state.t = state.seq * (spec.intervalSec > 0 ? spec.intervalSec : 1);
    let value: unknown;
    let payload: string;
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
