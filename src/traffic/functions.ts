import type { Rng } from './rng.js';

/**
 * The functions a template's expressions may call (pure, apart from the thing's generator they draw
 * from). Each works on the thing whose message is being rendered: `holder.s`, set by the renderer
 * before it evaluates (evaluation is synchronous, so one holder serves every thing).
 */

/** What one thing keeps between its messages: its generator, its sequence, its series' state. */
export interface ThingState {
  readonly k: number;
  readonly name: string;
  readonly rng: Rng;
  /** 0-based number of the message being rendered */
  seq: number;
  /** seconds on the thing's time line for this message (seq × interval, or the data's own time) */
  t: number;
  /** per call site of a stateful series (walk, sine, counter): its state, undefined before its first call */
  readonly series: number[];
}

export interface Holder {
  s: ThingState;
}

/** the functions that keep state per call site: the compiler passes each call its site number first */
export const SERIES_FUNCTIONS = ['walk', 'sine', 'counter'] as const;

export class TemplateFunctionError extends Error {}

const num = (fn: string, name: string, v: unknown): number => {
  if (typeof v !== 'number' || !Number.isFinite(v)) throw new TemplateFunctionError(`${fn}(): ${name} must be a number, got ${JSON.stringify(v)}`);
  return v;
};

/** x rounded to `digits` decimals (a number, not a string) */
export function fixed(x: unknown, digits: unknown = 2): number {
  const f = 10 ** num('fixed', 'digits', digits);
  return Math.round(num('fixed', 'x', x) * f) / f;
}

export function templateFunctions(holder: Holder, fake?: (path: string, args: unknown[]) => unknown): Record<string, (...args: never[]) => unknown> {
  const rng = () => holder.s.rng;
  const fns = {
    /** an integer in [min, max] */
    int: (min: unknown, max: unknown) => {
      const lo = Math.ceil(num('int', 'min', min));
      const hi = Math.floor(num('int', 'max', max));
      return lo + Math.floor(rng().next() * (hi - lo + 1));
    },
    /** a decimal in [min, max), rounded to `digits` (default 2) */
    decimal: (min: unknown, max: unknown, digits: unknown = 2) => {
      const lo = num('decimal', 'min', min);
      return fixed(lo + rng().next() * (num('decimal', 'max', max) - lo), digits);
    },
    /** choice(value1, weight1, value2, weight2, ...): a value drawn with the given weights */
    choice: (...args: unknown[]) => {
      if (args.length < 2 || args.length % 2 !== 0) throw new TemplateFunctionError('choice(): give pairs of value, weight');
      let total = 0;
      for (let i = 1; i < args.length; i += 2) total += num('choice', 'a weight', args[i]);
      let r = rng().next() * total;
      for (let i = 1; i < args.length; i += 2) {
        r -= args[i] as number;
        if (r < 0) return args[i - 1];
      }
      return args[args.length - 2];
    },
    /** one of the arguments, each as likely */
    pick: (...args: unknown[]) => args[Math.floor(rng().next() * args.length)],
    /** a normally distributed number */
    gauss: (mean: unknown, sd: unknown) => rng().gauss(num('gauss', 'mean', mean), num('gauss', 'sd', sd)),
    /** x plus gaussian noise of standard deviation sd */
    noise: (x: unknown, sd: unknown) => rng().gauss(num('noise', 'x', x), num('noise', 'sd', sd)),
    /** start + perSecond × t: linear growth (or decay, with a negative rate) on the thing's time line */
    linear: (start: unknown, perSecond: unknown) => num('linear', 'start', start) + num('linear', 'perSecond', perSecond) * holder.s.t,
    fixed,
    /** a random walk within [min, max]: starts at a random point per thing, moves at most `step` per message */
    walk: (site: number, min: unknown, max: unknown, step: unknown) => {
      const lo = num('walk', 'min', min);
      const hi = num('walk', 'max', max);
      const st = holder.s.series;
      const prev = st[site];
      let v = prev === undefined ? lo + rng().next() * (hi - lo) : prev + (rng().next() * 2 - 1) * num('walk', 'step', step);
      if (v > hi) v = Math.max(lo, 2 * hi - v);
      if (v < lo) v = Math.min(hi, 2 * lo - v);
      st[site] = v;
      return v;
    },
    /** mean + amplitude × sin(2π t / period + phase), the phase drawn per thing */
    sine: (site: number, mean: unknown, amplitude: unknown, period: unknown) => {
      const st = holder.s.series;
      let phase = st[site];
      if (phase === undefined) phase = st[site] = rng().next() * 2 * Math.PI;
      return num('sine', 'mean', mean) + num('sine', 'amplitude', amplitude) * Math.sin((2 * Math.PI * holder.s.t) / num('sine', 'period', period) + phase);
    },
    /** start, start + step, start + 2·step, ... per thing (defaults 0 and 1) */
    counter: (site: number, start: unknown = 0, step: unknown = 1) => {
      const st = holder.s.series;
      const prev = st[site];
      return (st[site] = prev === undefined ? num('counter', 'start', start) : prev + num('counter', 'step', step));
    },
    /** a value of the fake-data library: fake("location.city"), fake("vehicle.vin") */
    fake: (path: unknown, ...args: unknown[]) => {
      if (typeof path !== 'string') throw new TemplateFunctionError('fake(): give the generator as a string, e.g. fake("location.city")');
      if (!fake) throw new TemplateFunctionError('fake(): the fake-data library is not loaded');
      return fake(path, args);
    },
    /** [latitude, longitude] within radiusKm of a point */
    near: (lat: unknown, lon: unknown, radiusKm: unknown) => {
      if (!fake) throw new TemplateFunctionError('near(): the fake-data library is not loaded');
      return fake('location.nearbyGPSCoordinate', [{ origin: [num('near', 'lat', lat), num('near', 'lon', lon)], radius: num('near', 'radiusKm', radiusKm), isMetric: true }]);
    },
    /** the ISO 8601 form of epoch ms */
    iso: (ms: unknown) => new Date(num('iso', 'ms', ms)).toISOString(),
  };
  return fns as unknown as Record<string, (...args: never[]) => unknown>;
}
