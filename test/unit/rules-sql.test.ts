import { describe, expect, it } from 'vitest';
import { compileSql, resultBytes, SqlError, messageEnv } from '../../src/local/rules/engine.js';
import type { MessageContext } from '../../src/local/rules/functions.js';
import { parseTemplate, renderTemplate } from '../../src/local/rules/template.js';

// Each expected value is taken from AWS IoT's SQL reference; the page is named per case.
const FUNCTIONS = 'https://docs.aws.amazon.com/iot/latest/developerguide/iot-sql-functions.html';
const OPERATORS = 'https://docs.aws.amazon.com/iot/latest/developerguide/iot-sql-operators.html';
const TYPES = 'https://docs.aws.amazon.com/iot/latest/developerguide/iot-sql-data-types.html';
const WHERE = 'https://docs.aws.amazon.com/iot/latest/developerguide/iot-sql-where.html';
const SELECT = 'https://docs.aws.amazon.com/iot/latest/developerguide/iot-sql-select.html';
const CASE = 'https://docs.aws.amazon.com/iot/latest/developerguide/iot-sql-case.html';
const JSONEXT = 'https://docs.aws.amazon.com/iot/latest/developerguide/iot-sql-json.html';
const LITERALS = 'https://docs.aws.amazon.com/iot/latest/developerguide/iot-sql-literals.html';
const BINARY = 'https://docs.aws.amazon.com/iot/latest/developerguide/binary-payloads.html';
const FROM = 'https://docs.aws.amazon.com/iot/latest/developerguide/iot-sql-from.html';
const TOPICS = 'https://docs.aws.amazon.com/iot/latest/developerguide/topics.html#topicfilters';
const NESTED = 'https://docs.aws.amazon.com/iot/latest/developerguide/iot-sql-nested-queries.html';
const TEMPLATES = 'https://docs.aws.amazon.com/iot/latest/developerguide/iot-substitution-templates.html';

const ctx = (payload: unknown, topic = 'elf/thing-1/data'): MessageContext => ({
  topic,
  payload: Buffer.isBuffer(payload) ? payload : Buffer.from(JSON.stringify(payload)),
  clientId: 'thing-1',
  principal: 'c0ffee',
  timestamp: 1481825251155,
  ruleName: 'r',
  accountId: '123456789012',
  sqlVersion: '2016-03-23',
  newUuid: () => '1b9a5f2e-1c2d-4e5f-8a9b-0c1d2e3f4a5b',
});

/** The value of `expr` selected AS v over `payload`; undefined when it is Undefined (dropped from the result). */
function value(expr: string, payload: unknown = {}): unknown {
  const r = compileSql(`SELECT ${expr} AS v FROM 'elf/#'`).run(ctx(payload));
  if (!r || r.kind !== 'json') throw new Error('no JSON result');
  return JSON.parse(resultBytes(r).toString()).v;
}

