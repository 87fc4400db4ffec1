// Command-line flags of `npm run bench` (pure: argv in, options out; errors name the flag).

export const FULL = {
  scenarios: [1, 2, 3, 4],
  lines: 200_000, // scenario 1
  qos: [0, 1], // scenario 1
  fleet: [100, 1_000, 10_000], // scenario 2, against mosquitto
  standInFleet: [100, 1_000], // scenario 2, against the stand-in (elf local)
  duration: 60, // scenario 2, seconds
  megabytes: 1024, // scenario 3
  things: 1_000, // scenario 4
  s5Things: 20_000, // scenario 5, against mosquitto
  s5Interval: 2,
  s5Duration: 120,
  s5Workers: [1, 2],
  s6Things: 4_000, // scenario 6, against the stand-in
  s6Shards: 4,
  rulesLines: 200_000, // scenario 7
  rulesThings: 10,
  s8Messages: 100_000, // scenario 8: messages per source over one connection
  s8Things: 10_000, // scenario 8: things each with its own series state
  s8ReplayHours: 48, // scenario 8: hours of radar-counts replayed at --speed 3600 (48 s)
};

export const QUICK = {
  scenarios: [1, 2, 3, 4],
  lines: 5_000,
  qos: [0, 1],
  fleet: [10],
  standInFleet: [10],
  duration: 5,
  megabytes: 16,
  things: 10,
  s5Things: 20,
  s5Interval: 1,
  s5Duration: 5,
  s5Workers: [1, 2],
  s6Things: 8,
  s6Shards: 4,
  rulesLines: 2_000,
  rulesThings: 2,
  s8Messages: 1_000,
  s8Things: 100,
  s8ReplayHours: 3,
};

export const USAGE = `usage: npm run bench -- [options]    (or: make bench ARGS="...")
  --scenario <list>    scenarios to run, e.g. 1,2 (default 1,2,3,4; 5-8 only when asked for)
                         1 one connection as fast as it goes   2 fleet scale
                         3 peak RSS streaming a big file        4 provisioning create/clean
                         5 send --workers 1 vs 2 (mosquitto)    6 shard processes vs one, clean --run-id
                         7 the stand-in's rules engine (one SQL rule + file sink vs none)
                         8 generated traffic: template vs file vs scenario, memory of series state
  --quick              tiny sizes (a smoke run in under a minute)
  --lines <n>          scenario 1: lines in the JSONL file (default 200000)
  --qos <list>         scenario 1: QoS levels (default 0,1)
  --fleet <list>       scenario 2: fleet sizes against mosquitto (default 100,1000,10000)
  --stand-in-fleet <list>  scenario 2: fleet sizes against elf local (default 100,1000; 0 = none)
  --duration <s>       scenario 2: seconds of sending (default 60)
  --mb <n>             scenario 3: size of the JSONL file in MB (default 1024)
  --things <n>         scenario 4: things to create and clean (default 1000)
  --s5-things <n>      scenario 5: fleet size (default 20000)
  --s5-interval <s>    scenario 5: seconds between a thing's messages (default 2)
  --s5-duration <s>    scenario 5: seconds of sending (default 120)
  --s5-workers <list>  scenario 5: worker counts to compare (default 1,2)
  --s6-things <n>      scenario 6: fleet size (default 4000)
  --s6-shards <n>      scenario 6: shard processes (default 4)
  --rules-lines <n>    scenario 7: lines streamed (default 200000)
  --rules-things <n>   scenario 7: things streaming them (default 10)
  --s8-messages <n>    scenario 8: messages per source over one connection (default 100000)
  --s8-things <n>      scenario 8: things each with its own series state (default 10000)
  --s8-replay-hours <n> scenario 8: hours of radar-counts replayed at --speed 3600 (default 48)
  --out <file>         JSON results file (default bench/out/results-<time>.json)
  -h, --help           this text`;

function list(flag, v) {
  const items = String(v).split(',').map((s) => s.trim()).filter((s) => s !== '');
  const nums = items.map(Number);
  if (items.length === 0 || nums.some((n) => !Number.isInteger(n) || n < 0)) throw new Error(`${flag}: expected a comma-separated list of whole numbers, got "${v}"`);
  return nums;
}

function positive(flag, v) {
  const n = Number(v);
  if (!Number.isFinite(n) || n <= 0) throw new Error(`${flag}: expected a positive number, got "${v}"`);
  return n;
}

/** Parses argv (without node and script); throws Error with a one-line message on bad input. */
export function parseArgs(argv) {
  const quick = argv.includes('--quick');
  const o = { ...(quick ? QUICK : FULL), quick, out: undefined, help: false };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const [flag, inline] = a.startsWith('--') && a.includes('=') ? [a.slice(0, a.indexOf('=')), a.slice(a.indexOf('=') + 1)] : [a, undefined];
    const value = () => {
      if (inline !== undefined) return inline;
      const v = argv[++i];
      if (v === undefined || v.startsWith('--')) throw new Error(`${flag}: missing value`);
      return v;
    };
    switch (flag) {
      case '--quick':
        break;
      case '-h':
      case '--help':
        o.help = true;
        break;
      case '--scenario':
      case '--scenarios': {
        const s = list(flag, value());
        if (s.some((n) => n < 1 || n > 8)) throw new Error(`${flag}: scenarios are 1 to 8`);
        o.scenarios = [...new Set(s)].sort();
        break;
      }
      case '--lines':
        o.lines = Math.round(positive(flag, value()));
        break;
      case '--qos': {
        const q = list(flag, value());
        if (q.some((n) => n > 1)) throw new Error(`${flag}: QoS is 0 or 1`);
        o.qos = q;
        break;
      }
      case '--fleet':
        o.fleet = list(flag, value()).filter((n) => n > 0);
        break;
      case '--stand-in-fleet':
        o.standInFleet = list(flag, value()).filter((n) => n > 0);
        break;
      case '--duration':
        o.duration = positive(flag, value());
        break;
      case '--mb':
        o.megabytes = positive(flag, value());
        break;
      case '--things':
        o.things = Math.round(positive(flag, value()));
        break;
      case '--s5-things':
        o.s5Things = Math.round(positive(flag, value()));
        break;
      case '--s5-interval':
        o.s5Interval = positive(flag, value());
        break;
      case '--s5-duration':
        o.s5Duration = positive(flag, value());
        break;
      case '--s5-workers': {
        const w = list(flag, value());
        if (w.some((n) => n < 1)) throw new Error(`${flag}: worker counts are 1 or more`);
        o.s5Workers = w;
        break;
      }
      case '--s6-things':
        o.s6Things = Math.round(positive(flag, value()));
        break;
      case '--s6-shards':
        o.s6Shards = Math.round(positive(flag, value()));
        break;
      case '--rules-lines':
        o.rulesLines = Math.round(positive(flag, value()));
        break;
      case '--rules-things':
        o.rulesThings = Math.round(positive(flag, value()));
        break;
      case '--s8-messages':
        o.s8Messages = Math.round(positive(flag, value()));
        break;
      case '--s8-things':
        o.s8Things = Math.round(positive(flag, value()));
        break;
      case '--s8-replay-hours':
        o.s8ReplayHours = positive(flag, value());
        break;
      case '--out':
        o.out = value();
        break;
      default:
        throw new Error(`unknown option ${a} (run with --help for usage)`);
    }
  }
  return o;
}
