import { describe, expect, it } from 'vitest';
import { compileTemplate } from '../../src/traffic/template.js';
import { compileTopic, topicPolicyProblem } from '../../src/traffic/topic.js';
import { ThingTraffic, type TrafficSpec } from '../../src/traffic/traffic.js';
import { Rng, thingSeed } from '../../src/traffic/rng.js';

const spec = async (template: unknown, over: Partial<TrafficSpec> = {}): Promise<TrafficSpec> => {
  const text = JSON.stringify(template);
  return { template: await compileTemplate(text, 't.json'), readsLine: /\bline\b/.test(text), seed: 1, intervalSec: 1, ...over };
};
const messages = (s: TrafficSpec, k: number, n: number, line = '{}') => {
  const t = new ThingTraffic(s, k, `thing_${k}`, 'elf');
  return Array.from({ length: n }, (_, i) => JSON.parse(t.next(line, 1_700_000_000_000 + i)!) as Record<string, unknown>);
};

describe('payload templates', () => {
  it('a whole expression keeps its type; an expression inside text is written into it', async () => {
    const s = await spec({ n: '{{ index * 2 }}', b: '{{ seq == 0 }}', a: '{{ (1, 2) }}', s: 'id-{{ thing }}-{{ seq }}', c: 7, nested: { x: ['{{ seq }}', 'k'] }, t: '{{ iso(ms) }}' });
    const [m0, m1] = messages(s, 3, 2);
    expect(m0).toEqual({ n: 6, b: true, a: [1, 2], s: 'id-thing_3-0', c: 7, nested: { x: [0, 'k'] }, t: '2023-11-14T22:13:20.000Z' });
    expect(m1).toMatchObject({ b: false, s: 'id-thing_3-1', nested: { x: [1, 'k'] } });
  });

  it("fields whose names hold spaces: filtrex's quoted names with its `of` operator, {{ 'Time Bin' of line }}", async () => {
    const s = await spec({ bin: "{{ 'Time Bin' of line }}", next: "{{ 'Day of Week' of line + 1 }}", deep: "{{ 'x y' of line.nested }}" });
    expect(messages(s, 0, 1, '{"Time Bin":"07:15","Day of Week":2,"nested":{"x y":true}}')[0]).toEqual({ bin: '07:15', next: 3, deep: true });
  });

  it('values from the current line: {{ line.field }} keeps the field and its type', async () => {
    const s = await spec({ dir: '{{ line.Direction }}', count: '{{ line.Count + 1 }}', who: '{{ thing }}' });
    expect(messages(s, 0, 1, '{"Direction":"N","Count":41}')[0]).toEqual({ dir: 'N', count: 42, who: 'thing_0' });
  });

  it('random values stay in range and follow the seed per thing, whatever the order of things', async () => {
    const s = await spec({ i: '{{ int(1, 6) }}', d: '{{ decimal(0, 1, 3) }}', c: '{{ choice("a", 1, "b", 0) }}', g: '{{ gauss(10, 0) }}', p: '{{ pick(1, 2, 3) }}' });
    const a = messages(s, 5, 200);
    for (const m of a) {
      expect(m.i).toBeGreaterThanOrEqual(1);
      expect(m.i).toBeLessThanOrEqual(6);
      expect(Number.isInteger(m.i)).toBe(true);
      expect(m.d as number).toBeLessThan(1);
      expect(m.c).toBe('a');
      expect(m.g).toBe(10);
      expect([1, 2, 3]).toContain(m.p);
    }
    expect(new Set(a.map((m) => m.i)).size).toBe(6);
    // the same thing and seed → the same values; another thing → other values
    messages(s, 0, 50);
    expect(messages(s, 5, 200)).toEqual(a);
    expect(messages(s, 6, 200)).not.toEqual(a);
    expect(messages({ ...s, seed: 2 }, 5, 200)).not.toEqual(a);
  });

  it('weighted choice follows its weights', async () => {
    const s = await spec({ c: '{{ choice("x", 3, "y", 1) }}' });
    const xs = messages(s, 0, 4000).filter((m) => m.c === 'x').length;
    expect(xs / 4000).toBeGreaterThan(0.7);
    expect(xs / 4000).toBeLessThan(0.8);
  });

  it('series keep state per thing and per call site: walk within bounds, counter, sine with a phase per thing, linear', async () => {
    const s = await spec({ w: '{{ walk(10, 20, 0.5) }}', w2: '{{ walk(0, 1, 0.1) }}', c: '{{ counter(5, 2) }}', c0: '{{ counter() }}', sn: '{{ sine(0, 1, 4) }}', l: '{{ linear(100, -2) }}' }, { intervalSec: 1 });
    const a = messages(s, 0, 100);
    a.forEach((m, i) => {
      expect(m.w).toBeGreaterThanOrEqual(10);
      expect(m.w).toBeLessThanOrEqual(20);
      expect(m.w2).toBeGreaterThanOrEqual(0);
      expect(m.w2).toBeLessThanOrEqual(1);
      if (i > 0) expect(Math.abs((m.w as number) - (a[i - 1]!.w as number))).toBeLessThanOrEqual(0.5 + 1e-9);
      expect(m.c).toBe(5 + 2 * i);
      expect(m.c0).toBe(i);
      expect(m.l).toBe(100 - 2 * i);
      // period 4 s at one message a second: the sine repeats every 4 messages
      if (i >= 4) expect(m.sn as number).toBeCloseTo(a[i - 4]!.sn as number, 9);
    });
    const b = messages(s, 1, 1)[0]!;
    expect(b.sn).not.toBeCloseTo(a[0]!.sn as number, 6);
  });

  it('fake data follows the seed too', async () => {
    const s = await spec({ city: '{{ fake("location.city") }}', vin: '{{ fake("vehicle.vin") }}', at: '{{ near(52.5, 13.4, 1) }}' });
    const a = messages(s, 2, 5);
    expect(messages(s, 2, 5)).toEqual(a);
    expect(typeof a[0]!.city).toBe('string');
    expect(a[0]!.vin).toMatch(/^[A-Z0-9]{17}$/);
    const [lat, lon] = a[0]!.at as number[];
    expect(Math.abs(lat! - 52.5)).toBeLessThan(0.02);
    expect(Math.abs(lon! - 13.4)).toBeLessThan(0.03);
  });

  it('bad templates: one line naming the file and the field', async () => {
    await expect(compileTemplate('{"a": ', 'bad.json')).rejects.toThrow(/^bad\.json: not JSON/);
    await expect(compileTemplate('{"a": {"b": "{{ int(1, }}"}}', 'bad.json')).rejects.toThrow(/^bad\.json: "a\.b": \{\{ int\(1, \}\}: /);
    await expect(compileTemplate('{"a": "{{ nosuch(1) }}"}', 'bad.json')).rejects.toThrow(/bad\.json: "a": .*nosuch/);
    const s = await spec({ v: '{{ line.missing }}' });
    expect(() => messages(s, 0, 1)).toThrow(/t\.json: "v": \{\{ line\.missing \}\}/);
    const f = await spec({ v: '{{ fake("no.such") }}' });
    expect(() => messages(f, 0, 1)).toThrow(/fake\("no\.such"\): no such generator/);
    const w = await spec({ v: '{{ int("a", 2) }}' });
    expect(() => messages(w, 0, 1)).toThrow(/int\(\): min must be a number/);
  });
});

describe('topic templates', () => {
  it('thing, index, seq and payload fields (dots reach inside)', () => {
    const t = compileTopic('elf/{thing}/{index}/{seq}/{Direction}/{a.b}');
    expect(t.readsPayload).toBe(true);
    expect(t.render('thing_1', 1, 7, { Direction: 'N', a: { b: 3 } })).toBe('elf/thing_1/1/7/N/3');
    expect(compileTopic('elf/{thing}').readsPayload).toBe(false);
  });

  it('a missing field or a value that cannot be a topic level is an error naming it', () => {
    const t = compileTopic('elf/{Direction}');
    expect(() => t.render('x', 0, 0, {})).toThrow(/\{Direction\}: the payload has no such field/);
    expect(() => t.render('x', 0, 0, { Direction: 'a+b' })).toThrow(/cannot be a topic level/);
    expect(() => compileTopic('elf/{}')).toThrow(/is not a placeholder/);
    expect(() => compileTopic('elf/{a..b}')).toThrow(/is not a placeholder/);
  });

  it('a field name with spaces is a placeholder too: {Time Bin}', () => {
    const t = compileTopic('elf/{ Time Bin }/{Day of Week}');
    expect(t.render('x', 0, 0, { 'Time Bin': '07:15', 'Day of Week': 2 })).toBe('elf/07:15/2');
  });

  it('the policy check: a template must stay under the fleet topic root', () => {
    expect(topicPolicyProblem('elf/{thing}', 'elf')).toBeUndefined();
    expect(topicPolicyProblem('elf/x/{thing}/{Direction}', 'elf')).toBeUndefined();
    expect(topicPolicyProblem('{thing}/elf', 'elf')).toMatch(/outside the fleet's topic root 'elf'/);
    expect(topicPolicyProblem('elfish/{thing}', 'elf')).toMatch(/outside/);
    expect(topicPolicyProblem('other/{thing}', 'elf')).toMatch(/outside/);
  });

  it('the policy check of a plain topic: the root or under it', () => {
    expect(topicPolicyProblem('elf', 'elf')).toBeUndefined();
    expect(topicPolicyProblem('elf/a/b', 'elf')).toBeUndefined();
    expect(topicPolicyProblem('elfish', 'elf')).toMatch(/--topic 'elfish' is outside the fleet's topic root 'elf'/);
    expect(topicPolicyProblem('other/elf', 'elf')).toMatch(/outside/);
  });

  it('a topic from the line itself (no payload template)', () => {
    const t = new ThingTraffic({ topic: compileTopic('elf/{thing}/{Direction}'), seed: 0, intervalSec: 1 }, 0, 'thing_0', 'elf');
    expect(t.next('{"Direction":"S"}', 0)).toBe('{"Direction":"S"}');
    expect(t.topic).toBe('elf/thing_0/S');
  });
});

describe('the per-thing generator', () => {
  it('is uniform enough and seeded per thing', () => {
    const r = new Rng(thingSeed(1, 0));
    const xs = Array.from({ length: 10_000 }, () => r.next());
    const mean = xs.reduce((a, b) => a + b, 0) / xs.length;
    expect(mean).toBeGreaterThan(0.48);
    expect(mean).toBeLessThan(0.52);
    expect(Math.min(...xs)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...xs)).toBeLessThan(1);
    expect(thingSeed(1, 0)).not.toBe(thingSeed(1, 1));
    expect(new Rng(thingSeed(1, 0)).next()).toBe(xs[0]);
  });
});

describe('--rate', () => {
  it('spreads a fleet-wide rate evenly over the things; AWS allows 100/s per connection', async () => {
    const { intervalOf } = await import('../../src/cli/traffic-options.js');
    expect(intervalOf({}, 5, false)).toBe(1);
    expect(intervalOf({ interval: 0.5 }, 5, false)).toBe(0.5);
    expect(intervalOf({ rate: 50 }, 10, false)).toBe(0.2);
    expect(intervalOf({ rate: 1000 }, 2, false)).toBe(0.002);
    expect(intervalOf({ rate: 200 }, 2, true)).toBe(0.01);
    expect(() => intervalOf({ rate: 201 }, 2, true)).toThrow(/--rate 201 over 2 things is 101 publishes\/s per connection; AWS IoT Core allows 100/);
    expect(() => intervalOf({ rate: 10, interval: 1 }, 2, false)).toThrow(/--rate or --interval, not both/);
  });
});
