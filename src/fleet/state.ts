import type { FleetState, ThingRecord } from './types.js';

/**
 * Pure rules of the fleet journal: the events `elf create`/`elf clean` append, and how they fold
 * into a FleetState. Every event is idempotent ("set these fields", "unset these", "drop the
 * thing"), so replaying a journal over a snapshot that already contains it changes nothing: a crash
 * between writing things.json and truncating the journal is harmless.
 */

export type HeaderFields = Omit<FleetState, 'things' | 'version'>;

export type JournalEvent =
  /** fleet header (target, prefix, topic root, fleet id): merged into the state */
  | { h: Partial<HeaderFields> }
  /** set fields of a thing (creating its record if needed) */
  | { n: string; s: Partial<ThingRecord> }
  /** unset fields of a thing */
  | { n: string; u: (keyof ThingRecord)[] }
  /** the thing and all its resources are gone */
  | { n: string; d: 1 };

export class StateError extends Error {}

export function applyEvent(state: FleetState | undefined, ev: JournalEvent): FleetState {
  if ('h' in ev) {
    const base: FleetState = state ?? { version: 1, target: { region: '', local: false }, prefix: 'thing_', topicRoot: 'elf', things: [] };
    return { ...base, ...ev.h, target: { ...base.target, ...(ev.h.target ?? {}) }, version: 1, things: base.things };
  }
  if (!state) throw new StateError('a thing event before the fleet header');
  const i = state.things.findIndex((t) => t.name === ev.n);
  if ('d' in ev) {
    if (i >= 0) state.things.splice(i, 1);
    return state;
  }
  const rec: ThingRecord = i >= 0 ? state.things[i]! : { name: ev.n };
  if ('s' in ev) Object.assign(rec, ev.s, { name: ev.n });
  else for (const k of ev.u) if (k !== 'name') delete rec[k];
  if (i < 0) state.things.push(rec);
  return state;
}

export function isJournalEvent(v: unknown): v is JournalEvent {
  if (!v || typeof v !== 'object') return false;
  const o = v as Record<string, unknown>;
  if ('h' in o) return Boolean(o.h) && typeof o.h === 'object';
  if (typeof o.n !== 'string' || o.n === '') return false;
  if ('s' in o) return Boolean(o.s) && typeof o.s === 'object';
  if ('u' in o) return Array.isArray(o.u);
  return o.d === 1;
}

export interface ReplayResult {
  state: FleetState | undefined;
  /** the last line was cut short (a crash while appending) and was ignored */
  truncatedTail: boolean;
}

/**
 * Folds journal text over a base state. A bad last line is the footprint of a crash mid-append and
 * is ignored; a bad line before it means the file was damaged, reported with its 1-based line number.
 */
export function replayJournal(base: FleetState | undefined, text: string): ReplayResult {
  let state = base;
  const lines = text.split('\n');
  let last = lines.length - 1;
  while (last >= 0 && lines[last]!.replace(/\0/g, '').trim() === '') last--;
  let truncatedTail = false;
  for (let i = 0; i <= last; i++) {
    const line = lines[i]!;
    if (line.trim() === '') continue;
    let ev: unknown;
    try {
      ev = JSON.parse(line);
    } catch {
      ev = undefined;
    }
    if (!isJournalEvent(ev)) {
      if (i === last) {
        truncatedTail = true;
        continue;
      }
      throw new StateError(`line ${i + 1} is not a journal event`);
    }
    try {
      state = applyEvent(state, ev);
    } catch (e) {
      throw new StateError(`line ${i + 1}: ${(e as Error).message}`);
    }
  }
  return { state, truncatedTail };
}

/** Checks the shape of a parsed things.json; returns why it is wrong, or undefined. */
export function fleetStateProblem(v: unknown): string | undefined {
  if (!v || typeof v !== 'object' || Array.isArray(v)) return 'not a JSON object';
  const o = v as Record<string, unknown>;
  if (o.version !== 1) return `unsupported version ${JSON.stringify(o.version)}`;
  if (!o.target || typeof o.target !== 'object') return 'no "target"';
  const t = o.target as Record<string, unknown>;
  if (typeof t.region !== 'string') return 'no "target.region"';
  if (typeof o.prefix !== 'string' || typeof o.topicRoot !== 'string') return 'no "prefix" or "topicRoot"';
  if (!Array.isArray(o.things)) return 'no "things" array';
  for (const [i, th] of (o.things as unknown[]).entries()) {
    if (!th || typeof th !== 'object' || typeof (th as ThingRecord).name !== 'string') return `things[${i}] has no name`;
  }
  return undefined;
}

/** The highest index among names `<prefix><n>`, or -1. */
export function highestIndex(names: Iterable<string>, prefix: string): number {
  let max = -1;
  for (const name of names) {
    if (!name.startsWith(prefix)) continue;
    const rest = name.slice(prefix.length);
    if (/^(0|[1-9]\d*)$/.test(rest)) max = Math.max(max, Number(rest));
  }
  return max;
}
