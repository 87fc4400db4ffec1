import { describe, expect, it } from 'vitest';
import { inWindow, orphanWindow, sweepDecision } from '../../src/provision/orphans.js';
import { renderBar } from '../../src/cli/progress-bar.js';

describe('orphan certificate rules', () => {
  const cert = (id: string, t: number) => ({ certificateId: id, certificateArn: `arn:aws:iot:r:1:cert/${id}`, status: 'ACTIVE', creationDate: new Date(t) });
  it('looks around the calls that were cut short, skipping what is recorded', () => {
    const w = orphanWindow([{ name: 'a', at: 1_000_000 }, { name: 'b', at: 1_010_000 }], 60_000, 180_000);
    expect(w).toEqual({ from: 940_000, to: 1_190_000 });
    expect(inWindow(cert('x', 1_005_000), w, new Set())).toBe(true);
    expect(inWindow(cert('x', 1_005_000), w, new Set(['x']))).toBe(false);
    expect(inWindow(cert('y', 900_000), w, new Set())).toBe(false);
    expect(inWindow(cert('z', 1_200_000), w, new Set())).toBe(false);
  });
  it('deletes only what cannot be anyone else’s', () => {
    expect(sweepDecision(0, 3, true)).toEqual({ action: 'none' });
    expect(sweepDecision(2, 3, true)).toEqual({ action: 'delete' });
    expect(sweepDecision(3, 3, false)).toEqual({ action: 'report', reason: 'not-allowed' });
    expect(sweepDecision(4, 3, true)).toEqual({ action: 'report', reason: 'ambiguous' });
  });
});

describe('progress bar', () => {
  it('shows done, failed and total', () => {
    expect(renderBar('creating', 5, 0, 10, 10)).toBe('creating [#####.....] 5/10');
    expect(renderBar('creating', 9, 1, 10, 10)).toBe('creating [##########] 10/10 (1 failed)');
  });
});
