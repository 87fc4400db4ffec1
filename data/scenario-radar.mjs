/**
 * A radar traffic counter, one per thing, in the columns of radar-counts.json: each message is the
 * next 15-minute bin of the thing's location and direction, from 2018-01-23 00:00, with a weekday
 * profile (morning and evening peaks) and a drift of its own (each counter reads a little high or
 * low, and wanders). Its randomness comes from `faker`, its time from the message number, so the same
 * --seed sends the same bytes. Try: elf send --scenario data/scenario-radar.mjs --topic 'elf/{thing}/{Direction}'
 */

// [location_name, location_latitude, location_longitude, directions, peak vehicles per 15 min]
const LOCATIONS = [
  ['CAPITAL OF TEXAS HWY / LAKEWOOD DR', 30.371674, -97.78566, ['NB', 'SB'], 160],
  ['400 BLK AZIE MORTON RD (South of Barton Springs Rd)', 30.264245, -97.765802, ['NB', 'SB'], 65],
  ['BURNET RD / PALM WAY (IBM DRIVEWAY)', 30.402286, -97.717606, ['NB', 'SB'], 130],
  ['1000 BLK W CESAR CHAVEZ ST (H&B Trail Underpass)', 30.268652, -97.759929, ['EB', 'WB'], 175],
  ['LAMAR BLVD / SANDRA MURAIDA WAY (Lamar Bridge)', 30.2668, -97.756051, ['NB', 'SB'], 165],
  ['100 BLK S CONGRESS AVE (Congress Bridge)', 30.259791, -97.746034, ['NB', 'SB'], 140],
  ['700 BLK E CESAR CHAVEZ ST', 30.261476, -97.737262, ['EB', 'WB'], 90],
  ['2021 BLK KINNEY AVE (NW 300ft NW of Lamar)', 30.248691, -97.770409, ['None'], 22],
];
/** each (location, direction) is one counter; thing k is counter k mod their number */
const COUNTERS = LOCATIONS.flatMap(([name, lat, lon, dirs, peak]) => dirs.map((dir) => ({ name, lat, lon, dir, peak })));
const START = Date.UTC(2018, 0, 23, 0, 0);
const BIN_MS = 15 * 60 * 1000;

/** share of the peak at an hour of the day: two commuter peaks on a quiet base */
function profile(hour, inbound) {
  const bump = (center, width, height) => height * Math.exp(-((hour - center) ** 2) / (2 * width ** 2));
  return 0.06 + bump(8, 1.2, inbound ? 1 : 0.55) + bump(17.5, 1.5, inbound ? 0.55 : 1) + bump(12.5, 2.5, 0.35);
}

export const name = 'radar-counter';

export function generator(faker, options) {
  const { state } = options;
  if (state.counter === undefined) {
    state.counter = COUNTERS[options.thing.index % COUNTERS.length];
    // this counter's bias, then a slow random walk of it within ±35%
    state.drift = faker.number.float({ min: 0.85, max: 1.15 });
  } else {
    state.drift = Math.min(1.35, Math.max(0.65, state.drift + faker.number.float({ min: -0.02, max: 0.02 })));
  }
  const c = state.counter;
  const at = new Date(START + options.seq * BIN_MS);
  const hour = at.getUTCHours() + at.getUTCMinutes() / 60;
  const mean = c.peak * profile(hour, c.dir === 'NB' || c.dir === 'EB' || c.dir === 'None') * state.drift;
  const volume = Math.max(0, Math.round(mean + faker.number.float({ min: -1, max: 1 }) * Math.sqrt(mean)));
  const hh = String(at.getUTCHours()).padStart(2, '0');
  const mm = String(at.getUTCMinutes()).padStart(2, '0');
  const row = {
    location_name: c.name,
    location_latitude: c.lat,
    location_longitude: c.lon,
    Year: at.getUTCFullYear(),
    Month: at.getUTCMonth() + 1,
    Day: at.getUTCDate(),
    'Day of Week': at.getUTCDay(),
    Hour: at.getUTCHours(),
    Minute: at.getUTCMinutes(),
    'Time Bin': `${hh}:${mm}`,
    Direction: c.dir,
    Volume: volume,
  };
  // MQTTX's shape: { message: <string> } (elf also takes { payload: <value> })
  return { message: JSON.stringify(row) };
}
