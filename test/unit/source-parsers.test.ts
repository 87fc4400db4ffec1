import { describe, expect, it } from 'vitest';
import { CsvParser, csvFieldJson } from '../../src/source/csv.js';
import { detectFormat } from '../../src/source/detect.js';
import { JsonLinesParser } from '../../src/source/jsonl.js';
import { JsonValuesParser, type JsonLayout } from '../../src/source/json-values.js';
import { BomStripper, type ChunkParser } from '../../src/source/parser.js';
import type { SourceItem } from '../../src/source/types.js';

/** feeds `input` to a fresh parser in pieces of `size` bytes (Infinity: one piece) */
function parse(make: () => ChunkParser, input: Buffer | string, size = Infinity): SourceItem[] {
  const bytes = typeof input === 'string' ? Buffer.from(input) : input;
  const parser = new BomStripper(make());
  const out: SourceItem[] = [];
  if (size === Infinity) parser.push(bytes, out);
  else for (let i = 0; i < bytes.length; i += size) parser.push(bytes.subarray(i, i + size), out);
  parser.end(out);
  return out;
}

/** the same items whatever the chunking: every split point of a 2-piece feed, and 1-byte pieces */
function expectChunkingInvariant(make: () => ChunkParser, input: string): SourceItem[] {
  const bytes = Buffer.from(input);
  const whole = parse(make, bytes);
  expect(parse(make, bytes, 1)).toEqual(whole);
  for (let cut = 1; cut < bytes.length; cut++) {
    const parser = new BomStripper(make());
    const out: SourceItem[] = [];
    parser.push(bytes.subarray(0, cut), out);
    parser.push(bytes.subarray(cut), out);
    parser.end(out);
    expect(out, `split at byte ${cut}`).toEqual(whole);
  }
  return whole;
}

const msg = (line: number, payload: string): SourceItem => ({ kind: 'message', line, payload });
const jsonl = (max = 131072) => () => new JsonLinesParser(max);
const json = (layout: JsonLayout = 'auto', max = 131072) => () => new JsonValuesParser(max, layout);
const csv = (max = 131072) => () => new CsvParser(max);

describe('JSON Lines', () => {
  it('sends each line byte-equal, with its line number, skipping blank lines silently', () => {
    const lines = ['{"a":1}', '  { "b" : [1, 2.50, "é ✓ 😀"] }  ', '"just a string"', '12345678901234567890'];
    const input = `${lines[0]}\n\n   \n${lines[1]}\n\t\n${lines[2]}\n${lines[3]}`;
    const items = expectChunkingInvariant(jsonl(), input);
    expect(items).toEqual([msg(1, lines[0]!), msg(4, lines[1]!), msg(6, lines[2]!), msg(7, lines[3]!)]);
  });

  it('handles a BOM and CRLF endings, a CR split from its LF included', () => {
    const items = expectChunkingInvariant(jsonl(), '\uFEFF{"a":1}\r\n\r\n{"b":2}\r\n{"c":3}');
    expect(items).toEqual([msg(1, '{"a":1}'), msg(3, '{"b":2}'), msg(4, '{"c":3}')]);
  });

  it('skips an invalid line with its line number and goes on', () => {
    const items = expectChunkingInvariant(jsonl(), '{"a":1}\n{"a":\n{oops}\n{"b":2}\n');
    expect(items.map((i) => [i.kind, i.line])).toEqual([
      ['message', 1],
      ['skip', 2],
      ['skip', 3],
      ['message', 4],
    ]);
    expect(items[1]).toMatchObject({ reason: expect.stringMatching(/^invalid JSON \(.+\)$/) });
  });

  it('skips a line that is not UTF-8', () => {
    const input = Buffer.concat([Buffer.from('{"a":"é"}\n{"a":"'), Buffer.from([0xc3, 0x28]), Buffer.from('"}\n{"b":1}\n')]);
    expect(parse(jsonl(), input)).toEqual([msg(1, '{"a":"é"}'), { kind: 'skip', line: 2, reason: 'invalid UTF-8' }, msg(3, '{"b":1}')]);
  });

  it('takes a line of exactly the payload limit and skips one byte more, whatever the chunking', () => {
    const ok = `"${'x'.repeat(8)}"`; // 10 bytes
    const over = `"${'y'.repeat(9)}"`; // 11 bytes
    const input = `${ok}\r\n${over}\r\n${ok}\n${over}`;
    const items = expectChunkingInvariant(jsonl(10), input);
    const reason = 'line is 11 bytes, over the payload limit of 10 bytes';
    expect(items).toEqual([msg(1, ok), { kind: 'skip', line: 2, reason }, msg(3, ok), { kind: 'skip', line: 4, reason }]);
  });

  it('skips a 200 KB line as over the 128 KB limit and keeps the lines around it', () => {
    const big = JSON.stringify({ pad: 'x'.repeat(200 * 1024) });
    const items = parse(jsonl(), `{"a":1}\n${big}\n{"b":2}\n`, 64 * 1024);
    expect(items).toEqual([
      msg(1, '{"a":1}'),
      { kind: 'skip', line: 2, reason: `line is ${big.length} bytes, over the payload limit of 131072 bytes` },
      msg(3, '{"b":2}'),
    ]);
  });

  it('sends a line nested 10,000 levels deep without crashing', () => {
    const deep = '['.repeat(10_000) + ']'.repeat(10_000);
    expect(parse(jsonl(), `${deep}\n{"after":true}\n`)).toEqual([msg(1, deep), msg(2, '{"after":true}')]);
  });
});

