import { createWriteStream } from 'node:fs';
import { chmod, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { once } from 'node:events';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ElfError } from '../../src/errors.js';
import { checkSourceFile, fileSource, messageSource, type FileSourceOptions } from '../../src/source/index.js';
import type { Source, SourceItem } from '../../src/source/types.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'elf-source-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function file(name: string, content: string | Buffer): Promise<string> {
  const path = join(dir, name);
  await writeFile(path, content);
  return path;
}

async function items(source: Source): Promise<SourceItem[]> {
  const all: SourceItem[] = [];
  for await (const item of source.open()) all.push(item);
  return all;
}

async function read(path: string, options?: FileSourceOptions): Promise<SourceItem[]> {
  return items(fileSource(path, options));
}

const msg = (line: number, payload: string): SourceItem => ({ kind: 'message', line, payload });

describe('fileSource', () => {
  it('reads JSON Lines byte-equal, and gives the same items on every pass and through openBatches', async () => {
    const lines = Array.from({ length: 5000 }, (_, i) => JSON.stringify({ i, s: 'é'.repeat(i % 50), pad: ' '.repeat(i % 7) }));
    const path = await file('many.jsonl', lines.join('\n') + '\n');
    const source = fileSource(path);
    const first = await items(source);
    expect(first).toEqual(lines.map((l, i) => msg(i + 1, l)));
    expect(await items(source)).toEqual(first);
    const batched: SourceItem[] = [];
    let batches = 0;
    for await (const batch of source.openBatches()) {
      expect(batch.length).toBeGreaterThan(0);
      batches++;
      batched.push(...batch);
    }
    expect(batched).toEqual(first);
    expect(batches).toBeGreaterThan(1);
  });

  it('detects each format', async () => {
    const cases: [string, string, string, number[]][] = [
      ['a.jsonl', '{"a":1}\n{"a":2}\n', 'jsonl', [1, 2]],
      ['a.json', '[\n  {"a": 1},\n  {"a": 2}\n]\n', 'json-array', [2, 3]],
      ['docs.json', '{\n  "a": 1\n}\n{\n  "a": 2\n}\n', 'json-documents', [1, 4]],
      ['a.csv', 'a\n1\n2\n', 'csv', [2, 3]],
    ];
    for (const [name, content, format, lines] of cases) {
      const path = await file(name, content);
      expect(await fileSource(path).resolvedFormat()).toBe(format);
      expect(await checkSourceFile(path)).toEqual({ format });
      expect(await read(path)).toEqual([msg(lines[0]!, '{"a":1}'), msg(lines[1]!, '{"a":2}')]);
    }
  });

  it('honours a forced format', async () => {
    const path = await file('forced.txt', '{"a": 1}\n');
    expect(await read(path, { format: 'json' })).toEqual([msg(1, '{"a":1}')]);
    expect(await read(path, { format: 'jsonl' })).toEqual([msg(1, '{"a": 1}')]);
    expect(await read(path, { format: 'csv' })).toEqual([]);
  });

  it('skips invalid lines and goes on; strict stops at the first with file and line', async () => {
    const content = ['{"ok":1}', '', ...Array.from({ length: 14 }, (_, i) => `{"n":${i}}`), '{"bad": }', '{"ok":2}'].join('\r\n');
    const path = await file('bad.jsonl', '\uFEFF' + content);
    const all = await read(path);
    expect(all.filter((i) => i.kind === 'message')).toHaveLength(16);
    expect(all.filter((i) => i.kind === 'skip')).toEqual([{ kind: 'skip', line: 17, reason: expect.stringMatching(/^invalid JSON \(.+\)$/) }]);

    const seen: SourceItem[] = [];
    const strict = fileSource(path, { strict: true });
    const error = await (async () => {
      for await (const item of strict.open()) seen.push(item);
    })().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ElfError);
    expect((error as ElfError).message).toMatch(new RegExp(`^${path.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:17: invalid JSON \\(.+\\)$`));
    // what comes before the bad line is still delivered, nothing after it
    expect(seen).toEqual(all.slice(0, 15));
    await expect(checkSourceFile(path, { strict: true })).resolves.toEqual({ format: 'jsonl' });
  });

  it('skips a 100 MB single line without holding it, and reads the lines after it', async () => {
    const path = join(dir, 'huge-line.jsonl');
    const out = createWriteStream(path);
    const piece = Buffer.alloc(1024 * 1024, 'x');
    out.write('{"first":1}\n"');
    for (let i = 0; i < 100; i++) if (!out.write(piece)) await once(out, 'drain');
    out.end('"\n{"after":1}\n');
    await once(out, 'finish');
    expect(await read(path)).toEqual([
      msg(1, '{"first":1}'),
      { kind: 'skip', line: 2, reason: `line is ${100 * 1024 * 1024 + 2} bytes, over the payload limit of 131072 bytes` },
      msg(3, '{"after":1}'),
    ]);
  });

  it('reports an invalid line as not sendable in strict mode before any connection (checkSourceFile)', async () => {
    const path = await file('first-bad.jsonl', 'nope\n{"a":1}\n');
    await expect(checkSourceFile(path)).resolves.toEqual({ format: 'jsonl' });
    await expect(checkSourceFile(path, { strict: true })).rejects.toThrow(`${path}:1: invalid JSON`);
  });
});

