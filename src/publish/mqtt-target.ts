import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ElfError } from '../errors.js';
import type { Logger } from '../log.js';
import type { FleetState } from '../fleet/types.js';
import { THINGS_FILE } from '../fleet/store.js';
import type { ResolvedTarget, TargetFlags } from '../target.js';
import { parseMqttEndpoint, type MqttEndpoint } from './endpoint.js';
import { isAwsIotHost, isAwsTarget } from './fleet-devices.js';

/**
 * Where the fleet's things connect, and whom they trust:
 *  1. `--mqtt-endpoint host[:port]`: that broker; no control-plane call; `--ca-file` or the system
 *     trust store.
 *  2. the fleet was made on elf's stand-in: its `GET /elf/info` (MQTT host, port and CA; the CA is
 *     written 0600 to a temporary directory removed at exit) unless `--ca-file`.
 *  3. otherwise DescribeEndpoint(iot:Data-ATS) through the fleet's target; `--ca-file` or the system
 *     trust store (Amazon Root CA 1 is in it).
 * AWS IoT Core's per-connection limits apply when the endpoint is AWS IoT Core.
 */
export interface MqttTarget extends MqttEndpoint {
  caFile?: string;
  awsLimits: boolean;
  /** where the endpoint came from, for logs and messages */
  via: 'flag' | 'stand-in' | 'DescribeEndpoint';
  /** the broker follows AWS IoT's topic semantics (`a/#` does not match `a`) */
  awsSemantics: boolean;
  /** removes the temporary CA file, if one was written; idempotent and synchronous (safe at exit) */
  cleanup(): void;
}

export interface MqttTargetInput {
  fleet: FleetState;
  stateDir: string;
  flags: TargetFlags;
  env: Record<string, string | undefined>;
  mqttEndpoint?: MqttEndpoint;
  caFile?: string;
}

export interface MqttTargetDeps {
  logger: Logger;
  /** resolves the fleet's control-plane target (default: target.ts resolveTarget) */
  resolve?: (input: MqttTargetInput) => Promise<ResolvedTarget>;
  /** DescribeEndpoint(iot:Data-ATS) (default: the AWS SDK through the target) */
  describeEndpoint?: (target: ResolvedTarget) => Promise<string>;
}

/** Writes a PEM to a fresh 0700 temp dir as a 0600 file; returns its path and a sync remover. */
export function writeTempCa(pem: string): { file: string; remove: () => void } {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'elf-ca-'));
  const file = path.join(dir, 'ca.pem');
  writeFileSync(file, pem, { mode: 0o600 });
  let removed = false;
  return {
    file,
    remove: () => {
      if (removed) return;
      removed = true;
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

async function defaultResolve(input: MqttTargetInput, log: Logger): Promise<ResolvedTarget> {
  const { resolveTarget } = await import('../target.js');
  return resolveTarget(
    { flags: input.flags, env: input.env, recorded: input.fleet.target, recordedFrom: path.join(input.stateDir, THINGS_FILE) },
    { notify: (level, message) => log[level](message) },
  );
}

async function defaultDescribe(target: ResolvedTarget): Promise<string> {
  // loaded on use: the AWS SDK is heavy
  const [{ DescribeEndpointCommand }, { makeIotClient }] = await Promise.all([import('@aws-sdk/client-iot'), import('../provision/iot.js')]);
  const client = makeIotClient(target);
  try {
    const r = await client.send(new DescribeEndpointCommand({ endpointType: 'iot:Data-ATS' }));
    if (!r.endpointAddress) throw new Error('the answer has no endpointAddress');
    return r.endpointAddress;
  } catch (e) {
    const where = target.endpointUrl ?? `AWS region ${target.region}`;
    throw new ElfError(`DescribeEndpoint at ${where} failed: ${(e as Error).message.split('\n')[0]} (or give --mqtt-endpoint)`, 'ELF_ENDPOINT');
  } finally {
    client.destroy();
  }
}

export async function resolveMqttTarget(input: MqttTargetInput, deps: MqttTargetDeps): Promise<MqttTarget> {
  const noop = () => {};
  if (input.mqttEndpoint) {
    const aws = isAwsIotHost(input.mqttEndpoint.host);
    return { ...input.mqttEndpoint, ...(input.caFile ? { caFile: input.caFile } : {}), awsLimits: aws, awsSemantics: aws, via: 'flag', cleanup: noop };
  }
  const target = await (deps.resolve ?? ((i) => defaultResolve(i, deps.logger)))(input);
  if (target.local && target.standIn) {
    const info = target.standIn;
    if (input.caFile) return { host: info.mqtt.host, port: info.mqtt.port, caFile: input.caFile, awsLimits: false, awsSemantics: true, via: 'stand-in', cleanup: noop };
    const ca = writeTempCa(info.caPem);
    return { host: info.mqtt.host, port: info.mqtt.port, caFile: ca.file, awsLimits: false, awsSemantics: true, via: 'stand-in', cleanup: ca.remove };
  }
  const address = await (deps.describeEndpoint ?? defaultDescribe)(target);
  const ep = parseMqttEndpoint(address, 'DescribeEndpoint');
  const aws = isAwsTarget(input.fleet.target) || isAwsIotHost(ep.host);
  return { ...ep, ...(input.caFile ? { caFile: input.caFile } : {}), awsLimits: aws, awsSemantics: true, via: 'DescribeEndpoint', cleanup: noop };
}
