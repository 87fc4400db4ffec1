// Scenario 4: `elf create N` then `elf clean` against `elf local`, unthrottled and with
// `--throttle` (the stand-in answers ThrottlingException beyond AWS's per-API TPS,
// docs/aws-iot-facts.md#control-plane-rates). The quota-bound ideal time is things ÷ the slowest rate among the APIs the command calls
// once per thing; the share of it achieved is ideal ÷ measured.
import { join } from 'node:path';
import { ELF, ROOT } from '../lib/elf.mjs';
import { startLocal, localEnv } from '../lib/local.mjs';
import { watched } from '../lib/proc.mjs';

// the calls elf makes once per thing (src/provision; docs/aws-iot-facts.md#control-plane-rates for their AWS TPS)
const CREATE_APIS = ['CreateKeysAndCertificate', 'CreateThing', 'AttachThingPrincipal', 'CreatePolicy', 'AttachPolicy'];
const CLEAN_APIS = ['DetachPolicy', 'DeletePolicy', 'UpdateCertificate', 'DetachThingPrincipal', 'DeleteCertificate', 'DeleteThing'];

async function rates() {
  try {
    return (await import('../../dist/aws/limits.js')).AWS_API_TPS;
  } catch {
    return { CreateKeysAndCertificate: 10, CreatePolicy: 10, DeletePolicy: 10, UpdateCertificate: 10, DeleteCertificate: 10 };
  }
}

function slowest(apis, table) {
  let min = Infinity;
  let api;
  for (const a of apis) if (table[a] !== undefined && table[a] < min) [min, api] = [table[a], a];
  return { api, rate: min };
}

/** "created 998 of 1000 things, 2 failed, in 12.3 s (...)" → { ok, requested, failed, seconds } */
export function parseProvisionLine(stdout) {
  const m = /(created|removed) (\d+) of (\d+) things, (\d+) failed, in ([\d.]+) s/.exec(stdout);
  return m ? { ok: Number(m[2]), requested: Number(m[3]), failed: Number(m[4]), seconds: Number(m[5]) } : undefined;
}

export async function scenario4(ctx, opts) {
  if (!ctx.elf.create || !ctx.elf.clean || !ctx.elf.local) {
    const missing = ['create', 'clean', 'local'].filter((c) => !ctx.elf[c]);
    return { things: opts.things, rows: [], pending: `elf ${missing.join(', ')} not on this build`, notes: [`pending: elf ${missing.join(', ')} not on this build`] };
  }
  const table = await rates();
  const createBound = slowest(CREATE_APIS, table);
  const cleanBound = slowest(CLEAN_APIS, table);
  const n = opts.things;
  ctx.say(`scenario 4: elf create ${n} / elf clean against elf local (quota bound: create ${createBound.api} ${createBound.rate}/s, clean ${cleanBound.api} ${cleanBound.rate}/s)`);
  const rows = [];
  for (const throttle of [false, true]) {
    // throttled: the stand-in generates the RSA keys before the clock starts (`--key-pool`), so the
    // pass measures elf's pacing against the quota, not the stand-in's key generation (≈ 9 keys/s
    // on 2 cores, below the 10/s quota; the unthrottled pass shows it)
    const local = await startLocal(ctx, { throttle, name: `s4-local-${throttle ? 'throttled' : 'open'}`, keyPool: throttle ? n : undefined });
    ctx.cleanups.push(() => local.stop());
    const env = localEnv(local.url);
    const stateDir = join(ctx.tmp, `s4-fleet-${throttle ? 'throttled' : 'open'}`);
    try {
      for (const [command, bound] of [
        ['create', createBound],
        ['clean', cleanBound],
      ]) {
        const args = [ELF, command, ...(command === 'create' ? [String(n)] : []), '--endpoint-url', local.url, '--state-dir', stateDir];
        // without quotas there is nothing to pace for: measure elf's own speed
        if (!throttle && ctx.elf[command].has('--no-pacing')) args.push('--no-pacing');
        const w = watched(process.execPath, args, { cwd: ROOT, env, timeoutMs: Math.max(1_800_000, (n / bound.rate) * 3000) });
        const r = await w.done;
        const line = parseProvisionLine(r.stdout);
        const seconds = r.wallMs / 1000;
        const ok = line?.ok ?? 0;
        const idealSeconds = throttle ? n / bound.rate : undefined;
        const row = {
          command: `elf ${command}${command === 'create' ? ` ${n}` : ''}${args.includes('--no-pacing') ? ' --no-pacing' : ''}`,
          throttle,
          things: n,
          ok,
          failed: line ? line.failed + (line.requested - line.ok - line.failed) : n,
          seconds,
          thingsPerSec: ok / seconds,
          idealSeconds,
          boundApi: throttle ? `${bound.api} ${bound.rate}/s` : undefined,
          shareOfIdeal: idealSeconds ? idealSeconds / seconds : undefined,
          exitCode: r.code,
          peakRssMb: r.peakRssMb,
          cpuSeconds: r.cpuSeconds,
          summary: r.stdout.trim().split('\n').pop(),
          error: r.code === 0 ? undefined : r.stderr.trim().split('\n').slice(-2).join(' | '),
        };
        rows.push(row);
        ctx.say(`  ${row.command} (${throttle ? '--throttle' : 'unthrottled'}): ${ok}/${n} in ${seconds.toFixed(1)} s, ${row.thingsPerSec.toFixed(1)} things/s${row.shareOfIdeal ? `, ${(row.shareOfIdeal * 100).toFixed(1)}% of ideal` : ''}${row.error ? ` (exit ${r.code}: ${row.error})` : ''}`);
      }
    } finally {
      await local.stop();
    }
  }
  return {
    things: n,
    createBound,
    cleanBound,
    rows,
    notes: [
      'unthrottled: the stand-in generates each RSA-2048 key pair on demand (its pool of 32 fills from the first call); --throttle: all key pairs generated before the clock starts (elf local --key-pool)',
      `ideal = things ÷ slowest API rate (create: ${createBound.api} ${createBound.rate}/s; clean: ${cleanBound.api} ${cleanBound.rate}/s); times are wall clock of the elf process, including Node start-up`],
  };
}