// [expression, payload, expected (undefined = Undefined), source]
const CASES: [string, unknown, unknown, string][] = [
  ['abs(-5)', {}, 5, FUNCTIONS],
  ['ceil(1.2)', {}, 2, FUNCTIONS],
  ['ceil(-1.2)', {}, -1, FUNCTIONS],
  ['floor(1.2)', {}, 1, FUNCTIONS],
  ['floor(-1.2)', {}, -2, FUNCTIONS],
  ['round(1.2)', {}, 1, FUNCTIONS],
  ['round(1.5)', {}, 2, FUNCTIONS],
  ['round(1.7)', {}, 2, FUNCTIONS],
  ['round(-1.1)', {}, -1, FUNCTIONS],
  ['round(-1.5)', {}, -2, FUNCTIONS],
  ['round("2.6")', {}, 3, FUNCTIONS],
  ['round(true)', {}, undefined, FUNCTIONS],
  ['mod(8, 3)', {}, 2, FUNCTIONS],
  ['lower("HELLO")', {}, 'hello', FUNCTIONS],
  ['upper("hello")', {}, 'HELLO', FUNCTIONS],
  ['lower(5)', {}, undefined, FUNCTIONS],
  ["concat('abc', 'def')", {}, 'abcdef', FUNCTIONS],
  ['concat([1, 2], [3])', {}, [1, 2, 3], FUNCTIONS],
  ['substring("012345", 0)', {}, '012345', FUNCTIONS],
  ['substring("012345", 2)', {}, '2345', FUNCTIONS],
  ['substring("012345", 2.745)', {}, '2345', FUNCTIONS],
  ['substring(123, 2)', {}, '3', FUNCTIONS],
  ['substring("012345", -1)', {}, '012345', FUNCTIONS],
  ['substring(true, 1.2)', {}, 'rue', FUNCTIONS],
  ['substring(false, -2.411E5)', {}, 'false', FUNCTIONS],
  ['substring({}, 1)', {}, undefined, FUNCTIONS],
  ['substring("012345", 1, 3)', {}, '12', FUNCTIONS],
  ['substring("012345", -50, 50)', {}, '012345', FUNCTIONS],
  ['substring("012345", 3, 1)', {}, '', FUNCTIONS],
  ["startswith('elf/thing', 'elf')", {}, true, FUNCTIONS],
  ["startswith('elf', 'thing')", {}, false, FUNCTIONS],
  ['startswith(nosuch, "a")', {}, undefined, FUNCTIONS],
  ['isUndefined(5)', {}, false, FUNCTIONS],
  ['isUndefined(floor([1,2,3]))', {}, true, FUNCTIONS],
  ['isUndefined(nosuch)', {}, true, FUNCTIONS],
  ['get(["a", "b", "c"], 1)', {}, 'b', FUNCTIONS],
  ["get({'a': 'b'}, 'a')", {}, 'b', FUNCTIONS],
  ['get("abc", 1)', {}, 'b', FUNCTIONS],
  ['get(get(mydata, "item2"), "0")', { mydata: { item2: { '0': 'x' } } }, 'x', JSONEXT],
  ['cast(true AS Int)', {}, 1, FUNCTIONS],
  ['cast(10.6 AS Int)', {}, 10, FUNCTIONS],
  ['cast("10.6" AS Int)', {}, 10, FUNCTIONS],
  ['cast(0 AS Boolean)', {}, false, FUNCTIONS],
  ['cast(2 AS Boolean)', {}, true, FUNCTIONS],
  ['cast(5 AS String)', {}, '5', FUNCTIONS],
  ['cast("abc" AS Int)', {}, undefined, FUNCTIONS],
  ['topic()', {}, 'elf/thing-1/data', FUNCTIONS],
  ['topic(1)', {}, 'elf', FUNCTIONS],
  ['topic(2)', {}, 'thing-1', FUNCTIONS],
  ['clientid()', {}, 'thing-1', FUNCTIONS],
  ['principal()', {}, 'c0ffee', FUNCTIONS],
  ['timestamp()', {}, 1481825251155, FUNCTIONS],
  ['newuuid()', {}, '1b9a5f2e-1c2d-4e5f-8a9b-0c1d2e3f4a5b', FUNCTIONS],
  ['parse_time("yyyy-MM-dd HH:mm:ss z", 1520376788638)', {}, '2018-03-06 22:53:08 UTC', FUNCTIONS],
  ['parse_time("yyyy-MM-dd HH:mm:ss z", 1520376788638, "America/Belize")', {}, '2018-03-06 16:53:08 CST', FUNCTIONS],
  ["parse_time(\"yyyy-MM-dd'T'HH:mm:ss.SSSZ\", 1520376788638)", {}, '2018-03-06T22:53:08.638+0000', FUNCTIONS],
  // operators
  ['5 + 6', {}, 11, OPERATORS],
  ['5 + 6.5', {}, 11.5, OPERATORS],
  ['0.1 + 0.2', {}, 0.3, TYPES],
  ["'a' + 1", {}, 'a1', OPERATORS],
  ['7 / 2', {}, 3, OPERATORS],
  ['7.5 / 2', {}, 3.75, OPERATORS],
  ['"3" * 2', {}, 6, OPERATORS],
  ['5 % 2', {}, 1, OPERATORS],
  ['{} * 2', {}, undefined, OPERATORS],
  ["'a' = 1", {}, false, OPERATORS],
  ["'a' <> 1", {}, true, OPERATORS],
  ['[1, 2] = [1, 2]', {}, true, OPERATORS],
  ["{'a': 1, 'b': 2} = {'b': 2, 'a': 1}", {}, true, OPERATORS],
  ['nosuch = 1', {}, undefined, OPERATORS],
  ["'10' > 9", {}, true, OPERATORS],
  ["'abc' > 9", {}, undefined, OPERATORS],
  ['true AND false', {}, false, OPERATORS],
  ["'TRUE' OR false", {}, true, OPERATORS],
  ['1 AND true', {}, undefined, OPERATORS],
  ['NOT true', {}, false, OPERATORS],
  ["CASE color WHEN 'green' THEN 'go' WHEN 'yellow' THEN 'caution' WHEN 'red' THEN 'stop' ELSE 'unknown' END", { color: 'yellow' }, 'caution', CASE],
  ["CASE color WHEN 'green' THEN 'go' ELSE 'unknown' END", { color: 'blue' }, 'unknown', CASE],
  ["CASE color WHEN 'green' THEN 'go' END", { color: 'blue' }, undefined, CASE],
  ["CASE nosuch WHEN 'green' THEN 'go' ELSE 'x' END", {}, undefined, CASE],
  // types and nested data
  ['10.0', {}, 10, TYPES],
  ['a.b', { a: { b: 4 } }, 4, JSONEXT],
  ['a.b[1]', { a: { b: [1, 2] } }, 2, JSONEXT],
  ['a.nosuch.c', { a: {} }, undefined, JSONEXT],
  ["{'x': 1, 'y': nosuch}", {}, { x: 1 }, LITERALS],
];