describe('checkSourceFile', () => {
  it('rejects a missing file, a directory, an empty and a whitespace-only file with one-line errors', async () => {
    const missing = join(dir, 'nope.jsonl');
    await expect(checkSourceFile(missing)).rejects.toThrow(`cannot read ${missing}: no such file`);
    const sub = join(dir, 'sub');
    await mkdir(sub);
    await expect(checkSourceFile(sub)).rejects.toThrow(`${sub} is a directory, not a file`);
    const empty = await file('empty.jsonl', '');
    await expect(checkSourceFile(empty)).rejects.toThrow(`${empty} has no messages (the file is empty)`);
    const blank = await file('blank.json', ' \r\n\n\t \n');
    await expect(checkSourceFile(blank)).rejects.toThrow(/^\S+blank.json has no messages$/);
    const header = await file('header-only.csv', 'a,b,c\r\n');
    await expect(checkSourceFile(header)).rejects.toThrow(/^\S+header-only.csv has no messages$/);
    const allBad = await file('all-bad.jsonl', 'x\ny\n');
    await expect(checkSourceFile(allBad)).rejects.toThrow(/has no messages \(2 skipped; line 1: invalid JSON/);
    // and reading them is a one-line ElfError too, not a stream error
    await expect(read(missing)).rejects.toThrow(ElfError);
    await expect(read(sub)).rejects.toThrow(ElfError);
  });

  it('rejects a binary file, invalid UTF-8 and UTF-16', async () => {
    const bin = await file('bin.jsonl', Buffer.from([0x7b, 0x7d, 0x0a, 0x00, 0x01, 0x02]));
    await expect(checkSourceFile(bin)).rejects.toThrow(`${bin} looks like a binary file (a NUL byte at offset 3)`);
    const latin1 = await file('latin1.jsonl', Buffer.from('{"a":"caf\xe9"}\n', 'latin1'));
    await expect(checkSourceFile(latin1)).rejects.toThrow(`${latin1} is not UTF-8 text`);
    const utf16 = await file('utf16.jsonl', Buffer.from('\uFEFF{"a":1}\n', 'utf16le'));
    await expect(checkSourceFile(utf16)).rejects.toThrow(`${utf16} is UTF-16 text`);
    // a multi-byte character cut by the end of the 64 KB probe is not an error
    const cut = await file('cut.jsonl', `"${'a'.repeat(64 * 1024 - 2)}é"\n`);
    await expect(checkSourceFile(cut)).resolves.toEqual({ format: 'jsonl' });
  });

  it.skipIf(process.getuid?.() === 0)('rejects an unreadable file', async () => {
    const locked = await file('locked.jsonl', '{"a":1}\n');
    await chmod(locked, 0o000);
    await expect(checkSourceFile(locked)).rejects.toThrow(`cannot read ${locked}: permission denied`);
  });

  it('reads a 10,000-deep document and a 200 KB line without crashing', async () => {
    const deep = '['.repeat(10_000) + ']'.repeat(10_000);
    const big = JSON.stringify({ pad: 'x'.repeat(200 * 1024) });
    const path = await file('deep.jsonl', `${deep}\n${big}\n{"a":1}\n`);
    await expect(checkSourceFile(path)).resolves.toEqual({ format: 'jsonl' });
    expect(await read(path)).toEqual([
      msg(1, deep),
      { kind: 'skip', line: 2, reason: `line is ${big.length} bytes, over the payload limit of 131072 bytes` },
      msg(3, '{"a":1}'),
    ]);
    const arrayPath = await file('deep.json', `[\n${deep},\n{"a": 1}\n]`);
    expect(await read(arrayPath)).toEqual([msg(2, deep), msg(3, '{"a":1}')]);
  });
});

describe('messageSource', () => {
  it("sends the original's {\"msg\": text}, once per pass", async () => {
    const source = messageSource('Hello "elf"');
    expect(await items(source)).toEqual([msg(1, '{"msg":"Hello \\"elf\\""}')]);
    expect(await items(source)).toEqual([msg(1, '{"msg":"Hello \\"elf\\""}')]);
  });
});
