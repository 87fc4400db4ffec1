#!/usr/bin/env node
// Generates the sample files in data/ reproducibly (fixed seed): `node data/generate.mjs [out-dir]`.
//
// radar-counts.json: JSON Lines shaped like the City of Austin's "Radar Traffic Counts" data set
// (Kaggle cut, shape A: location_name, location_latitude, location_longitude, Year, Month, Day,
// Day of Week (0 = Sunday), Hour, Minute, Time Bin, Direction, Volume), for the 18 real locations and
// coordinates, in 15-minute bins, with volumes that follow a weekday traffic profile (morning and
// evening peaks, quiet nights). Names are stored trimmed (the real file carries leading spaces on some).
// radar-counts.csv: the first hours of the same data as CSV with a header row.
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import path from 'node:path';

const here = process.argv[2] ?? path.dirname(fileURLToPath(import.meta.url));

function mulberry32(seed) {
  return () => {
    seed |= 0;
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
const random = mulberry32(20170601);
/** standard normal, Box–Muller */
function normal() {
  const u = 1 - random();
  const v = random();
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
}

// [name, lat, lon, directions, scale (peak vehicles per 15 min per direction)]
const LOCATIONS = [
  ['2021 BLK KINNEY AVE (NW 300ft NW of Lamar)', 30.248691, -97.770409, ['None'], 25],
  ['CAPITAL OF TEXAS HWY / LAKEWOOD DR', 30.371674, -97.78566, ['NB', 'SB'], 170],
  ['400 BLK AZIE MORTON RD (South of Barton Springs Rd)', 30.264245, -97.765802, ['NB', 'SB'], 70],
  ['BURNET RD / PALM WAY (IBM DRIVEWAY)', 30.402286, -97.717606, ['NB', 'SB'], 140],
  ['1000 BLK W CESAR CHAVEZ ST (H&B Trail Underpass)', 30.268652, -97.759929, ['EB', 'WB'], 190],
  ['LAMAR BLVD / SANDRA MURAIDA WAY (Lamar Bridge)', 30.2668, -97.756051, ['NB', 'SB'], 180],
  ['100 BLK S CONGRESS AVE (Congress Bridge)', 30.259791, -97.746034, ['NB', 'SB'], 150],
  ['LAMAR BLVD / N LAMAR SB TO W 15TH RAMP', 30.279604, -97.750472, ['SB'], 90],
  ['CONGRESS AVE / JOHANNA ST (Fulmore Middle School)', 30.244513, -97.751737, ['NB', 'SB'], 110],
  ['1612 BLK S LAMAR BLVD (Collier)', 30.250802, -97.765746, ['NB', 'SB'], 160],
  ['LAMAR BLVD / SHOAL CREEK BLVD', 30.292767, -97.74719, ['NB', 'SB'], 150],
  ['700 BLK E CESAR CHAVEZ ST', 30.261476, -97.737262, ['EB', 'WB'], 100],
  ['LAMAR BLVD / MANCHACA RD', 30.243875, -97.781705, ['NB', 'SB'], 140],
  ['CAPITAL OF TEXAS HWY / WALSH TARLTON LN', 30.257986, -97.812248, ['NB', 'SB'], 160],
  ['LAMAR BLVD / ZENNIA ST', 30.319905, -97.730292, ['NB', 'SB'], 130],
  ['BURNET RD / RUTLAND DR', 30.383427, -97.724075, ['NB', 'SB'], 120],
  ['CAPITAL OF TEXAS HWY / CEDAR ST', 30.339468, -97.803558, ['NB', 'SB'], 150],
  ['3201 BLK S LAMAR BLVD (BROKEN SPOKE)', 30.240471, -97.786667, ['NB', 'SB'], 120],
];

/** Share of the peak flow at a time of day (hours, fractional): two commuter peaks on a quiet base. */
function weekdayProfile(h) {
  const bump = (center, width, height) => height * Math.exp(-((h - center) ** 2) / (2 * width ** 2));
  return 0.04 + bump(8, 1.3, 0.85) + bump(12.5, 2.5, 0.45) + bump(17.5, 1.6, 1.0) + bump(21, 2, 0.2) * 0.5;
}
/** the inbound direction peaks in the morning, the outbound in the evening */
function directionFactor(direction, h) {
  if (direction === 'NB' || direction === 'WB') return h < 13 ? 1.15 : 0.85;
  if (direction === 'SB' || direction === 'EB') return h < 13 ? 0.85 : 1.15;
  return 1;
}

const days = [
  { year: 2018, month: 1, day: 23 }, // Tuesday
  { year: 2018, month: 1, day: 24 }, // Wednesday
];
const rows = [];
for (const d of days) {
  const dow = new Date(Date.UTC(d.year, d.month - 1, d.day)).getUTCDay(); // 0 = Sunday
  for (let bin = 0; bin < 96; bin++) {
    const hour = Math.floor(bin / 4);
    const minute = (bin % 4) * 15;
    const h = hour + minute / 60 + 7.5 / 60;
    for (const [name, lat, lon, directions, scale] of LOCATIONS) {
      for (const direction of directions) {
        const mean = scale * weekdayProfile(h) * directionFactor(direction, h);
        const volume = Math.max(0, Math.round(mean + normal() * Math.sqrt(mean + 1)));
        rows.push({
          location_name: name,
          location_latitude: lat,
          location_longitude: lon,
          Year: d.year,
          Month: d.month,
          Day: d.day,
          'Day of Week': dow,
          Hour: hour,
          Minute: minute,
          'Time Bin': `${String(hour).padStart(2, '0')}:${String(minute).padStart(2, '0')}`,
          Direction: direction,
          Volume: volume,
        });
      }
    }
  }
}
writeFileSync(path.join(here, 'radar-counts.json'), rows.map((r) => JSON.stringify(r)).join('\n') + '\n');

const columns = Object.keys(rows[0]);
const csvField = (v) => (/[",\n]/.test(String(v)) ? `"${String(v).replace(/"/g, '""')}"` : String(v));
const csvRows = rows.filter((r) => r.Year === 2018 && r.Day === 23 && r.Hour >= 7 && r.Hour < 9);
writeFileSync(
  path.join(here, 'radar-counts.csv'),
  [columns.join(','), ...csvRows.map((r) => columns.map((c) => csvField(r[c])).join(','))].join('\n') + '\n',
);
console.log(`radar-counts.json: ${rows.length} lines; radar-counts.csv: ${csvRows.length} rows`);
