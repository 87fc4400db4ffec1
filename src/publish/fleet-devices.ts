import { UsageError } from '../errors.js';
import type { Fleet } from '../fleet/fleet.js';
import { isComplete, type ThingRecord } from '../fleet/types.js';
import type { SendDevice } from './send-options.js';

/**
 * Pure: which of a fleet's things `elf send` / `elf subscribe` use, and what `elf subscribe` listens to.
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

function toDevice(fleet: Fleet, t: ThingRecord, index: number): SendDevice {
  return { name: t.name, certPath: fleet.certPath(t), keyPath: fleet.keyPath(t), index };
}

/** The complete things of the fleet (in recorded order), narrowed by `--things`. */
export function selectDevices(fleet: Fleet, selector?: ThingsSelector, flag = '--things'): Selection {
  const state = fleet.requireThings();
  const stateDir = fleet.dir;
  const complete = state.things.filter(isComplete);
  const incomplete = state.things.filter((t) => !isComplete(t)).map((t) => t.name);
  if (complete.length === 0) {
    throw new UsageError(`the fleet in ${stateDir} has no complete thing${incomplete.length ? ` (${incomplete.length} were cut short: run \`elf clean\`, then \`elf create\`)` : ''}`);
  }
  // a thing's index is its place in the fleet's record (templates read it; it seeds its generator)
  const position = new Map(state.things.map((t, i) => [t.name, i]));
  const device = (t: ThingRecord) => toDevice(fleet, t, position.get(t.name)!);
  if (!selector) return { devices: complete.map(device), incomplete };
  if ('first' in selector) {
    if (selector.first > complete.length) throw new UsageError(`${flag} ${selector.first}: the fleet in ${stateDir} has ${complete.length} usable thing${complete.length === 1 ? '' : 's'}`);
    return { devices: complete.slice(0, selector.first).map(device), incomplete };
  }
  const byName = new Map(state.things.map((t) => [t.name, t]));
  const devices: SendDevice[] = [];
  for (const name of selector.names) {
    const t = byName.get(name);
    if (!t) throw new UsageError(`${flag}: no thing ${name} in the fleet in ${stateDir}`);
    if (!isComplete(t)) throw new UsageError(`${flag}: ${name} was not completely created (run \`elf clean\`, then \`elf create\`)`);
    devices.push(device(t));
  }
  return { devices, incomplete };
}

/**
 * The default filters of `elf subscribe`: the root itself and everything below it (in MQTT, and in
 * AWS IoT, `elf/#` matches `elf` too per MQTT 3.1.1 §4.7.1.2, but AWS IoT documents that `#` does
 * not match the parent: docs/aws-iot-facts.md#mqtt-on-aws-iot-core), so both are subscribed.
 */
export function defaultFilters(topicRoot: string): string[] {
  return [topicRoot, `${topicRoot}/#`];
}
