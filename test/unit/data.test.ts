import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ROOT } from '../helpers/cli.js';

const data = (f: string) => path.join(ROOT, 'data', f);

describe('sample data', () => {
  const out = mkdtempSync(path.join(tmpdir(), 'elf-data-'));
  afterAll(() => rmSync(out, { recursive: true, force: true }));

  it('the committed radar-counts files are exactly what the seeded generator makes', () => {
    execFileSync(process.execPath, [data('generate.mjs'), out]);
    for (const f of ['radar-counts.json', 'radar-counts.csv']) {
      expect(readFileSync(path.join(out, f)).equals(readFileSync(data(f))), f).toBe(true);
    }
  });

  it('radar-counts.json has the data set columns, 18 locations, 15-minute bins and a daily profile', () => {
    const rows = readFileSync(data('radar-counts.json'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    expect(rows.length).toBeGreaterThan(3000);
    expect(Object.keys(rows[0])).toEqual([
      'location_name', 'location_latitude', 'location_longitude', 'Year', 'Month', 'Day',
      'Day of Week', 'Hour', 'Minute', 'Time Bin', 'Direction', 'Volume',
    ]);
    expect(new Set(rows.map((r) => r.location_name)).size).toBe(18);
    expect(new Set(rows.map((r) => r.Minute))).toEqual(new Set([0, 15, 30, 45]));
    expect([...new Set(rows.map((r) => r.Direction))].sort()).toEqual(['EB', 'NB', 'None', 'SB', 'WB']);
    const volumeAt = (hour: number) => rows.filter((r) => r.Hour === hour).reduce((s, r) => s + r.Volume, 0);
    expect(volumeAt(8)).toBeGreaterThan(4 * volumeAt(3)); // morning peak over the night
    expect(volumeAt(17)).toBeGreaterThan(4 * volumeAt(3)); // evening peak
  });
});
