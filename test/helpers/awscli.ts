import { execFile, spawnSync } from 'node:child_process';
import { cleanEnv } from './cli.js';
import { DUMMY_CREDENTIALS } from './standin.js';

/**
 * The official AWS CLI (`aws`, Debian package awscli on CI) pointed at a stand-in with --endpoint-url
 * and dummy credentials, as any AWS client would drive it.
 */
export const hasAws = !spawnSync('aws', ['--version'], { stdio: 'ignore' }).error;
export const awsSkipReason = hasAws ? '' : ' (SKIPPED: the AWS CLI `aws` is not on PATH; install Debian package awscli)';

export interface AwsResult {
  code: number;
  stdout: string;
  stderr: string;
  json: Record<string, unknown>;
}

export type AwsIot = (...args: string[]) => Promise<AwsResult>;

/** `aws iot <args>` against `endpointUrl` (read when each call starts), in region `region`. */
export function awsIot(endpointUrl: () => string, region = 'us-west-2'): AwsIot {
  const env = cleanEnv({ AWS_ACCESS_KEY_ID: DUMMY_CREDENTIALS.accessKeyId, AWS_SECRET_ACCESS_KEY: DUMMY_CREDENTIALS.secretAccessKey, AWS_DEFAULT_REGION: region, AWS_PAGER: '' });
  return (...args) =>
    new Promise((resolve) => {
      execFile('aws', ['iot', ...args, '--endpoint-url', endpointUrl(), '--output', 'json'], { env, timeout: 120_000 }, (err, stdout, stderr) => {
        const code = err ? (typeof err.code === 'number' ? err.code : 1) : 0;
        resolve({ code, stdout, stderr, json: stdout.trim() ? (JSON.parse(stdout) as Record<string, unknown>) : {} });
      });
    });
}

/** The error line the CLI prints: `An error occurred (<Name>) when calling the <Op> operation: <message>`. */
export const cliError = (name: string, op: string, message: RegExp | string = ''): RegExp =>
  new RegExp(`An error occurred \\(${name}\\) when calling the ${op} operation: ${typeof message === 'string' ? message.replace(/[.*+?^${}()|[\]\\]/g, '\\$&') : message.source}`);
