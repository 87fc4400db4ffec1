import { ElfError } from '../errors.js';
import type { FleetTarget } from '../fleet/types.js';

/**
 * Where elf provisions: AWS (region + the standard credential chain), another endpoint
 * (`--endpoint-url`, `AWS_ENDPOINT_URL_IOT`, `AWS_ENDPOINT_URL`), or elf's local stand-in, which is
 * the default when no AWS credentials exist at all. `decideTarget` is the pure decision: it asks for
 * one fact at a time (a probe of an endpoint, the credential chain) until it can answer;
 * `resolveTarget` supplies the facts.
 */

export const DEFAULT_STANDIN_URL = 'http://127.0.0.1:4580';
export const START_STANDIN = 'npx elf local';

/** What `GET /elf/info` of the stand-in answers. */
export interface StandInInfo {
  standIn: 'elf';
  region: string;
  account: string;
  mqtt: { host: string; port: number };
  caPem: string;
}

export type Probe = { kind: 'stand-in'; info: StandInInfo } | { kind: 'other' } | { kind: 'unreachable'; reason: string };

export interface TargetFlags {
  region?: string;
  profile?: string;
  endpointUrl?: string;
}

export interface ResolvedTarget {
  region: string;
  endpointUrl?: string;
  local: boolean;
  account?: string;
  profile?: string;
  /** static credentials to use instead of the chain (the stand-in's dummy pair) */
  credentials?: { accessKeyId: string; secretAccessKey: string };
  standIn?: StandInInfo;
}

export interface DecideInput {
  flags: TargetFlags;
  env: Record<string, string | undefined>;
  /** the target of an existing fleet: clean/send/`create --add` must talk to the same place */
  recorded?: FleetTarget;
  /** describes where `recorded` came from, for messages (e.g. "./misc/things.json") */
  recordedFrom?: string;
  probes?: Record<string, Probe>;
  /** result of the AWS credential chain (and the SDK's own region resolution) */
  chain?: { found: boolean; error?: string; region?: string };
}

export type Decision =
  | { need: 'probe'; url: string }
  | { need: 'chain' }
  | { target: ResolvedTarget; notice?: { level: 'info' | 'warn'; message: string } }
  | { error: string };

export const DUMMY_CREDENTIALS = { accessKeyId: 'elf-local', secretAccessKey: 'elf-local-secret' };

export function normalizeUrl(url: string): string {
  return url.replace(/\/+$/, '');
}

/** The explicitly configured endpoint, and where it came from. */
export function explicitEndpoint(flags: TargetFlags, env: Record<string, string | undefined>): { url: string; source: string } | undefined {
  if (flags.endpointUrl) return { url: normalizeUrl(flags.endpointUrl), source: '--endpoint-url' };
  for (const name of ['AWS_ENDPOINT_URL_IOT', 'AWS_ENDPOINT_URL']) {
    const v = env[name]?.trim();
    if (v) return { url: normalizeUrl(v), source: name };
  }
  return undefined;
}

export function endpointProblem(url: string): string | undefined {
  try {
    const u = new URL(url);
    if (u.protocol !== 'http:' && u.protocol !== 'https:') return 'must be an http:// or https:// URL';
    return undefined;
  } catch {
    return 'is not a URL';
  }
}

const REGION_RE = /^[a-z]{2}(-[a-z]+)+-\d+$/;

function localTarget(url: string, info: StandInInfo): ResolvedTarget {
  return { region: info.region, endpointUrl: url, local: true, account: info.account, credentials: DUMMY_CREDENTIALS, standIn: info };
}

