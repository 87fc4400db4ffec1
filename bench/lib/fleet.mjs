// Fleets for `elf send` against brokers elf did not provision (mosquitto): a state dir in elf's
// format (src/fleet/types.ts: things.json + <name>.pem/.pub/.prv, dir 0700, keys 0600) whose
// certificates come from the bench's CA. RSA-2048 keys cost ≈ 80 ms each here (reference §10),
// so a fleet reuses a small pool of certificates: mosquitto does not tie certificates to client
// ids, and the TLS handshake costs the same with any of them.
import { copyFile, mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ELF } from './elf.mjs';

const POOL = 8;

export async function writeFleet(dir, { things, pool, prefix = 'thing_', topicRoot = 'elf' }) {
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const records = [];
  for (let i = 0; i < things; i++) {
    const name = `${prefix}${i}`;
    const c = pool[i % pool.length];
    const files = { cert: `${name}.pem`, publicKey: `${name}.pub`, privateKey: `${name}.prv` };
    await copyFile(c.certPath, join(dir, files.cert));
    await writeFile(join(dir, files.publicKey), c.publicKeyPem, { mode: 0o644 });
    await copyFile(c.keyPath, join(dir, files.privateKey));
    records.push({ name, certificateId: undefined, principalAttached: true, policyAttached: true, files });
  }
  const state = { version: 1, target: { region: 'us-east-1', local: false }, prefix, topicRoot, things: records };
  await writeFile(join(dir, 'things.json'), JSON.stringify(state, null, 2) + '\n', { mode: 0o600 });
  return dir;
}

/** A pool of client certificates from the broker's CA (issued once per run). */
export async function certPool(ctx, size = POOL) {
  ctx.pool ??= [];
  while (ctx.pool.length < size) ctx.pool.push(await ctx.broker.issueClient('fleet'));
  return ctx.pool.slice(0, size);
}

/**
 * Sets ctx.elfSendArgs(opts) → argv for `node bin/elf.js send ...` when `elf send` is on the
 * build, and a one-thing fleet (ctx.oneThingFleet) for scenarios 1 and 3.
 */
export async function prepareElf(ctx) {
  if (!ctx.elf.send || !ctx.broker) return;
  const pool = await certPool(ctx, 1);
  ctx.oneThingFleet = await writeFleet(join(ctx.tmp, 'fleet-1'), { things: 1, pool });
  ctx.elfSendArgs = ({ fleetDir, topic, qos, interval, duration, loop, file }) => {
    const args = [ELF, 'send', '--state-dir', fleetDir, '--endpoint', `${ctx.broker.host}:${ctx.broker.port}`, '--ca-file', ctx.broker.caFile];
    args.push('--topic', topic, '--qos', String(qos), '--interval', String(interval), '--json');
    if (duration !== undefined) args.push('--duration', String(duration));
    if (loop === false && ctx.elf.send.has('--no-loop')) args.push('--no-loop');
    args.push('--file', file ?? ctx.s1File);
    return args;
  };
}
