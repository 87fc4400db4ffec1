import { describe, expect, it } from 'vitest';
import { Qos0Gate } from '../../src/mqtt/qos0-gate.js';

const opts = { syncEveryMessages: 4, syncEveryBytes: 1000, maxMessages: 10, maxBytes: 2000 };

/** hands messages to the gate while it lets them through; returns the sync ids and how many went */
function fill(gate: Qos0Gate, bytes: number, upTo = 1000): { sent: number; syncs: number[] } {
  const syncs: number[] = [];
  let sent = 0;
  while (sent < upTo && gate.canSend(bytes)) {
    const id = gate.sent(bytes);
    if (id !== undefined) syncs.push(id);
    sent++;
  }
  return { sent, syncs };
}

describe('Qos0Gate', () => {
  it('marks every n-th message as a sync point', () => {
    const gate = new Qos0Gate(opts);
    const ids = Array.from({ length: 8 }, () => gate.sent(10));
    expect(ids.map((x) => x !== undefined)).toEqual([false, false, false, true, false, false, false, true]);
  });

  it('marks a sync point once the bytes since the last one reach the limit', () => {
    const gate = new Qos0Gate(opts);
    expect(gate.sent(600)).toBeUndefined();
    expect(gate.sent(600)).toBe(1);
  });

  it('stops at maxMessages unconfirmed while sync points are outstanding, and reopens on their acknowledgement', () => {
    const gate = new Qos0Gate(opts);
    const first = fill(gate, 10);
    expect(first.sent).toBe(10);
    expect(first.syncs).toEqual([1, 2]);
    expect(gate.canSend(10)).toBe(false);
    gate.settled(1);
    expect(gate.unconfirmed).toEqual({ messages: 6, bytes: 60, syncs: 1 });
    const second = fill(gate, 10);
    expect(second.sent).toBe(4);
    // out-of-order or skipped acknowledgements release everything up to the acknowledged one
    gate.settled(3);
    expect(gate.unconfirmed.syncs).toBe(0);
    expect(gate.unconfirmed.messages).toBe(2);
  });

  it('bounds the unconfirmed bytes', () => {
    const gate = new Qos0Gate(opts);
    const r = fill(gate, 300);
    expect(r.sent * 300).toBeLessThanOrEqual(2000);
    expect(gate.canSend(300)).toBe(false);
  });

  it('never holds a message back when no sync point is outstanding (it could wait forever)', () => {
    const gate = new Qos0Gate(opts);
    expect(gate.canSend(10_000)).toBe(true);
    expect(gate.sent(10_000)).toBe(1);
    expect(gate.canSend(10)).toBe(false);
    gate.settled(1);
    expect(gate.canSend(10_000)).toBe(true);
  });

  it('refuses options whose bound comes before the first sync point', () => {
    expect(() => new Qos0Gate({ ...opts, syncEveryMessages: 20 })).toThrow(RangeError);
  });
});
