// JSON Lines files of radar-count-like records (data/radar-counts shape), written streaming so a
// 1 GB file never sits in memory.
import { createWriteStream } from 'node:fs';
import { once } from 'node:events';

export function record(i) {
  return {
    id: i,
    intname: 'CAPITAL OF TEXAS HWY / LAKEWOOD DR',
    read_date: '2017-12-15T14:00:00.000',
    direction: i % 2 ? 'NB' : 'SB',
    volume: (i * 7) % 113,
    speed: 30 + (i % 40),
    location_latitude: 30.3851,
    location_longitude: -97.78566,
  };
}

/**
 * Writes lines until `lines` are written or the file has at least `bytes` bytes (whichever is
 * given). Returns { lines, bytes }.
 */
export async function writeJsonl(file, { lines = Infinity, bytes = Infinity }) {
  if (!Number.isFinite(lines) && !Number.isFinite(bytes)) throw new Error('writeJsonl: give lines or bytes');
  const out = createWriteStream(file, { highWaterMark: 1 << 20 });
  let n = 0;
  let size = 0;
  let chunk = '';
  while (n < lines && size < bytes) {
    const line = JSON.stringify(record(n)) + '\n';
    chunk += line;
    size += Buffer.byteLength(line);
    n++;
    if (chunk.length >= 1 << 20) {
      if (!out.write(chunk)) await once(out, 'drain');
      chunk = '';
    }
  }
  if (chunk) out.write(chunk);
  out.end();
  await once(out, 'finish');
  return { lines: n, bytes: size };
}
