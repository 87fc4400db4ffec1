import { availableParallelism } from 'node:os';
import type { Fleet } from '../fleet/fleet.js';
import { autoWorkers } from '../publish/workers/slices.js';
import { UsageError } from '../errors.js';
import type { MqttEndpoint } from '../target/endpoint.js';
import type { MqttTarget } from '../target/mqtt-target.js';
import type { CommandContext } from './context.js';
import { reportError } from './report-error.js';

/** Helpers shared by `elf send` and `elf subscribe` (the commands that open MQTT connections). */

/** `--workers N|auto` as the number of processes for `things` (never more processes than things). */
export function workerCount(workers: number | 'auto', things: number): number {
  return workers === 'auto' ? autoWorkers(things, availableParallelism()) : Math.min(workers, things);
}

/** `--ca-file` must be readable before any connection is made. */
export async function checkCaFile(caFile: string | undefined): Promise<void> {
  if (caFile === undefined) return;
  const { access } = await import('node:fs/promises');
  await access(caFile).catch(() => {
    throw new UsageError(`--ca-file ${caFile}: no such file or not readable`);
  });
}

/**
 * Where the fleet's things connect: `--mqtt-endpoint`, the stand-in's broker, or DescribeEndpoint
 * at the fleet's target through provision's control-plane edge.
 */
export async function mqttTarget(ctx: CommandContext, fleet: Fleet, flags: { mqttEndpoint?: MqttEndpoint; caFile?: string }): Promise<MqttTarget> {
  // loaded on use: --mqtt-endpoint needs neither the target nor the AWS SDK
  const { resolveMqttTarget } = await import('../target/mqtt-target.js');
  return resolveMqttTarget(
    { fleet: fleet.requireThings().target, ...(flags.mqttEndpoint ? { mqttEndpoint: flags.mqttEndpoint } : {}), ...(flags.caFile ? { caFile: flags.caFile } : {}) },
    { target: ctx.target, describeEndpoint: async (target) => (await import('../provision/iot.js')).describeEndpoint(target) },
  );
}

/** The log line while a new elf waits for a stopping one to let go of the things. */
export function waitingFor(log: { info(msg: string): void }): (other: { pid: number; command: string }) => void {
  return (other) => log.info(`waiting for elf ${other.command} (pid ${other.pid}), which is stopping, to let go of the things (their client ids would throw each other out)`);
}

/**
 * Ctrl-C (or SIGTERM) once: `onFirst`, then the returned signal aborts and the command winds down;
 * twice: removes what `cleanup` removes and exits 130 at once.
 */
export function stopOnSignals(cleanup: () => void, onFirst?: () => void): AbortSignal {
  const ac = new AbortController();
  const onSignal = () => {
    if (ac.signal.aborted) {
      cleanup();
      process.exit(130);
    }
    onFirst?.();
    ac.abort();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  return ac.signal;
}

function flush(stream: NodeJS.WriteStream): Promise<void> {
  return new Promise((resolve) => {
    if (!stream.writable) return resolve();
    stream.write('', () => resolve());
  });
}

/**
 * The end of a command that opened MQTT connections. The device SDK's native client can keep the
 * process alive long after every connection is closed (MQTT 5: awslabs/aws-crt-nodejs#600), so,
 * at the CLI edge only, the process ends itself once stdout and stderr are flushed. `error` (if
 * any) is printed as the usual one line and decides the exit code.
 */
export async function finish(code: number, error?: unknown, cleanup?: () => void): Promise<never> {
  let exitCode = code;
  if (error !== undefined) exitCode = reportError(error);
  try {
    cleanup?.();
  } catch {
    // a temp file that cannot be removed must not change the outcome
  }
  process.exitCode = exitCode;
  await Promise.all([flush(process.stdout), flush(process.stderr)]);
  process.exit(exitCode);
}
