// Fleets for `elf send` against brokers elf did not provision (mosquitto): a state dir in elf's
// format (src/fleet/types.ts: things.json + <name>.pem/.pub/.prv, dir 0700, keys 0600) whose
// certificates come from the bench's CA. RSA-2048 keys cost ≈ 80 ms each here (docs/aws-iot-facts.md#measured-here),
// so a fleet reuses a small pool of certificates: mosquitto does not tie certificates to client
// ids, and the TLS handshake costs the same with any of them.
import { createHash } from 'node:crypto';
import { copyFile, mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { existsSync } from 'node:fs';
import { ELF, ROOT } from './elf.mjs';

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
    // every field a complete thing has (src/fleet/types.ts isComplete): mosquitto checks none of them
    const certificateId = createHash('sha256').update(name).digest('hex');
    const arn = (kind) => `arn:aws:iot:us-east-1:000000000000:${kind}`;
    records.push({
      name,
      thingArn: arn(`thing/${name}`),
      certificateId,
      certificateArn: arn(`cert/${certificateId}`),
      policyName: `${name}-policy`,
      policyArn: arn(`policy/${name}-policy`),
      principalAttached: true,
      policyAttached: true,
      files,
    });
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
 * Sets ctx.elfSend = { label, engine, args(opts) } — argv (after `node`) for a process that sends
 * with elf: the `elf send` command when it is on the build, else elf's send engine driven by
 * bench/elf-engine.mjs when dist/publish is there — and a one-thing fleet (ctx.oneThingFleet) for
 * scenarios 1 and 3. opts: { fleetDir, file, topic, qos, interval, duration, loop, connectRate, local }
 * (local = the stand-in's control-plane URL; otherwise the bench's mosquitto).
 */
export async function prepareElf(ctx) {
  const engine = existsSync(join(ROOT, 'dist', 'publish', 'run.js'));
  if (!ctx.elf.send && !engine) return;
  if (ctx.broker) {
    const pool = await certPool(ctx, 1);
    ctx.oneThingFleet = await writeFleet(join(ctx.tmp, 'fleet-1'), { things: 1, pool });
  }
  if (ctx.elf.send) {
    const has = ctx.elf.send.has;
    ctx.elfSend = {
      label: 'elf send',
      engine: false,
      args: ({ fleetDir, file, topic, qos, interval, duration, loop, connectRate, local }) => {
        // the input file: `--json-message <file>` on the CLI (`--file` in early drafts)
        const fileFlag = has('--json-message') ? '--json-message' : '--file';
        const args = [ELF, 'send', '--state-dir', fleetDir, fileFlag, file, '--qos', String(qos), '--interval', String(interval)];
        if (!local) args.push(has('--mqtt-endpoint') ? '--mqtt-endpoint' : '--endpoint', `${ctx.broker.host}:${ctx.broker.port}`, has('--ca-file') ? '--ca-file' : '--ca', ctx.broker.caFile);
        if (topic) args.push('--topic', topic);
        // `elf send` stops after --duration (default 120 s): a stream to the end of the file gets a day
        if (duration !== undefined) args.push('--duration', String(duration));
        else if (loop === false) args.push('--duration', '86400');
        if (loop === false && has('--no-loop')) args.push('--no-loop');
        if (connectRate && has('--connect-rate')) args.push('--connect-rate', String(connectRate));
        if (has('--json')) args.push('--json');
        return args;
      },
    };
  } else {
    ctx.elfSend = {
      label: 'elf engine (runSend; CLI not wired)',
      engine: true,
      args: ({ fleetDir, file, topic, qos, interval, duration, loop, connectRate, local }) => {
        const args = [join(ROOT, 'bench', 'elf-engine.mjs'), '--state-dir', fleetDir, '--file', file, '--qos', String(qos), '--interval', String(interval)];
        if (local) args.push('--local', local);
        else args.push('--host', ctx.broker.host, '--port', String(ctx.broker.port), '--ca', ctx.broker.caFile);
        if (topic) args.push('--topic', topic);
        if (duration !== undefined) args.push('--duration', String(duration));
        if (loop === false) args.push('--no-loop');
        if (connectRate) args.push('--connect-rate', String(connectRate));
        return args;
      },
    };
  }
}
