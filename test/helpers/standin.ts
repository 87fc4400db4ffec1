import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { IoTClient, type IoTClientConfig } from '@aws-sdk/client-iot';
import { runCli, startCli, type CliResult, type RunningCli } from './cli.js';

/**
 * Starts `elf local` as a real process (the built CLI, bin/elf.js → dist) on free loopback ports with
 * a temporary state dir, and hands back what a test needs to talk to it. Typical use:
 *
 *   let s: StandInProcess;
 *   beforeAll(async () => { s = await startStandInProcess(); });
 *   afterAll(() => s?.stop());
 *   ... const iot = s.client(); await iot.send(new CreateThingCommand({ thingName: 't' }));
 *
 * Pass `stateDir` to reuse a state dir (e.g. to restart on the same state); a state dir the helper
 * made itself is removed by stop() unless `keepState` is set.
 */
export interface StandInProcessOptions {
  /** use this state dir (kept after stop); default: a fresh temp dir, removed by stop() */
  stateDir?: string;
  /** keep a temp state dir after stop() */
  keepState?: boolean;
  /** more `elf local` flags, e.g. ['--throttle'] or ['--fault-rate', '0.5', '--fault-seed', '1'] */
  args?: string[];
  /** region of the SDK client (any works: the stand-in takes it from the SigV4 scope); default us-east-1 */
  region?: string;
  timeoutMs?: number;
  /** environment of the process (default: cleanEnv()), e.g. cleanEnv({ ELF_LOG_LEVEL: 'debug' }) */
  env?: NodeJS.ProcessEnv;
}

export interface StandInProcess {
  /** http://127.0.0.1:<port>: pass as `endpoint` to the SDK or `--endpoint-url` to the AWS CLI */
  endpointUrl: string;
  port: number;
  /** the MQTT port announced by GET /elf/info */
  mqttPort: number;
  stateDir: string;
  caPath: string;
  /** the CA certificate (PEM) from GET /elf/info */
  caPem: string;
  region: string;
  /** the running process (stdout/stderr captured) */
  cli: RunningCli;
  /** an IoTClient for the stand-in, with dummy credentials; `config` overrides, e.g. { maxAttempts: 1 } */
  client(config?: Partial<IoTClientConfig>): IoTClient;
  /** SIGTERM, wait for exit (removes a temp state dir unless keepState); returns the process result */
  stop(): Promise<CliResult>;
}

/** Dummy credentials: the stand-in does not verify SigV4. */
export const DUMMY_CREDENTIALS = { accessKeyId: 'AKIAELFLOCALSTANDIN0', secretAccessKey: 'elf-local-stand-in-secret' };

export async function startStandInProcess(opts: StandInProcessOptions = {}): Promise<StandInProcess> {
  const ownDir = opts.stateDir === undefined;
  const stateDir = opts.stateDir ?? path.join(await mkdtemp(path.join(os.tmpdir(), 'elf-standin-')), 'state');
  const region = opts.region ?? 'us-east-1';
  const cli = startCli(['local', '--port', '0', '--mqtt-port', '0', '--state-dir', stateDir, ...(opts.args ?? [])], { timeoutMs: opts.timeoutMs ?? 600_000, ...(opts.env ? { env: opts.env } : {}) });
  let url: string;
  try {
    url = (await cli.waitFor(/control plane (http:\/\/\S+)/, { timeoutMs: 60_000 }))[1]!;
  } catch (e) {
    await cli.kill('SIGKILL');
    throw e;
  }
  const info = (await (await fetch(`${url}/elf/info`)).json()) as { mqtt: { port: number }; caPem: string };
  const clients: IoTClient[] = [];
  let stopped: Promise<CliResult> | undefined;
  return {
    endpointUrl: url,
    port: Number(new URL(url).port),
    mqttPort: info.mqtt.port,
    stateDir,
    caPath: path.join(stateDir, 'ca.pem'),
    caPem: info.caPem,
    region,
    cli,
    client(config = {}) {
      const c = new IoTClient({ endpoint: url, region, credentials: DUMMY_CREDENTIALS, ...config });
      clients.push(c);
      return c;
    },
    stop() {
      stopped ??= (async () => {
        for (const c of clients) c.destroy();
        const result = await cli.kill('SIGTERM');
        if (ownDir && !opts.keepState) await rm(path.dirname(stateDir), { recursive: true, force: true });
        return result;
      })();
      return stopped;
    },
  };
}

export interface StandInFleet {
  s: StandInProcess;
  /** a temp working directory (the CLI's cwd) */
  work: string;
  /** the fleet's state dir, inside work */
  dir: string;
  /** `elf clean` of the fleet, the stand-in stopped, the work dir removed */
  stop(): Promise<void>;
}

/** A stand-in process with a fleet of `things` made by `elf create` in a fresh temp work dir. */
export async function startStandInWithFleet(things: number, opts: StandInProcessOptions = {}): Promise<StandInFleet> {
  const s = await startStandInProcess(opts);
  const work = await mkdtemp(path.join(os.tmpdir(), 'elf-fleet-'));
  const dir = path.join(work, 'fleet');
  const stop = async () => {
    await runCli(['clean', '--state-dir', dir], { cwd: work });
    await s.stop();
    await rm(work, { recursive: true, force: true });
  };
  const created = await runCli(['create', String(things), '--endpoint-url', s.endpointUrl, '--state-dir', dir], { cwd: work });
  if (created.exitCode !== 0) {
    await stop();
    throw new Error(`elf create ${things} failed (exit ${created.exitCode}): ${created.stderr}`);
  }
  return { s, work, dir, stop };
}
