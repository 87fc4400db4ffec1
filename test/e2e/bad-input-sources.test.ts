import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCLI } from '../../src/cli/main.js';
import { runCli, type CliResult } from '../helpers/cli.js';
import { cleanFailureProblem } from '../helpers/reliability.js';
import { startStandInProcess, type StandInProcess } from '../helpers/standin.js';

/**
 * Issue 8, item 4 (files): `elf send --json-message <file>` with hostile message files, through the
 * real CLI against `elf local` → a clear one-line error before any connection, or the bad lines
 * skipped and counted in the summary while the good ones are sent; never a stack trace, never a
 * hang (every run is bounded: a run killed by the time limit fails its case).
 * (source-file.test.ts checks the parsers in-process; send-subscribe.test.ts a missing file, a
 * directory, an empty file and an invalid/oversize line through the CLI.)
 */

/** `elf send --json-message` exists (the send CLI lands on main separately from this file) */
const SEND_CLI = createCLI()
  .commands.find((c) => c.name() === 'send')
  ?.options.some((o) => o.long === '--json-message');

let s: StandInProcess;
let work: string;
let dir: string;

beforeAll(async () => {
  if (!SEND_CLI) return;
  work = fs.mkdtempSync(path.join(os.tmpdir(), 'elf-bad-src-'));
  s = await startStandInProcess();
  dir = path.join(work, 'misc');
  const r = await runCli(['create', String(THINGS), '--endpoint-url', s.endpointUrl, '--state-dir', dir], { cwd: work, timeoutMs: 90_000 });
  expect(r.exitCode, r.stderr).toBe(0);
}, 120_000);

afterAll(async () => {
  await s?.stop();
  if (work) fs.rmSync(work, { recursive: true, force: true });
});

const file = (name: string, content: string | Buffer) => {
  const p = path.join(work, name);
  fs.writeFileSync(p, content);
  return p;
};
const good = (n: number, tag: string) => Array.from({ length: n }, (_, i) => JSON.stringify({ tag, i }));

/**
 * Each run its own thing: the cases run concurrently, and elf refuses to start on things another
 * elf uses (two clients with one client id would disconnect each other).
 */
const THINGS = 8;
let nextThing = 0;
const thing = () => `thing_${nextThing++ % THINGS}`;

function send(source: string): Promise<CliResult> {
  return runCli(['send', '--json-message', source, '--no-loop', '--interval', '0', '--json', '--things', thing(), '--state-dir', dir], { cwd: work, timeoutMs: 60_000 });
}

interface Summary {
  totals: { sent: number; acked: number; skipped: number };
  skippedLines: { count: number; examples: { line: number; reason: string }[] };
}

describe.runIf(SEND_CLI)('hostile message files: a one-line error before any connection', { concurrent: true }, () => {
  const cases: [string, () => string, RegExp][] = [
    ['a missing file', () => path.join(work, 'nope.jsonl'), /no such file/],
    ['a directory', () => work, /is a directory/],
    ['an empty file', () => file('empty.jsonl', ''), /has no messages/],
    ['only blank lines', () => file('blank.jsonl', '\n\n   \r\n\t\n'), /has no messages/],
    ['binary (random bytes)', () => file('random.bin', Buffer.from(Array.from({ length: 4096 }, (_, i) => (i * 7919 + 17) & 255))), /binary|UTF-8|not text|NUL/i],
    ['UTF-16 with a BOM', () => file('utf16.jsonl', Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(`${good(3, 'u16').join('\n')}\n`, 'utf16le')])), /UTF-16|binary|UTF-8|NUL/i],
    ['a named pipe (would block a reader for ever)', (): string => {
      const p = path.join(work, 'fifo');
      if (!fs.existsSync(p)) spawnSync('mkfifo', [p]);
      return p;
    }, /not a regular file/],
    ['/dev/zero (endless)', () => '/dev/zero', /not a regular file/],
    ['a symlink loop', (): string => {
      const p = path.join(work, 'loop');
      if (!fs.existsSync(p)) fs.symlinkSync(p, p);
      return p;
    }, /ELOOP|loop|cannot read/],
    ['only invalid lines', () => file('invalid.jsonl', '{"a": \nnot json\n[1,2\n'), /no messages|invalid/],
  ];
  it.each(cases)('%s', async (_what, make, pattern) => {
    const r = await send(make());
    expect(cleanFailureProblem(r, pattern), `${r.stderr}\n${r.stdout}`).toBeUndefined();
    expect(r.stdout).toBe(''); // nothing sent, no summary of a run that did not happen
  });
});

