import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { ROOT } from './cli.js';

/**
 * Issue #15's rule over data/radar-counts.json,
 * `SELECT location_name AS loc, Volume * 2 AS v2, topic() AS t, clientid() AS c FROM 'elf' WHERE Volume > 50`,
 * computed here from the data file, independently of the rules engine, and the sink files to compare.
 */

export const RADAR = path.join(ROOT, 'data', 'radar-counts.json');

/** The rows the rule must produce when each of `things` sends the whole file once, as sorted JSON texts. */
export async function expectedRadarRows(things: string[]): Promise<string[]> {
  const lines = (await readFile(RADAR, 'utf8')).split('\n').filter((l) => l.trim() !== '');
  const rows: string[] = [];
  for (const thing of things) {
    for (const line of lines) {
      const r = JSON.parse(line) as { location_name?: string; Volume?: unknown };
      if (typeof r.Volume !== 'number' || !(r.Volume > 50)) continue;
      rows.push(JSON.stringify({ ...(r.location_name !== undefined ? { loc: r.location_name } : {}), v2: r.Volume * 2, t: 'elf', c: thing }));
    }
  }
  return rows.sort();
}

/** Every file under dir (recursively), as paths. */
export async function filesUnder(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const e of await readdir(dir, { withFileTypes: true, recursive: true })) if (e.isFile()) out.push(path.join(e.parentPath, e.name));
  return out;
}

/** The lines of a JSON Lines sink (each record followed by "\n"), once it holds at least n; undefined before. */
export async function sinkLines(file: string, n: number): Promise<string[] | undefined> {
  const l = (await readFile(file, 'utf8')).split('\n');
  if (l.length - 1 < n) return undefined;
  if (l.pop() !== '') throw new Error(`${file} does not end with a separator`);
  return l;
}

/** The contents of the objects in an s3 sink bucket, once it holds at least n; undefined before. */
export async function bucketObjects(bucket: string, n: number): Promise<{ keys: string[]; bodies: string[] } | undefined> {
  const files = await filesUnder(bucket);
  if (files.length < n) return undefined;
  return { keys: files.map((f) => path.relative(bucket, f)), bodies: await Promise.all(files.map((f) => readFile(f, 'utf8'))) };
}
