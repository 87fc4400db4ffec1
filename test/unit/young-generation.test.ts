import { setImmediate as turn } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { limitYoungGeneration, newSpaceBytes } from '../../src/young-generation.js';

const MB = 1024 * 1024;

/** short-lived garbage with a few thousand objects always alive (as in a stream of messages), the event loop turning */
async function churn(turns: number): Promise<number> {
  const alive: Array<{ i: number; s: string; a: number[] }> = [];
  let largest = 0;
  for (let t = 0; t < turns; t++) {
    for (let i = 0; i < 5000; i++) {
      alive.push({ i, s: `line ${i}`, a: [i, i] });
      if (alive.length > 4000) alive.shift();
    }
    largest = Math.max(largest, newSpaceBytes());
    await turn();
  }
  return largest;
}

describe('limitYoungGeneration', () => {
  // one test: the V8 flag it sets is process-wide, and the order matters
  it('stops the new space growing at the limit (one doubling may slip in), and V8 grows it again after', async () => {
    const unlimit = limitYoungGeneration(4);
    const limited = await churn(1000);
    unlimit();
    const free = await churn(1000);
    expect(limited).toBeGreaterThan(0);
    expect(limited).toBeLessThanOrEqual(8 * MB);
    // the same load without the limit: the assertion above is not true by default
    expect(free).toBeGreaterThan(8 * MB);
  });
});