describe('AWS IoT SQL expressions (2016-03-23)', () => {
  it.each(CASES)('%s over %j is %j (%s)', (expr, payload, expected) => {
    expect(value(expr, payload)).toEqual(expected);
  });
});

describe('SELECT, FROM and WHERE', () => {
  const run = (sql: string, payload: unknown, topic?: string) => {
    const r = compileSql(sql).run(ctx(payload, topic));
    return r && resultBytes(r).toString();
  };

  it(`drops Undefined fields from the result (${TYPES})`, () => {
    expect(run("SELECT a, nosuch, b.c FROM 'elf/#'", { a: null, b: { c: 2 } })).toBe('{"a":null,"c":2}');
  });

  it(`names an item without an alias after its field (${SELECT})`, () => {
    expect(run("SELECT color.red FROM 'elf/#'", { color: { red: 255 } })).toBe('{"red":255}');
  });

  it(`SELECT *, expr AS x adds to the payload (${SELECT})`, () => {
    expect(run("SELECT *, topic(2) AS thing FROM 'elf/#'", { v: 1 })).toBe('{"v":1,"thing":"thing-1"}');
  });

  it(`SELECT VALUE gives the bare value (${SELECT})`, () => {
    expect(run("SELECT VALUE v FROM 'elf/#'", { v: [1, 2] })).toBe('[1,2]');
  });

  it(`keeps VALUE usable as a field name (${SELECT})`, () => {
    expect(run("SELECT value FROM 'elf/#'", { value: 3 })).toBe('{"value":3}');
  });

  it(`SELECT * passes a payload that is not JSON through unchanged (${BINARY})`, () => {
    const bytes = Buffer.from([0x00, 0xff, 0x10, 0x7b]);
    const r = compileSql("SELECT * FROM 'elf/#'").run(ctx(bytes));
    expect(r?.kind).toBe('bytes');
    expect(resultBytes(r!)).toEqual(bytes);
  });

  it(`encode(*, 'base64') encodes the bytes as they arrived (${BINARY})`, () => {
    expect(run("SELECT encode(*, 'base64') AS data FROM 'elf/#'", Buffer.from('not json'))).toBe(`{"data":"${Buffer.from('not json').toString('base64')}"}`);
  });

  it(`a WHERE on an Undefined value does not fire (${WHERE})`, () => {
    expect(run("SELECT * FROM 'elf/#' WHERE Volume > 50", { Other: 1 })).toBeUndefined();
    expect(run("SELECT * FROM 'elf/#' WHERE NOT Volume > 50", { Other: 1 })).toBeUndefined();
    expect(run("SELECT * FROM 'elf/#' WHERE Volume > 50", { Volume: '51' })).toBe('{"Volume":"51"}');
    expect(run("SELECT * FROM 'elf/#' WHERE Volume > 50", { Volume: 50 })).toBeUndefined();
  });

  it(`WHERE is evaluated against the message, not SELECT's aliases (${WHERE})`, () => {
    expect(run("SELECT Volume * 2 AS v2 FROM 'elf/#' WHERE v2 > 50", { Volume: 30 })).toBeUndefined();
  });

  it(`FROM matches like AWS's topic filters: elf/# does not match elf (${FROM}, ${TOPICS})`, () => {
    const q = compileSql("SELECT * FROM 'elf/#'");
    expect(q.matches('elf')).toBe(false);
    expect(q.matches('elf/')).toBe(true);
    expect(q.matches('elf/a/b')).toBe(true);
    expect(q.matches('elfx/a')).toBe(false);
    const plus = compileSql("SELECT * FROM 'topic/+'");
    expect(plus.matches('topic/a')).toBe(true);
    expect(plus.matches('topic/a/b')).toBe(false);
    expect(compileSql('SELECT * FROM "elf"').matches('elf')).toBe(true);
  });

  it('keywords are case-insensitive', () => {
    expect(run("select a as b from 'elf/#' where a = 1", { a: 1 })).toBe('{"b":1}');
  });
});

