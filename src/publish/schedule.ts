/**
 * Pure pacing: an absolute schedule that does not drift. Thing k of N publishes its n-th message at
 *   start + offset_k + n·interval,   offset_k = (k / N)·interval
 * so the fleet's publishes are spread over the interval instead of firing in the same millisecond,
 * and a late tick never pushes the following ones back (each time is computed, not accumulated).
 * Interval 0 means "as fast as the connection allows": every slot is due at once.
 */

export interface ScheduleSpec {
  /** run start, ms on the clock's time line */
  startMs: number;
  /** ms between two messages of one thing; 0 = as fast as possible */
  intervalMs: number;
  /** number of things sharing the interval */
  things: number;
  /** no slot at or after start + durationMs; undefined = unbounded */
  durationMs?: number;
}

export function offsetMs(spec: ScheduleSpec, k: number): number {
  return spec.things <= 1 ? 0 : (k / spec.things) * spec.intervalMs;
}

/** When thing k's n-th slot (0-based) is due. */
export function slotTime(spec: ScheduleSpec, k: number, n: number): number {
  return spec.startMs + offsetMs(spec, k) + n * spec.intervalMs;
}

/** The end of the run (exclusive), Infinity without a duration. */
export function endTime(spec: ScheduleSpec): number {
  return spec.durationMs === undefined ? Infinity : spec.startMs + spec.durationMs;
}

/**
 * The first slot of thing k due at or after `nowMs`: a thing that connects late joins the schedule
 * where it stands instead of bursting through the slots it missed.
 */
export function firstSlotFrom(spec: ScheduleSpec, k: number, nowMs: number): number {
  if (spec.intervalMs <= 0) return 0;
  const n = Math.ceil((nowMs - slotTime(spec, k, 0)) / spec.intervalMs - 1e-9);
  return Math.max(0, n);
}

/** True when slot n of thing k lies inside the run. */
export function inRun(spec: ScheduleSpec, k: number, n: number): boolean {
  return slotTime(spec, k, n) < endTime(spec);
}
