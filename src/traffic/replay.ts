import { UsageError } from '../errors.js';

/**
 * Replay on the data's own clock (`--replay-time <field | Year,Month,Day,Hour,Minute[,Second]>`):
 * each line is sent at its own time, relative to the data's first, scaled by --speed. Pure: times
 * in, clock times out; counters of what could not be placed (missing or unreadable times, times
 * before the previous line of the same thing), which are sent at once and never stop the run.
 */
export interface ReplaySpec {
  /** one field holding ISO 8601, epoch s or epoch ms; or the columns of year, month, day[, hour, minute, second] */
  fields: string[];
  speed: number;
}

export function parseReplayTime(value: string, speed: number): ReplaySpec {
  const fields = value.split(',').map((f) => f.trim());
  if (fields.some((f) => f === '')) throw new UsageError(`--replay-time '${value}': give one field, or the columns of year, month, day[, hour, minute, second] separated by commas`);
  if (fields.length === 2 || fields.length > 6) throw new UsageError(`--replay-time '${value}': a composed time needs year, month and day columns (then hour, minute, second if any)`);
  return { fields, speed };
}

/** epoch s below this, epoch ms above (1e11 s is the year 5138; 1e11 ms is 1973) */
const SECONDS_BELOW = 1e11;

/** The epoch ms of a row, or undefined when it has no readable time. */
export function timeOf(spec: ReplaySpec, row: unknown): number | undefined {
  if (row === null || typeof row !== 'object') return undefined;
  const r = row as Record<string, unknown>;
  if (spec.fields.length === 1) return single(r[spec.fields[0]!]);
  const parts = spec.fields.map((f) => (typeof r[f] === 'number' ? (r[f] as number) : typeof r[f] === 'string' && r[f] !== '' ? Number(r[f]) : NaN));
  if (parts.some((p) => !Number.isFinite(p))) return undefined;
  const [y, mo, d, h = 0, mi = 0, s = 0] = parts as [number, number, number, number?, number?, number?];
  const ms = Date.UTC(y, mo - 1, d, h, mi, 0) + s * 1000;
  return Number.isFinite(ms) ? ms : undefined;
}

function single(v: unknown): number | undefined {
  if (typeof v === 'number') return Number.isFinite(v) ? (Math.abs(v) < SECONDS_BELOW ? v * 1000 : v) : undefined;
  if (typeof v !== 'string' || v.trim() === '') return undefined;
  if (/^\s*-?\d+(\.\d+)?\s*$/.test(v)) return single(Number(v));
  const ms = Date.parse(v);
  return Number.isNaN(ms) ? undefined : ms;
}

/**
 * The fleet's replay clock: data time `origin` is clock time `startMs`; data ms pass `speed` times
 * faster. It starts when the fleet's first line has been read (`startMs` undefined until then):
 * not at the run's start, or every line would be late by the first connection's handshake and the
 * first read of the file, the first line late and the rest early relative to it.
 */
export interface ReplayClock {
  readonly spec: ReplaySpec;
  readonly origin: number;
  startMs: number | undefined;
  /** lines without a readable time, lines earlier than their thing's previous line */
  missing: number;
  outOfOrder: number;
}

/**
 * One thing's place on the replay clock: the clock time a line is due. A line without a time is due
 * with the line before it; a line earlier than the one before is due at once (and counted).
 */
export class ThingReplay {
  private last = -Infinity;

  constructor(private readonly clock: ReplayClock) {}

  /** the clock time `line`, read at `now`, is due */
  due(line: string, now: number): number {
    const c = this.clock;
    const start = (c.startMs ??= now);
    let t: number | undefined;
    try {
      t = timeOf(c.spec, JSON.parse(line));
    } catch {
      t = undefined;
    }
    if (t === undefined) {
      c.missing++;
      return this.last === -Infinity ? start : this.last;
    }
    const due = start + (t - c.origin) / c.spec.speed;
    if (due < this.last) {
      c.outOfOrder++;
      return this.last;
    }
    return (this.last = due);
  }
}