describe(`nested SELECT (${NESTED})`, () => {
  // AWS's example message and its three rules, with the outputs the page gives
  const message = {
    e: [
      { n: 'temperature', u: 'Cel', t: 1234, v: 22.5 },
      { n: 'light', u: 'lm', t: 1235, v: 135 },
      { n: 'acidity', u: 'pH', t: 1235, v: 7 },
    ],
  };
  const run = (sql: string, payload: unknown = message) => {
    const r = compileSql(sql).run(ctx(payload, 'my/topic'));
    return r && JSON.parse(resultBytes(r).toString());
  };
  it.each([
    ["SELECT (SELECT VALUE n FROM e) as sensors FROM 'my/topic'", { sensors: ['temperature', 'light', 'acidity'] }],
    ["SELECT (SELECT v FROM e WHERE n = 'temperature') as temperature FROM 'my/topic'", { temperature: [{ v: 22.5 }] }],
    ["SELECT get((SELECT v FROM e WHERE n = 'temperature'), 0).v as temperature FROM 'my/topic'", { temperature: 22.5 }],
  ])('%s gives %j', (sql, expected) => {
    expect(run(sql)).toEqual(expected);
  });
  it('names the inner documents in FROM by path, sees the message functions, and is Undefined over a missing array', () => {
    expect(run("SELECT (SELECT VALUE v * 2 FROM a.b WHERE v > 1) AS x, (SELECT topic() AS t, k FROM a.b) AS y, (SELECT * FROM nosuch) AS z FROM 'my/#'", { a: { b: [{ v: 1 }, { v: 2, k: 'q' }] } })).toEqual({
      x: [4],
      y: [{ t: 'my/topic' }, { t: 'my/topic', k: 'q' }],
    });
  });
  it.each([
    ["SELECT (SELECT VALUE a, b FROM e) AS x FROM 'a'", 'SELECT VALUE takes exactly one expression'],
    ["SELECT (SELECT nosuchfn(n) FROM e) AS x FROM 'a'", 'unknown function nosuchfn()'],
    ["SELECT (SELECT n FROM e WHERE nosuchfn(n)) AS x FROM 'a'", 'unknown function nosuchfn()'],
    ["SELECT (SELECT n) AS x FROM 'a'", 'SQL does not parse'],
  ])('refuses %s', (sql, message) => {
    expect(() => compileSql(sql)).toThrow(message);
  });
});

describe('refused at create time', () => {
  it.each([
    ["SELECT get_thing_shadow('t', 'arn') FROM 'a'", 'function get_thing_shadow() is not supported by the elf stand-in'],
    ["SELECT nosuchfn(1) FROM 'a'", 'unknown function nosuchfn()'],
    ["SELECT abs(1, 2) FROM 'a'", 'function abs() takes 1 argument, not 2'],
    ["SELECT cast(1 AS Blob) FROM 'a'", 'cast to unknown type Blob'],
    ["SELECT FROM 'a'", "SQL does not parse: unexpected 'FROM' at offset 7"],
    ['SELECT a FROM elf', "SQL does not parse: unexpected 'elf' at offset 14"],
    ["SELECT * FROM 'a/#/b'", "FROM 'a/#/b': # must be the last level of a topic filter, alone"],
  ])('%s', (sql, message) => {
    expect(() => compileSql(sql)).toThrow(SqlError);
    expect(() => compileSql(sql)).toThrow(message);
  });
});

describe(`substitution templates (${TEMPLATES})`, () => {
  it('expands expressions against the original message', () => {
    const t = parseTemplate('${topic()}/${timestamp()}-${loc}${nosuch}', 'key');
    expect(renderTemplate(t, messageEnv(ctx({ loc: 'x' })))).toBe('elf/thing-1/data/1481825251155-x');
  });
  it("handles braces inside a template's expression", () => {
    expect(renderTemplate(parseTemplate("${get({'a': 'b}'}, 'a')}", 'key'), messageEnv(ctx({})))).toBe('b}');
  });
  it('names the field whose template does not parse', () => {
    expect(() => parseTemplate('${topic(}', 'key')).toThrow(/^key: template \$\{topic\(\}/);
    expect(() => parseTemplate('${nosuch()}', 'key')).toThrow('unknown function nosuch()');
  });
});