describe('JSON array', () => {
  it('streams elements of a pretty-printed array: nested arrays, brackets and escaped quotes inside strings', () => {
    const elements = [
      { s: 'a ] } [ { , "quoted" \\ \\"', n: [1, [2, [3, []]]] },
      '[not an array]',
      42,
      null,
      { emoji: 'é ✓ 😀', ctrl: '\n\t' },
      [],
      {},
    ];
    const input = `[\n${elements.map((e) => JSON.stringify(e, null, 2).replace(/^/gm, '  ')).join(',\n')}\n]\n`;
    const items = expectChunkingInvariant(json(), input);
    expect(items.map((i) => (i.kind === 'message' ? i.payload : i))).toEqual(elements.map((e) => JSON.stringify(e)));
    const starts = input.split('\n').flatMap((l, k) => (/^ {2}\S/.test(l) && !/^ {2}[\]}]/.test(l) ? [k + 1] : []));
    expect(items.map((i) => i.line)).toEqual(starts);
  });

  it('keeps numbers and escapes as written', () => {
    const items = parse(json(), '[ {"id": 12345678901234567890, "x": 1.50, "u": "\\u00e9\\/"} ]');
    expect(items).toEqual([msg(1, '{"id":12345678901234567890,"x":1.50,"u":"\\u00e9\\/"}')]);
  });

  it('skips an invalid element and goes on; reads several arrays in turn', () => {
    const input = '[\n  {"a": 1},\n  {"b": },\n  {"c": 1 2},\n  tru e,\n  {"d": 4}\n]\n[5]';
    const items = expectChunkingInvariant(json(), input);
    expect(items.map((i) => [i.kind, i.line])).toEqual([
      ['message', 2],
      ['skip', 3],
      ['skip', 4],
      ['skip', 5], // `tru`
      ['skip', 5], // `e`
      ['message', 6],
      ['message', 8],
    ]);
    expect(items[5]).toEqual(msg(6, '{"d":4}'));
  });

  it('tolerates a trailing comma, reports stray brackets and text after the array', () => {
    const items = parse(json(), '[1, 2,]\n[3}, 4]\ngarbage\n[5]');
    expect(items).toEqual([
      msg(1, '1'),
      msg(1, '2'),
      msg(2, '3'),
      { kind: 'skip', line: 2, reason: "unexpected '}' between array elements" },
      msg(2, '4'),
      { kind: 'skip', line: 3, reason: 'unexpected text outside the JSON array' },
      msg(4, '5'),
    ]);
  });

  it('skips an element over the payload limit (stripped of whitespace) without keeping it', () => {
    const items = parse(json('auto', 20), `[\n  {"a": "short"},\n  {"a": "${'z'.repeat(1000)}"},\n  {"b": 1}\n]`, 7);
    expect(items).toEqual([
      msg(2, '{"a":"short"}'),
      { kind: 'skip', line: 3, reason: 'array element is 1008 bytes, over the payload limit of 20 bytes' },
      msg(4, '{"b":1}'),
    ]);
  });

  it('sends an element nested 10,000 levels deep without crashing', () => {
    const deep = '{"a":'.repeat(10_000) + '1' + '}'.repeat(10_000);
    expect(parse(json(), `[${deep}, 2]`)).toEqual([msg(1, deep), msg(1, '2')]);
  });

  it('reports an element cut off by the end of the file', () => {
    expect(parse(json(), '[{"a":1}, {"b": [1,')).toEqual([
      msg(1, '{"a":1}'),
      { kind: 'skip', line: 1, reason: 'array element is not complete at the end of the file' },
    ]);
  });
});

