/**
 * A vehicle driving a loop through downtown Austin, one per thing, written in MQTTX CLI's scenario
 * shape (CommonJS, `module.exports = { name, generator }`), with elf's per-thing `options.state`:
 * each vehicle has its own VIN, model, cruising speed and starting point on the route, and each
 * message is its GPS fix `options.t` seconds into its drive. Its randomness comes from `faker`, its
 * time from `options.t`, so the same --seed sends the same bytes.
 * Try: elf send --scenario data/scenario-vehicle.js --interval 1
 */

// the loop: Congress Bridge, north on Congress to the Capitol, west on 15th, south on Lamar, east on Cesar Chavez
const ROUTE = [
  [30.259791, -97.746034],
  [30.2747, -97.7404],
  [30.2769, -97.7411],
  [30.279604, -97.750472],
  [30.2668, -97.756051],
  [30.2648, -97.7536],
  [30.2612, -97.7455],
  [30.259791, -97.746034],
];
const R_KM = 6371.0088;
const rad = (d) => (d * Math.PI) / 180;

/** great-circle km between two points, and the initial bearing in degrees */
function leg([lat1, lon1], [lat2, lon2]) {
  const dLat = rad(lat2 - lat1);
  const dLon = rad(lon2 - lon1);
  const a = Math.sin(dLat / 2) ** 2 + Math.cos(rad(lat1)) * Math.cos(rad(lat2)) * Math.sin(dLon / 2) ** 2;
  const km = 2 * R_KM * Math.asin(Math.sqrt(a));
  const y = Math.sin(dLon) * Math.cos(rad(lat2));
  const x = Math.cos(rad(lat1)) * Math.sin(rad(lat2)) - Math.sin(rad(lat1)) * Math.cos(rad(lat2)) * Math.cos(dLon);
  return { km, heading: ((Math.atan2(y, x) * 180) / Math.PI + 360) % 360 };
}
const LEGS = ROUTE.slice(1).map((p, i) => ({ from: ROUTE[i], to: p, ...leg(ROUTE[i], p) }));
const LOOP_KM = LEGS.reduce((s, l) => s + l.km, 0);

/** the point `km` along the loop (straight lines between the route's points) */
function along(km) {
  let rest = ((km % LOOP_KM) + LOOP_KM) % LOOP_KM;
  for (const l of LEGS) {
    if (rest <= l.km) {
      const f = rest / l.km;
      return { lat: l.from[0] + f * (l.to[0] - l.from[0]), lon: l.from[1] + f * (l.to[1] - l.from[1]), heading: l.heading };
    }
    rest -= l.km;
  }
  return { lat: ROUTE[0][0], lon: ROUTE[0][1], heading: LEGS[0].heading };
}

const round = (x, digits) => Math.round(x * 10 ** digits) / 10 ** digits;

const generator = (faker, options) => {
  const { state } = options;
  if (state.vin === undefined) {
    state.vin = faker.vehicle.vin();
    state.model = `${faker.vehicle.manufacturer()} ${faker.vehicle.model()}`;
    state.cruiseKmh = faker.number.int({ min: 25, max: 55 });
    state.startKm = faker.number.float({ min: 0, max: LOOP_KM });
    state.fuel = faker.number.float({ min: 40, max: 100, multipleOf: 0.1 });
  }
  const driven = (state.cruiseKmh * options.t) / 3600;
  const p = along(state.startKm + driven);
  return {
    payload: {
      vin: state.vin,
      model: state.model,
      seq: options.seq,
      lat: round(p.lat, 6),
      lon: round(p.lon, 6),
      heading: round(p.heading, 1),
      speed_kmh: round(state.cruiseKmh + faker.number.float({ min: -3, max: 3 }), 1),
      odometer_km: round(driven, 6),
      fuel_pct: round(Math.max(0, state.fuel - driven * 0.08), 2),
    },
  };
};

/* global module -- CommonJS, like MQTTX CLI's scenarios (elf loads it so also under "type": "module") */
module.exports = { name: 'vehicle', generator, loopKm: LOOP_KM };
