import { describe, expect, it } from 'vitest';
import { computeDelta, parseShadowTopic, ShadowService, type ShadowMessage } from '../../src/local/shadow.js';

const T0 = 1_700_000_000_000;
function service() {
  let now = T0;
  const svc = new ShadowService({ now: () => now });
  return { svc, tick: (s: number) => (now += s * 1000) };
}
const buf = (v: unknown) => Buffer.from(typeof v === 'string' ? v : JSON.stringify(v));
const P = '$aws/things/thing_0/shadow';
const byTopic = (msgs: ShadowMessage[]) => Object.fromEntries(msgs.map((m) => [m.topic, m.payload]));
const update = (svc: ShadowService, doc: unknown, shadowName?: string) =>
  byTopic(svc.handle({ thingName: 'thing_0', op: 'update', ...(shadowName ? { shadowName } : {}) }, buf(doc)));

describe('shadow topics', () => {
  it('parses classic and named request topics, and nothing else', () => {
    expect(parseShadowTopic('$aws/things/thing_0/shadow/update')).toEqual({ thingName: 'thing_0', op: 'update' });
    expect(parseShadowTopic('$aws/things/t/shadow/name/cfg/get')).toEqual({ thingName: 't', shadowName: 'cfg', op: 'get' });
    expect(parseShadowTopic('$aws/things/t/shadow/delete')).toEqual({ thingName: 't', op: 'delete' });
    expect(parseShadowTopic('$aws/things/t/shadow/update/accepted')).toBeUndefined();
    expect(parseShadowTopic('$aws/things/t/shadow/name/update')).toBeUndefined();
    expect(parseShadowTopic('$aws/things/bad name/shadow/get')).toBeUndefined();
    expect(parseShadowTopic('elf/things/t/shadow/get')).toBeUndefined();
  });
});