describe('JSON documents', () => {
  it("streams pretty-printed documents like the original's example.json, compacted", () => {
    const docs = [{ a: 1, nested: { list: [1, 2, { s: '} {' }] } }, { b: 'two' }, [1, 2]];
    const input = docs.map((d) => JSON.stringify(d, null, 2)).join('\n') + '\n{"c":3}{"d":4} {"e":5}\n';
    const items = expectChunkingInvariant(json(), input);
    expect(items.map((i) => (i.kind === 'message' ? i.payload : ''))).toEqual([...docs, { c: 3 }, { d: 4 }, { e: 5 }].map((d) => JSON.stringify(d)));
    // doc 1 is 12 lines, doc 2 is 3, doc 3 is 4
    expect(items.map((i) => i.line)).toEqual([1, 13, 16, 20, 20, 20]);
  });

  it('skips an invalid document and resynchronises after an unterminated one', () => {
    const input = '{\n  "a": 1,\n}\n{\n  "b": {\n    "c": 2\n\n{\n  "d": 4\n}\n}}\n{"e": "line\nbreak"}\n{"f": 6}\n';
    const items = expectChunkingInvariant(json('documents'), input);
    expect(items).toEqual([
      { kind: 'skip', line: 1, reason: expect.stringMatching(/^invalid JSON/) },
      { kind: 'skip', line: 4, reason: 'document is not complete: a new one starts on line 8' },
      msg(8, '{"d":4}'),
      { kind: 'skip', line: 11, reason: "unexpected '}' between documents" },
      { kind: 'skip', line: 12, reason: 'invalid JSON (line break inside a string)' },
      msg(14, '{"f":6}'),
    ]);
  });

  it('reads top-level scalars and tolerates commas between documents', () => {
    expect(parse(json('documents'), '1 "two" true,\nnull\n{"x":[]},{"y":{}}')).toEqual([
      msg(1, '1'),
      msg(1, '"two"'),
      msg(1, 'true'),
      msg(2, 'null'),
      msg(3, '{"x":[]}'),
      msg(3, '{"y":{}}'),
    ]);
  });
});

