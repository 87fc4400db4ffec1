import path from 'node:path';
import { type Command, Option } from 'commander';
import dotenv from 'dotenv';
import { integer, nonEmpty } from './parse.js';
import type { TargetFlags } from '../target/target.js';

/**
 * Flag groups shared by the commands that talk to a control plane (create, clean, send, subscribe):
 * defined once here so they read and validate the same everywhere.
 */

export const DEFAULT_STATE_DIR = 'misc';

export interface TargetOptionValues {
  region?: string;
  profile?: string;
  endpointUrl?: string;
  stateDir: string;
}

export function addTargetOptions(cmd: Command): Command {
  return cmd
    .addOption(new Option('--region <region>', 'AWS region (default: AWS_REGION or the profile\'s region)').argParser(nonEmpty('--region')))
    .addOption(new Option('--profile <name>', 'AWS credentials profile').argParser(nonEmpty('--profile')))
    .addOption(new Option('--endpoint-url <url>', 'control-plane endpoint instead of AWS, e.g. the local stand-in (env: AWS_ENDPOINT_URL_IOT, AWS_ENDPOINT_URL)').argParser(nonEmpty('--endpoint-url')))
    .addOption(new Option('--state-dir <dir>', 'where the fleet state and keys are kept').env('ELF_STATE_DIR').default(DEFAULT_STATE_DIR).argParser(nonEmpty('--state-dir')));
}

export function addConcurrencyOption(cmd: Command, fallback: number): Command {
  return cmd
    .addOption(new Option('--concurrency <n>', 'things worked on at once').default(fallback).argParser(integer(1, 100)))
    .addOption(new Option('--no-pacing', "do not pace calls at AWS IoT's default API rates (for endpoints without quotas)"));
}

export function targetFlags(o: TargetOptionValues): TargetFlags {
  return { ...(o.region ? { region: o.region } : {}), ...(o.profile ? { profile: o.profile } : {}), ...(o.endpointUrl ? { endpointUrl: o.endpointUrl } : {}) };
}

/**
 * The CLI edge: reads `.env` from the working directory once (never overriding variables already
 * set) and quiets the AWS SDK's Node-version notice. Returns the environment to decide with.
 */
export function prepareEnvironment(cwd: string = process.cwd()): Record<string, string | undefined> {
  dotenv.config({ path: path.join(cwd, '.env'), quiet: true, override: false });
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
  return process.env;
}