describe('shadow update', () => {
  it('creates version 1, answers accepted + documents (+ delta when desired differs), echoes clientToken', () => {
    const { svc } = service();
    const r = update(svc, { state: { desired: { color: 'red', power: 1 } }, clientToken: 'tok-1' });
    const ts = T0 / 1000;
    expect(r[`${P}/update/accepted`]).toEqual({
      state: { desired: { color: 'red', power: 1 } },
      metadata: { desired: { color: { timestamp: ts }, power: { timestamp: ts } } },
      version: 1,
      timestamp: ts,
      clientToken: 'tok-1',
    });
    expect(r[`${P}/update/delta`]).toEqual({
      state: { color: 'red', power: 1 },
      metadata: { color: { timestamp: ts }, power: { timestamp: ts } },
      version: 1,
      timestamp: ts,
      clientToken: 'tok-1',
    });
    expect(r[`${P}/update/documents`]).toMatchObject({ previous: null, current: { state: { desired: { color: 'red', power: 1 } }, version: 1 }, clientToken: 'tok-1' });
  });

  it('merges only the fields given, null removes a field, versions increase, metadata keeps old timestamps', () => {
    const { svc, tick } = service();
    update(svc, { state: { reported: { color: 'red', temp: 20, nested: { a: 1, b: 2 } } } });
    tick(5);
    const r = update(svc, { state: { reported: { temp: null, nested: { b: 3 } } } });
    expect(r[`${P}/update/accepted`]).toMatchObject({ state: { reported: { temp: null, nested: { b: 3 } } }, version: 2 });
    const doc = r[`${P}/update/documents`] as { previous: { version: number }; current: { state: unknown; metadata: unknown; version: number } };
    expect(doc.previous.version).toBe(1);
    expect(doc.current.version).toBe(2);
    expect(doc.current.state).toEqual({ reported: { color: 'red', nested: { a: 1, b: 3 } } });
    const t0 = T0 / 1000;
    expect(doc.current.metadata).toEqual({ reported: { color: { timestamp: t0 }, nested: { a: { timestamp: t0 }, b: { timestamp: t0 + 5 } } } });
    expect(r[`${P}/update/delta`]).toBeUndefined(); // no desired, no delta
  });

  it('"desired": null removes the whole section', () => {
    const { svc } = service();
    update(svc, { state: { desired: { a: 1 }, reported: { a: 2 } } });
    update(svc, { state: { desired: null } });
    const got = byTopic(svc.handle({ thingName: 'thing_0', op: 'get' }, Buffer.alloc(0)));
    expect(got[`${P}/get/accepted`]).toMatchObject({ state: { reported: { a: 2 } }, version: 2 });
    expect((got[`${P}/get/accepted`] as { state: object }).state).not.toHaveProperty('desired');
    expect((got[`${P}/get/accepted`] as { state: object }).state).not.toHaveProperty('delta');
  });

  it('a stale version is rejected with 409 "Version conflict"; the current one is accepted', () => {
    const { svc } = service();
    update(svc, { state: { reported: { a: 1 } } });
    update(svc, { state: { reported: { a: 2 } } });
    const stale = update(svc, { state: { reported: { a: 3 } }, version: 1, clientToken: 'c' });
    expect(stale[`${P}/update/rejected`]).toEqual({ code: 409, message: 'Version conflict', timestamp: T0 / 1000, clientToken: 'c' });
    expect(Object.keys(stale)).toEqual([`${P}/update/rejected`]);
    const fresh = update(svc, { state: { reported: { a: 3 } }, version: 2 });
    expect(fresh[`${P}/update/accepted`]).toMatchObject({ version: 3 });
  });

  it.each([
    ['not json', 400, 'Invalid JSON'],
    ['[1,2]', 400, 'Invalid JSON'],
    [{ clientToken: 'x' }, 400, 'Missing required node: state'],
    [{ state: 5 }, 400, 'State node must be an object'],
    [{ state: { delta: {} } }, 400, "State contains an invalid node: 'delta'"],
    [{ state: { desired: 5 } }, 400, 'Desired node must be an object'],
    [{ state: { reported: [1] } }, 400, 'Reported node must be an object'],
    [{ state: { reported: {} }, version: 'one' }, 400, 'Invalid version'],
    [{ state: { reported: {} }, clientToken: 'x'.repeat(65) }, 400, 'Invalid clientToken'],
    [{ state: { reported: { a: { b: { c: { d: { e: { f: { g: 1 } } } } } } } } }, 400, 'JSON contains too many levels of nesting; maximum is 6'],
    [{ state: { reported: { big: 'x'.repeat(9000) } } }, 413, 'The payload exceeds the maximum size allowed'],
    [{ state: { reported: { a: 1 } }, version: 1 }, 409, 'Version conflict'], // no shadow yet
  ])('rejects %j with %i', (doc, code, message) => {
    const { svc } = service();
    const r = update(svc, doc);
    expect(r[`${P}/update/rejected`]).toMatchObject({ code, message });
    expect(svc.document('thing_0')).toBeUndefined();
  });

  it('rejects bytes that are not UTF-8 with 415', () => {
    const { svc } = service();
    const r = byTopic(svc.handle({ thingName: 'thing_0', op: 'update' }, Buffer.from([0xff, 0xfe, 0x7b])));
    expect(r[`${P}/update/rejected`]).toMatchObject({ code: 415 });
  });

  it('delta after a device report covers what still differs, including desired fields missing from reported', () => {
    const { svc } = service();
    update(svc, { state: { desired: { color: 'green', mode: 'auto', cfg: { a: 1, b: 2 } } } });
    const r = update(svc, { state: { reported: { color: 'green', cfg: { a: 1, b: 5 }, extra: true } } });
    expect(r[`${P}/update/delta`]).toMatchObject({ state: { mode: 'auto', cfg: { b: 2 } }, version: 2 });
    const done = update(svc, { state: { reported: { mode: 'auto', cfg: { b: 2 } } } });
    expect(done[`${P}/update/delta`]).toBeUndefined();
  });
});

