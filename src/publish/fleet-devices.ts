import path from 'node:path';
import { UsageError } from '../errors.js';
import { isComplete, type FleetState, type FleetTarget } from '../fleet/types.js';
import type { SendDevice } from './send-options.js';

/**
 * Pure: which of a fleet's things `elf send` / `elf subscribe` use, and whether the MQTT endpoint
 * is AWS IoT Core (its per-connection limits apply then, and only then).
 */

/** `--things <n|list>`: the first n usable things, or the named ones (comma-separated). */
export type ThingsSelector = { first: number } | { names: string[] };

export function parseThingsSelector(value: string, flag = '--things'): ThingsSelector {
  const text = value.trim();
  if (/^\d+$/.test(text)) {
    const n = Number(text);
    if (!Number.isSafeInteger(n) || n < 1) throw new UsageError(`${flag} '${value}': expected a number of things (≥ 1) or a comma-separated list of thing names`);
    return { first: n };
  }
  const names = text.split(',').map((s) => s.trim());
  if (names.length === 0 || names.some((n) => n === '')) throw new UsageError(`${flag} '${value}': expected a number of things (≥ 1) or a comma-separated list of thing names`);
  const dup = names.find((n, i) => names.indexOf(n) !== i);
  if (dup !== undefined) throw new UsageError(`${flag}: ${dup} is named twice`);
  return { names };
}

export interface Selection {
  devices: SendDevice[];
  /** recorded things left out because they are not complete (a create cut short) */
  incomplete: string[];
}

function toDevice(stateDir: string, t: FleetState['things'][number]): SendDevice {
  const files = t.files!;
  return { name: t.name, certPath: path.join(stateDir, files.cert), keyPath: path.join(stateDir, files.privateKey) };
}

/** The complete things of the fleet (in recorded order), narrowed by `--things`. */
export function selectDevices(state: FleetState, stateDir: string, selector?: ThingsSelector, flag = '--things'): Selection {
  const complete = state.things.filter(isComplete);
  const incomplete = state.things.filter((t) => !isComplete(t)).map((t) => t.name);
  if (complete.length === 0) {
    throw new UsageError(`the fleet in ${stateDir} has no complete thing${incomplete.length ? ` (${incomplete.length} were cut short: run \`elf clean\`, then \`elf create\`)` : ''}`);
  }
  if (!selector) return { devices: complete.map((t) => toDevice(stateDir, t)), incomplete };
  if ('first' in selector) {
    if (selector.first > complete.length) throw new UsageError(`${flag} ${selector.first}: the fleet in ${stateDir} has ${complete.length} usable thing${complete.length === 1 ? '' : 's'}`);
    return { devices: complete.slice(0, selector.first).map((t) => toDevice(stateDir, t)), incomplete };
  }
  const byName = new Map(state.things.map((t) => [t.name, t]));
  const devices: SendDevice[] = [];
  for (const name of selector.names) {
    const t = byName.get(name);
    if (!t) throw new UsageError(`${flag}: no thing ${name} in the fleet in ${stateDir}`);
    if (!isComplete(t)) throw new UsageError(`${flag}: ${name} was not completely created (run \`elf clean\`, then \`elf create\`)`);
    devices.push(toDevice(stateDir, t));
  }
  return { devices, incomplete };
}

/** AWS IoT Core data endpoints: `<prefix>-ats.iot.<region>.amazonaws.com` (and .com.cn). */
const AWS_IOT_HOST = /\.iot\.[a-z0-9-]+\.amazonaws\.com(\.cn)?$/i;

export function isAwsIotHost(host: string): boolean {
  return AWS_IOT_HOST.test(host);
}

/**
 * The fleet's control plane is AWS itself (not the stand-in, not another endpoint such as
 * LocalStack): an endpoint answered by DescribeEndpoint there is AWS IoT Core.
 */
export function isAwsTarget(t: FleetTarget): boolean {
  return !t.local && (t.endpointUrl === undefined || /\.amazonaws\.com(\.cn)?(:\d+)?(\/|$)/i.test(t.endpointUrl));
}

/**
 * The default filters of `elf subscribe`: the root itself and everything below it (in MQTT, and in
 * AWS IoT, `elf/#` matches `elf` too per MQTT 3.1.1 §4.7.1.2, but AWS IoT documents that `#` does
 * not match the parent: docs/aws-iot-facts.md#mqtt-on-aws-iot-core), so both are subscribed.
 */
export function defaultFilters(topicRoot: string): string[] {
  return [topicRoot, `${topicRoot}/#`];
}
