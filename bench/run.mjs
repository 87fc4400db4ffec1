#!/usr/bin/env node
// `npm run bench` / `make bench`: elf beside its peers, measured in the same run on loopback.
// See BENCHMARKS.md for what each scenario measures; `--help` for the flags.
import { execFileSync, execSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { cpus, freemem, totalmem, tmpdir, loadavg } from 'node:os';
import { dirname, join } from 'node:path';
import { parseArgs, USAGE } from './lib/args.mjs';
import { ROOT, elfCapabilities } from './lib/elf.mjs';
import { report } from './lib/report.mjs';
import { evaluateTargets } from './lib/targets.mjs';
import { killAll } from './lib/proc.mjs';
import { performance } from 'node:perf_hooks';

let opts;
try {
  opts = parseArgs(process.argv.slice(2));
} catch (e) {
  process.stderr.write(`bench: ${e.message}\n`);
  process.exit(2);
}
if (opts.help) {
  process.stdout.write(`${USAGE}\n`);
  process.exit(0);
}

const say = (s) => process.stderr.write(`${s}\n`);

if (!existsSync(join(ROOT, 'dist', 'local', 'ca.js')) || !existsSync(join(ROOT, 'dist', 'cli', 'main.js'))) {
  say('bench: dist/ is missing; running npm run build');
  execSync('npm run build', { cwd: ROOT, stdio: ['ignore', 'inherit', 'inherit'] });
}

function version(cmd, args, re) {
  try {
    const out = execFileSync(cmd, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
    return re.exec(out)?.[1] ?? out.trim().split('\n')[0];
  } catch (e) {
    const out = String(e.stdout ?? '') + String(e.stderr ?? '');
    return re.exec(out)?.[1];
  }
}
const pkgVersion = (name) => {
  try {
    return JSON.parse(readFileSync(join(ROOT, 'node_modules', name, 'package.json'), 'utf8')).version;
  } catch {
    return undefined;
  }
};

const machine = {
  cpus: cpus().length,
  cpuModel: cpus()[0]?.model,
  memoryGb: +(totalmem() / 2 ** 30).toFixed(1),
  freeMemoryGb: +(freemem() / 2 ** 30).toFixed(1),
  loadAverageAtStart: loadavg().map((x) => +x.toFixed(2)),
  node: process.version,
};
const versions = {
  mosquitto: version('mosquitto', ['-h'], /mosquitto version (\S+)/),
  'aws-iot-device-sdk-v2': pkgVersion('aws-iot-device-sdk-v2'),
  'aws-crt': pkgVersion('aws-crt'),
  mqtt: pkgVersion('mqtt'),
  aedes: pkgVersion('aedes'),
};
let commit;
try {
  commit = execFileSync('git', ['-C', ROOT, 'rev-parse', '--short', 'HEAD'], { encoding: 'utf8' }).trim();
} catch {
  commit = undefined;
}

const elf = elfCapabilities();
say(`bench: ${opts.quick ? 'quick' : 'full'} run, scenarios ${opts.scenarios.join(',')}; elf commands present: ${Object.keys(elf).join(', ') || 'none'}`);

const tmp = await mkdtemp(join(tmpdir(), 'elf-bench-'));
const cleanups = [];
const cleanup = async () => {
  while (cleanups.length) await cleanups.pop()().catch(() => {});
  await rm(tmp, { recursive: true, force: true });
};
process.once('SIGINT', () => {
  say('bench: interrupted; cleaning up');
  killAll();
  cleanup().finally(() => process.exit(130));
});

const started = new Date();
const results = { started: started.toISOString(), commit, quick: opts.quick, options: opts, machine, versions, elfCommands: Object.keys(elf), scenarios: {} };
try {
  const { createCertificateAuthority } = await import('../dist/local/ca.js');
  const ctx = { tmp, say, versions, elf, cleanups, cores: machine.cpus, authority: await createCertificateAuthority('elf bench CA') };
  const needsMosquitto = opts.scenarios.some((s) => s <= 3 || s === 5 || s === 8);
  if (needsMosquitto) {
    const { startMosquitto } = await import('./lib/mosquitto.mjs');
    ctx.broker = await startMosquitto({ authority: ctx.authority });
    cleanups.push(() => ctx.broker.stop());
  }
  const { prepareElf } = await import('./lib/fleet.mjs');
  await prepareElf(ctx);
  const scenarios = {
    1: async () => (await import('./scenarios/s1-stream.mjs')).scenario1(ctx, opts),
    2: async () => (await import('./scenarios/s2-fleet.mjs')).scenario2(ctx, opts),
    3: async () => (await import('./scenarios/s3-memory.mjs')).scenario3(ctx, opts),
    4: async () => (await import('./scenarios/s4-provision.mjs')).scenario4(ctx, opts),
    5: async () => (await import('./scenarios/s5-workers.mjs')).scenario5(ctx, opts),
    6: async () => (await import('./scenarios/s6-shards.mjs')).scenario6(ctx, opts),
    7: async () => (await import('./scenarios/s7-rules.mjs')).scenario7(ctx, opts),
    8: async () => (await import('./scenarios/s8-traffic.mjs')).scenario8(ctx, opts),
  };
  for (const s of opts.scenarios) {
    const t0 = performance.now();
    const load = loadavg().map((x) => +x.toFixed(2));
    try {
      results.scenarios[s] = await scenarios[s]();
    } catch (e) {
      say(`bench: scenario ${s} failed: ${e.stack ?? e}`);
      results.scenarios[s] = { error: String(e.message ?? e) };
    }
    results.scenarios[s].seconds = +((performance.now() - t0) / 1000).toFixed(1);
    results.scenarios[s].loadAtStart = load;
  }
} finally {
  await cleanup();
}
results.seconds = +((Date.now() - started.getTime()) / 1000).toFixed(1);
results.targets = evaluateTargets(results);

process.stdout.write(report(results));
const out = opts.out ?? join(ROOT, 'bench', 'out', `results-${started.toISOString().replace(/[:.]/g, '-')}.json`);
await mkdir(dirname(out), { recursive: true });
await writeFile(out, JSON.stringify(results, null, 2) + '\n');
say(`bench: results written to ${out}`);