describe.runIf(SEND_CLI)('hostile message files: bad lines skipped and counted, the good ones sent', { concurrent: true }, () => {
  const cases: [string, () => string, number | undefined, number | undefined][] = [
    ['a UTF-8 BOM', () => file('bom.jsonl', `\ufeff${good(3, 'bom').join('\n')}\n`), 3, 0],
    ['CRLF line endings', () => file('crlf.jsonl', `${good(3, 'crlf').join('\r\n')}\r\n`), 3, 0],
    ['an invalid line between good ones', () => file('one-bad.jsonl', [good(1, 'a')[0], '{"oops": ', ...good(2, 'b')].join('\n') + '\n'), 3, 1],
    ['a 200 KB line (over the 128 KB payload limit)', () => file('long.jsonl', [good(1, 'c')[0], JSON.stringify({ big: 'x'.repeat(200 * 1024) }), good(1, 'd')[0]].join('\n') + '\n'), 2, 1],
    ['10,000-deep nesting', () => file('deep.jsonl', `${good(1, 'e')[0]}\n${'['.repeat(10_000)}${']'.repeat(10_000)}\n${good(1, 'f')[0]}\n`), undefined, undefined],
    ['a 100 MB single line, then a good one', (): string => {
      const p = path.join(work, 'huge.jsonl');
      if (!fs.existsSync(p)) {
        const fd = fs.openSync(p, 'w');
        const chunk = Buffer.alloc(1024 * 1024, 'a');
        fs.writeSync(fd, '{"huge": "');
        for (let i = 0; i < 100; i++) fs.writeSync(fd, chunk);
        fs.writeSync(fd, `"}\n${good(1, 'g')[0]}\n`);
        fs.closeSync(fd);
      }
      return p;
    }, 1, 1],
  ];
  it.each(cases)('%s', async (_what, make, sent, skipped) => {
    const t0 = Date.now();
    const r = await send(make());
    expect(r.signal, 'killed: a hang').toBeNull();
    expect(r.exitCode, r.stderr).toBe(0);
    expect(r.stderr).not.toMatch(/\n\s+at |internal error/);
    const summary = JSON.parse(r.stdout) as Summary;
    if (sent !== undefined) {
      expect(summary.totals.sent).toBe(sent);
      expect(summary.totals.acked).toBe(sent);
      expect(summary.skippedLines.count).toBe(skipped);
    } else {
      // 10,000-deep: either sent (valid JSON, 20 KB) or skipped and counted — never lost silently
      expect(summary.totals.sent + summary.skippedLines.count).toBe(3);
    }
    for (const e of summary.skippedLines.examples) expect(e.reason).not.toMatch(/\n/);
    console.log(`${_what}: sent ${summary.totals.sent}, skipped ${summary.skippedLines.count} in ${Date.now() - t0} ms${summary.skippedLines.examples[0] ? ` (line ${summary.skippedLines.examples[0].line}: ${summary.skippedLines.examples[0].reason.slice(0, 80)})` : ''}`);
  }, 90_000);
});

describe.runIf(SEND_CLI)('a truncated JSON array (issue 17, item 5)', () => {
  const truncated = () => file('truncated.json', `[\n${good(2, 'cut').join(',\n')},\n`);

  it('is reported with the line where the input ended, and the elements before are sent', async () => {
    const r = await send(truncated());
    expect(r.exitCode, r.stderr).toBe(0);
    const summary = JSON.parse(r.stdout) as Summary;
    expect(summary.totals.sent).toBe(2);
    expect(summary.skippedLines.examples).toEqual([{ line: 3, reason: "the JSON array is not closed: the input ended at line 3 without its ']' (is the file truncated?)" }]);
  }, 90_000);

  it('fails the run under --strict, naming the file and line', async () => {
    const source = truncated();
    const r = await runCli(['send', '--json-message', source, '--no-loop', '--interval', '0', '--strict', '--things', thing(), '--state-dir', dir], { cwd: work, timeoutMs: 60_000 });
    expect(r.exitCode).not.toBe(0);
    expect(r.stderr).toContain(`elf: ${source}:3: the JSON array is not closed`);
    expect(r.stderr).not.toMatch(/\n\s+at |internal error/);
  }, 90_000);
});