export function decideTarget(input: DecideInput): Decision {
  const { flags, env, recorded, probes = {}, chain } = input;
  if (flags.region !== undefined && !REGION_RE.test(flags.region)) return { error: `--region "${flags.region}" is not an AWS region name (e.g. us-east-1)` };
  const explicit = explicitEndpoint(flags, env);
  if (explicit) {
    const p = endpointProblem(explicit.url);
    if (p) return { error: `${explicit.source} "${explicit.url}" ${p}` };
  }

  if (recorded) {
    const from = input.recordedFrom ?? 'the fleet state';
    const where = recorded.endpointUrl ? `at ${recorded.endpointUrl}` : `in AWS region ${recorded.region}`;
    if (explicit && normalizeUrl(explicit.url) !== normalizeUrl(recorded.endpointUrl ?? '')) {
      return { error: `the fleet in ${from} was made ${where}, but ${explicit.source} says ${explicit.url}; drop the option (or point --state-dir at the fleet made there)` };
    }
    if (flags.region && flags.region !== recorded.region && !recorded.local) {
      return { error: `the fleet in ${from} was made in region ${recorded.region}, but --region says ${flags.region}; drop --region` };
    }
    if (recorded.endpointUrl) {
      const probe = probes[recorded.endpointUrl];
      if (!probe) return { need: 'probe', url: recorded.endpointUrl };
      if (recorded.local) {
        if (probe.kind === 'stand-in') return { target: localTarget(recorded.endpointUrl, probe.info) };
        return { error: `the fleet in ${from} was made on the local stand-in at ${recorded.endpointUrl}, which is not answering (${probe.kind === 'unreachable' ? probe.reason : 'not elf'}); start it with \`${START_STANDIN}\`` };
      }
      if (probe.kind === 'unreachable') return { error: `cannot reach ${recorded.endpointUrl}, where the fleet in ${from} was made (${probe.reason})` };
    }
    if (!chain) return { need: 'chain' };
    const base: ResolvedTarget = { region: recorded.region, local: false, ...(recorded.endpointUrl ? { endpointUrl: recorded.endpointUrl } : {}), ...(recorded.account ? { account: recorded.account } : {}), ...(flags.profile ? { profile: flags.profile } : {}) };
    if (chain.found) return { target: base };
    if (recorded.endpointUrl) return { target: { ...base, credentials: DUMMY_CREDENTIALS }, notice: { level: 'warn', message: `no AWS credentials found: using dummy credentials for ${recorded.endpointUrl}` } };
    return { error: `no AWS credentials found (${chain.error ?? 'none in the chain'}), and the fleet in ${from} lives in AWS region ${recorded.region}; set --profile, a .env with AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, or the AWS_* variables` };
  }

  if (explicit) {
    const probe = probes[explicit.url];
    if (!probe) return { need: 'probe', url: explicit.url };
    if (probe.kind === 'unreachable') return { error: `cannot reach ${explicit.url} (from ${explicit.source}): ${probe.reason}` };
    if (probe.kind === 'stand-in') {
      const notice = flags.region && flags.region !== probe.info.region ? { level: 'warn' as const, message: `the local stand-in at ${explicit.url} serves region ${probe.info.region}; --region ${flags.region} is ignored` } : undefined;
      return { target: localTarget(explicit.url, probe.info), ...(notice ? { notice } : {}) };
    }
    if (!chain) return { need: 'chain' };
    const region = flags.region ?? chain.region;
    if (!region) return { error: `no AWS region for ${explicit.url}: pass --region or set AWS_REGION` };
    const target: ResolvedTarget = { region, endpointUrl: explicit.url, local: false, ...(flags.profile ? { profile: flags.profile } : {}) };
    if (chain.found) return { target };
    return { target: { ...target, credentials: DUMMY_CREDENTIALS }, notice: { level: 'warn', message: `no AWS credentials found: using dummy credentials for ${explicit.url}` } };
  }

  if (!chain) return { need: 'chain' };
  if (chain.found) {
    const region = flags.region ?? chain.region;
    if (!region) return { error: 'no AWS region: pass --region, set AWS_REGION or AWS_DEFAULT_REGION (or in .env), or give the profile a region' };
    return { target: { region, local: false, ...(flags.profile ? { profile: flags.profile } : {}) } };
  }
  if (flags.profile) return { error: `no credentials for --profile ${flags.profile}: ${chain.error ?? 'not found'}` };
  // where the stand-in is looked for when nothing else is configured (ELF_LOCAL_URL moves it)
  const standInUrl = normalizeUrl(env.ELF_LOCAL_URL?.trim() || DEFAULT_STANDIN_URL);
  const probe = probes[standInUrl];
  if (!probe) return { need: 'probe', url: standInUrl };
  if (probe.kind === 'stand-in') {
    return {
      target: localTarget(standInUrl, probe.info),
      notice: { level: 'warn', message: `no AWS credentials found: using the local IoT Core stand-in at ${standInUrl} (region ${probe.info.region}), not AWS` },
    };
  }
  return { error: `no AWS credentials found and the local stand-in is not running at ${standInUrl}; start it with \`${START_STANDIN}\` (or configure AWS credentials: --profile, .env, AWS_ACCESS_KEY_ID)` };
}