describe('CSV', () => {
  it('turns rows into JSON objects keyed by the header, with RFC 4180 quoting', () => {
    const input =
      '\uFEFFname,zip,code,addr,lat,empty,quoted_empty,quoted_num\r\n' +
      'Austin,78701,007, CAPITAL OF TEXAS HWY,-97.78566,,"","103"\r\n' +
      '"multi\r\nline, with ""quotes""",1e3,+5,.5,1.,0,-0,"a,b"\r\n' +
      '\r\n' +
      'short,row\n' +
      'big,12345678901234567890,1e999,x,1.5e-3,0.0,a"b,"c"d\n';
    const items = expectChunkingInvariant(csv(), input);
    const objects = items.map((i) => (i.kind === 'message' ? JSON.parse(i.payload) : i));
    expect(objects).toEqual([
      { name: 'Austin', zip: 78701, code: '007', addr: ' CAPITAL OF TEXAS HWY', lat: -97.78566, empty: null, quoted_empty: '', quoted_num: '103' },
      { name: 'multi\r\nline, with "quotes"', zip: 1000, code: '+5', addr: '.5', lat: '1.', empty: 0, quoted_empty: -0, quoted_num: 'a,b' },
      { kind: 'skip', line: 6, reason: 'row has 2 fields, the header has 8' },
      { name: 'big', zip: '12345678901234567890', code: '1e999', addr: 'x', lat: 0.0015, empty: 0, quoted_empty: 'a"b', quoted_num: 'cd' },
    ]);
    expect(items.map((i) => i.line)).toEqual([2, 3, 6, 7]);
    // numbers are written as in the file; keys in the header's order
    expect(items[0]).toEqual(msg(2, '{"name":"Austin","zip":78701,"code":"007","addr":" CAPITAL OF TEXAS HWY","lat":-97.78566,"empty":null,"quoted_empty":"","quoted_num":"103"}'));
  });

  it('keeps column order for numeric header names and renames repeated ones', () => {
    expect(parse(csv(), 'name,2020,2021,name\nx,1,2,y\n')).toEqual([msg(2, '{"name":"x","2020":1,"2021":2,"name_2":"y"}')]);
  });

  it('skips a row over the payload limit, and reports an unterminated quote at the end', () => {
    const items = parse(csv(40), `a,b\n1,"${'x'.repeat(100)}"\n2,3\n4,"open\n`, 16);
    expect(items).toEqual([
      { kind: 'skip', line: 2, reason: 'row is 101 bytes, over the payload limit of 40 bytes' },
      msg(3, '{"a":2,"b":3}'),
      { kind: 'skip', line: 4, reason: 'quoted field not closed at the end of the file' },
    ]);
  });

  it.each([
    ['103', '103'],
    ['-97.78566', '-97.78566'],
    ['1e3', '1e3'],
    ['0', '0'],
    ['007', '"007"'],
    [' 5', '" 5"'],
    ['5 ', '"5 "'],
    ['+5', '"+5"'],
    ['0x10', '"0x10"'],
    ['Infinity', '"Infinity"'],
    ['NaN', '"NaN"'],
    ['9007199254740993', '"9007199254740993"'],
    ['', 'null'],
  ])('field %j → %s', (field, jsonText) => {
    expect(csvFieldJson(field, false)).toBe(jsonText);
  });
});

describe('format detection', () => {
  it.each([
    ['x.CSV', '{"a":1}\n', false, 'csv'],
    ['x.json', '\uFEFF \r\n [1,2]', false, 'json-array'],
    ['x.json', '{"a":1}\n{"a":2}\n', false, 'jsonl'],
    ['x.json', '{"a":1}', true, 'jsonl'],
    ['x.json', '  {\n  "a": 1\n}\n', false, 'json-documents'],
    ['x.json', '{"a": 1,\n "b": 2}\n', false, 'json-documents'],
    ['x.json', `{"a":"${'x'.repeat(100)}`, false, 'jsonl'],
    ['x.json', '[1,2]\n', true, 'json-array'],
    ['x.json', '[1,2]\n\n[3]\n', false, 'jsonl'],
    ['x.json', '[\n  1\n]\n', false, 'json-array'],
    ['x.json', `[${'1,'.repeat(100)}`, false, 'json-array'],
    ['x.txt', '"hello"\n', false, 'jsonl'],
    ['x.txt', '   \n', true, 'jsonl'],
  ])('%s %j → %s', (name, head, whole, format) => {
    expect(detectFormat(name, Buffer.from(head), whole)).toBe(format);
  });
});