describe('shadow get and delete', () => {
  it('get and delete of a missing shadow answer 404', () => {
    const { svc } = service();
    const g = byTopic(svc.handle({ thingName: 'thing_0', op: 'get' }, buf({ clientToken: 'g' })));
    expect(g[`${P}/get/rejected`]).toEqual({ code: 404, message: "No shadow exists with name: 'thing_0'", timestamp: T0 / 1000, clientToken: 'g' });
    const d = byTopic(svc.handle({ thingName: 'thing_0', op: 'delete' }, Buffer.alloc(0)));
    expect(d[`${P}/delete/rejected`]).toMatchObject({ code: 404 });
  });

  it('get returns state with delta, metadata, version; delete removes it and the next update continues the version sequence', () => {
    const { svc } = service();
    update(svc, { state: { desired: { a: 1 }, reported: { a: 0 } } });
    const g = byTopic(svc.handle({ thingName: 'thing_0', op: 'get' }, buf({ clientToken: 'g' })));
    expect(g[`${P}/get/accepted`]).toMatchObject({ state: { desired: { a: 1 }, reported: { a: 0 }, delta: { a: 1 } }, version: 1, clientToken: 'g' });
    const d = byTopic(svc.handle({ thingName: 'thing_0', op: 'delete' }, buf({ clientToken: 'd' })));
    expect(d[`${P}/delete/accepted`]).toEqual({ version: 1, timestamp: T0 / 1000, clientToken: 'd' });
    expect(svc.document('thing_0')).toBeUndefined();
    expect(byTopic(svc.handle({ thingName: 'thing_0', op: 'get' }, Buffer.alloc(0)))[`${P}/get/rejected`]).toMatchObject({ code: 404 });
    const again = update(svc, { state: { reported: { a: 2 } } });
    expect(again[`${P}/update/accepted`]).toMatchObject({ version: 2 });
    expect(again[`${P}/update/documents`]).toMatchObject({ previous: null });
  });

  it('named shadows are separate from the classic shadow and answer on their own topics', () => {
    const { svc } = service();
    update(svc, { state: { reported: { a: 1 } } });
    const n = update(svc, { state: { reported: { b: 1 } } }, 'cfg');
    expect(n[`${P}/name/cfg/update/accepted`]).toMatchObject({ version: 1 });
    expect(svc.document('thing_0', 'cfg')).toMatchObject({ state: { reported: { b: 1 } } });
    expect(svc.document('thing_0')).toMatchObject({ state: { reported: { a: 1 } } });
    const miss = byTopic(svc.handle({ thingName: 'thing_0', shadowName: 'other', op: 'get' }, Buffer.alloc(0)));
    expect(miss[`${P}/name/other/get/rejected`]).toMatchObject({ code: 404, message: "No shadow exists with name: 'other'" });
  });

  it('snapshot and restore carry shadows across instances; onChange fires on accepted changes only', () => {
    let changes = 0;
    const svc = new ShadowService({ now: () => T0, onChange: () => changes++ });
    update(svc, { state: { reported: { a: 1 } } });
    update(svc, { state: { reported: { a: 1 } }, version: 7 }); // rejected
    svc.handle({ thingName: 'thing_0', op: 'get' }, Buffer.alloc(0));
    expect(changes).toBe(1);
    const copy = new ShadowService({ now: () => T0 });
    copy.restore(JSON.parse(JSON.stringify(svc.snapshot())));
    expect(copy.document('thing_0')).toEqual(svc.document('thing_0'));
  });
});

describe('computeDelta (moto algorithm)', () => {
  it.each([
    [{ a: 1 }, { a: 1 }, {}],
    [{ a: 1 }, { a: 2 }, { a: 1 }],
    [{ a: 1 }, {}, { a: 1 }],
    [{}, { a: 1 }, {}], // reported-only fields are not in the delta
    [{ a: [1, 2] }, { a: [1, 2] }, {}], // arrays compare as values
    [{ a: [1, 2] }, { a: [2, 1] }, { a: [1, 2] }],
    [{ o: { x: 1, y: 2 } }, { o: { x: 1, y: 3 } }, { o: { y: 2 } }],
    [{ o: { x: 1 } }, { o: 5 }, { o: { x: 1 } }],
  ])('desired %j, reported %j → %j', (d, r, expected) => {
    expect(computeDelta(d as never, r as never)).toEqual(expected);
  });
});