export function toFleetTarget(t: ResolvedTarget): FleetTarget {
  return { region: t.region, local: t.local, ...(t.endpointUrl ? { endpointUrl: t.endpointUrl } : {}), ...(t.account ? { account: t.account } : {}) };
}

function isStandInInfo(v: unknown): v is StandInInfo {
  const o = v as StandInInfo;
  return Boolean(o) && o.standIn === 'elf' && typeof o.region === 'string' && typeof o.account === 'string';
}

/** GET <url>/elf/info: the stand-in answers with its identity; anything else that answers is "other". */
export async function probeEndpoint(url: string, timeoutMs = 3_000): Promise<Probe> {
  let res: Response;
  try {
    res = await fetch(`${normalizeUrl(url)}/elf/info`, { signal: AbortSignal.timeout(timeoutMs), headers: { accept: 'application/json' } });
  } catch (e) {
    const err = e as Error & { cause?: { code?: string; message?: string } };
    const reason = err.name === 'TimeoutError' ? `no answer within ${timeoutMs} ms` : (err.cause?.code ?? err.cause?.message ?? err.message);
    return { kind: 'unreachable', reason };
  }
  try {
    if (res.ok) {
      const body: unknown = await res.json();
      if (isStandInInfo(body)) return { kind: 'stand-in', info: body };
    } else {
      await res.body?.cancel();
    }
  } catch {
    // not JSON: not the stand-in
  }
  return { kind: 'other' };
}

/** Runs the standard AWS credential chain (env, .env already merged, profile, SSO, IMDS…) and the SDK's region lookup. */
export async function checkCredentialChain(profile: string | undefined): Promise<{ found: boolean; error?: string; region?: string }> {
  // loaded on use: the AWS SDK takes a fifth of a second to load, and most runs never need it
  const { IoTClient } = await import('@aws-sdk/client-iot');
  const client = new IoTClient(profile ? { profile } : {});
  try {
    // AWS_DEFAULT_REGION after AWS_REGION and before the profile's region, as the AWS CLI reads them
    // (https://docs.aws.amazon.com/cli/latest/userguide/cli-configure-envvars.html); the SDK alone ignores it
    let region: string | undefined = process.env.AWS_REGION?.trim() ? undefined : process.env.AWS_DEFAULT_REGION?.trim() || undefined;
    try {
      region ??= await client.config.region();
    } catch {
      region = undefined;
    }
    try {
      await client.config.credentials();
      return { found: true, ...(region ? { region } : {}) };
    } catch (e) {
      return { found: false, error: (e as Error).message.split('\n')[0], ...(region ? { region } : {}) };
    }
  } finally {
    client.destroy();
  }
}

export interface ResolveDeps {
  probe?: (url: string) => Promise<Probe>;
  chain?: (profile: string | undefined) => Promise<{ found: boolean; error?: string; region?: string }>;
  notify?: (level: 'info' | 'warn', message: string) => void;
}

/** Feeds `decideTarget` the facts it asks for; throws a one-line ElfError when there is no usable target. */
export async function resolveTarget(input: Omit<DecideInput, 'probes' | 'chain'>, deps: ResolveDeps = {}): Promise<ResolvedTarget> {
  const probe = deps.probe ?? probeEndpoint;
  const chainFn = deps.chain ?? checkCredentialChain;
  const probes: Record<string, Probe> = {};
  let chain: DecideInput['chain'];
  for (let step = 0; step < 8; step++) {
    const d = decideTarget({ ...input, probes, ...(chain ? { chain } : {}) });
    if ('error' in d) throw new ElfError(d.error, 'ELF_TARGET');
    if ('target' in d) {
      if (d.notice) deps.notify?.(d.notice.level, d.notice.message);
      return d.target;
    }
    if (d.need === 'probe') probes[d.url] = await probe(d.url);
    else chain = await chainFn(input.flags.profile);
  }
  throw new Error('target resolution did not settle');
}
