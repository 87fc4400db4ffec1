import { compileTemplate } from './template.js';
import { compileTopic, isTopicTemplate } from './topic.js';
import type { TrafficSpec } from './traffic.js';
import type { ScenarioRun } from './scenario.js';

export { ThingTraffic, type TrafficSpec } from './traffic.js';
export { compileTemplate } from './template.js';
export { TemplateError } from './errors.js';
export { compileTopic, isTopicTemplate, topicPolicyProblem } from './topic.js';
export { loadScenario } from './scenario-load.js';

export interface TrafficOptions {
  template?: { file: string; text: string };
  /** a scenario script and what its generator is told about the run */
  scenario?: { file: string; run: ScenarioRun };
  /** the topic (a template when it holds `{...}`) */
  topic: string;
  seed: number;
  intervalSec: number;
}

/** What the fleet shares to make its traffic, or undefined when lines are sent as they are. */
export async function trafficSpec(o: TrafficOptions): Promise<TrafficSpec | undefined> {
  const topic = isTopicTemplate(o.topic) ? compileTopic(o.topic) : undefined;
  if (!o.template && !o.scenario && !topic) return undefined;
  const template = o.template ? await compileTemplate(o.template.text, o.template.file) : undefined;
  const scenario = o.scenario ? await (await import('./scenario.js')).compileScenario(o.scenario.file, o.scenario.run) : undefined;
  return {
    ...(template ? { template, readsLine: /\bline\b/.test(o.template!.text) } : {}),
    ...(scenario ? { scenario } : {}),
    ...(topic ? { topic } : {}),
    seed: o.seed,
    intervalSec: o.intervalSec,
  };
}
