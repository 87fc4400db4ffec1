import { describe, expect, it } from 'vitest';
import { isValidJson } from '../../src/source/json-validate.js';

function valid(text: string): boolean {
  const b = Buffer.from(text);
  return isValidJson(b, 0, b.length);
}

function parses(text: string): boolean {
  try {
    JSON.parse(text);
    return true;
  } catch {
    return false;
  }
}

/** a small deterministic PRNG (mulberry32), so that a failure can be replayed */
function prng(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

describe('isValidJson agrees with JSON.parse', () => {
  it.each([
    '{}', '[]', '0', '-0', '-0.5e+10', '1E5', '"a\\u00e9\\n\\"\\\\\\/"', 'true', 'false', 'null', ' {"a" : [1, {"b": null}] } ',
    '{"a":1,"b":[true,false,null,"x",-1.5e-3,{}]}', '[[[[]]]]', '"é ✓ 😀"', '\t[1,\r\n2]\n',
    '', ' ', '{', '}', '[1,]', '[,1]', '{"a":1,}', '{"a" 1}', '{a:1}', "{'a':1}", '01', '1.', '.5', '+1', '-', '1e', '1e+',
    '0x10', 'tru', 'nul', 'truex', 'NaN', 'Infinity', '"\\x41"', '"\\u12"', '"a\tb"', '"a\nb"', '"abc', '[1 2]', '{"a":1}}',
    '{"a":1}{', '[1]]', '[}', '{]', '{"a":}', '{"a"}', '{,}', '[1,,2]', '1 2', '"a" "b"', '{"a":1,"a":2}', '-01', '2.e3',
  ])('%j', (text) => {
    expect(valid(text)).toBe(parses(text));
  });

  it('on 20,000 random mutations of valid documents', () => {
    const random = prng(42);
    const alphabet = '{}[]":,.-+eE0123456789 \n\t\\/ubtnrfaslx';
    const docs = [
      { a: 1, b: [true, false, null], c: 'x\\"y', d: { e: -1.5e-3, f: [] } },
      [0, -0.25, 1e21, 'é', { k: 'v' }],
      { s: 'CAPITAL OF TEXAS HWY', lat: 30.3851, lon: -97.78566, n: 103 },
    ];
    let disagreements: string[] = [];
    let stillValid = 0;
    for (let n = 0; n < 20_000; n++) {
      let text = JSON.stringify(docs[n % docs.length], null, n % 2 ? 1 : undefined);
      const edits = 1 + Math.floor(random() * 3);
      for (let k = 0; k < edits; k++) {
        const at = Math.floor(random() * (text.length + 1));
        const r = random();
        const ch = alphabet[Math.floor(random() * alphabet.length)]!;
        if (r < 0.4) text = text.slice(0, at) + text.slice(at + 1); // delete
        else if (r < 0.8) text = text.slice(0, at) + ch + text.slice(at); // insert
        else text = text.slice(0, at) + ch + text.slice(at + 1); // replace
      }
      const ok = parses(text);
      if (ok) stillValid++;
      if (valid(text) !== ok) disagreements.push(text);
    }
    // the mutations exercise both answers
    expect(stillValid).toBeGreaterThan(2000);
    expect(stillValid).toBeLessThan(18_000);
    disagreements = disagreements.slice(0, 5);
    expect(disagreements).toEqual([]);
  });

  it('handles deep nesting without recursion', () => {
    expect(valid('['.repeat(100_000) + ']'.repeat(100_000))).toBe(true);
    expect(valid('['.repeat(100_000) + ']'.repeat(99_999))).toBe(false);
    expect(valid('{"a":'.repeat(10_000) + '1' + '}'.repeat(10_000))).toBe(true);
  });

  it('checks only the given range', () => {
    const b = Buffer.from('xx{"a":1}yy');
    expect(isValidJson(b, 2, 9)).toBe(true);
    expect(isValidJson(b, 2, 8)).toBe(false);
    expect(isValidJson(Buffer.from('[1,2]'), 0, 3)).toBe(false);
  });
});
