import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { FleetTarget } from '../fleet/types.js';
import { isAwsIotHost, isAwsTarget } from './aws.js';
import { parseMqttEndpoint, type MqttEndpoint } from './endpoint.js';
import type { ResolvedTarget } from './target.js';

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
  /** where the fleet was made */
  fleet: FleetTarget;
  mqttEndpoint?: MqttEndpoint;
  caFile?: string;
}

export interface MqttTargetDeps {
  /** the fleet's control-plane target, resolved at the CLI edge; not asked for with --mqtt-endpoint */
  target: () => Promise<ResolvedTarget>;
  /** DescribeEndpoint(iot:Data-ATS) at a target: the control-plane edge's call (provision/iot.ts) */
  describeEndpoint: (target: ResolvedTarget) => Promise<string>;
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

export async function resolveMqttTarget(input: MqttTargetInput, deps: MqttTargetDeps): Promise<MqttTarget> {
  const noop = () => {};
  if (input.mqttEndpoint) {
    const aws = isAwsIotHost(input.mqttEndpoint.host);
    return { ...input.mqttEndpoint, ...(input.caFile ? { caFile: input.caFile } : {}), awsLimits: aws, awsSemantics: aws, via: 'flag', cleanup: noop };
  }
  const target = await deps.target();
  if (target.local && target.standIn) {
    const info = target.standIn;
    if (input.caFile) return { host: info.mqtt.host, port: info.mqtt.port, caFile: input.caFile, awsLimits: false, awsSemantics: true, via: 'stand-in', cleanup: noop };
    const ca = writeTempCa(info.caPem);
    return { host: info.mqtt.host, port: info.mqtt.port, caFile: ca.file, awsLimits: false, awsSemantics: true, via: 'stand-in', cleanup: ca.remove };
  }
  const address = await deps.describeEndpoint(target);
  const ep = parseMqttEndpoint(address, 'DescribeEndpoint');
  const aws = isAwsTarget(input.fleet) || isAwsIotHost(ep.host);
  return { ...ep, ...(input.caFile ? { caFile: input.caFile } : {}), awsLimits: aws, awsSemantics: true, via: 'DescribeEndpoint', cleanup: noop };
}
