import { lstat, mkdir, mkdtemp, readdir, readFile, rm, stat, symlink, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { readIfExists, writeFileAtomic, writeFileAtomicSync } from '../../src/util/atomic-write.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'elf-atomic-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

const variants = [
  ['writeFileAtomic', writeFileAtomic],
  ['writeFileAtomicSync', async (...a: Parameters<typeof writeFileAtomicSync>) => writeFileAtomicSync(...a)],
] as const;

describe.each(variants)('%s', (_name, write) => {
  it('creates the file with mode 0600 by default, or the mode asked for, and leaves no temporary file', async () => {
    const file = path.join(dir, 'state.json');
    await write(file, '{"a":1}\n');
    expect(await readFile(file, 'utf8')).toBe('{"a":1}\n');
    expect((await stat(file)).mode & 0o777).toBe(0o600);
    const cert = path.join(dir, 'cert.pem');
    await write(cert, 'PEM', { mode: 0o644 });
    expect((await stat(cert)).mode & 0o777).toBe(0o644 & ~process.umask());
    expect((await readdir(dir)).sort()).toEqual(['cert.pem', 'state.json']);
  });

  it('replaces an existing file whole', async () => {
    const file = path.join(dir, 'state.json');
    await writeFile(file, 'old old old old old');
    await write(file, 'new');
    expect(await readFile(file, 'utf8')).toBe('new');
  });

  it('uses the temporary file name it is given, replacing a stale one without following a link there', async () => {
    const file = path.join(dir, 'things.json');
    const tmp = path.join(dir, 'things.json.tmp');
    const victim = path.join(dir, 'victim');
    await writeFile(victim, 'untouched');
    await symlink(victim, tmp);
    await write(file, 'state', { tmp });
    expect(await readFile(file, 'utf8')).toBe('state');
    expect(await readFile(victim, 'utf8')).toBe('untouched');
    expect((await lstat(file)).isFile()).toBe(true);
    expect((await readdir(dir)).sort()).toEqual(['things.json', 'victim']);
  });

  it('throws the file-system error and removes its temporary file when the rename fails', async () => {
    const target = path.join(dir, 'occupied');
    await mkdir(target);
    await writeFile(path.join(target, 'x'), 'x'); // a non-empty directory cannot be renamed over
    await expect(write(target, 'text')).rejects.toMatchObject({ code: expect.stringMatching(/^(EISDIR|ENOTEMPTY|EEXIST)$/) });
    expect(await readdir(dir)).toEqual(['occupied']);
  });

  it('throws when the directory does not exist', async () => {
    await expect(write(path.join(dir, 'missing', 'f.json'), 'x')).rejects.toMatchObject({ code: 'ENOENT' });
  });
});

describe('writeFileAtomic and a concurrent reader', () => {
  it('a reader only ever sees a whole old or a whole new file', async () => {
    const file = path.join(dir, 'big.json');
    const doc = (n: number) => JSON.stringify({ n, pad: 'x'.repeat(64 * 1024) });
    await writeFileAtomic(file, doc(0));
    let writing = true;
    const seen = new Set<number>();
    const reader = (async () => {
      while (writing) seen.add((JSON.parse(await readFile(file, 'utf8')) as { n: number }).n);
    })();
    for (let n = 1; n <= 20; n++) await writeFileAtomic(file, doc(n));
    writing = false;
    await reader;
    expect(JSON.parse(await readFile(file, 'utf8')).n).toBe(20);
    expect(seen.size).toBeGreaterThan(0);
  });
});

describe('readIfExists', () => {
  it('returns the text, undefined for a missing file, and throws other errors', async () => {
    const file = path.join(dir, 'a.txt');
    expect(await readIfExists(file)).toBeUndefined();
    await writeFile(file, 'text');
    expect(await readIfExists(file)).toBe('text');
    await expect(readIfExists(dir)).rejects.toMatchObject({ code: 'EISDIR' });
  });
});
