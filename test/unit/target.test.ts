import { describe, expect, it } from 'vitest';
import { decideTarget, DEFAULT_STANDIN_URL, DUMMY_CREDENTIALS, resolveTarget, type DecideInput, type Probe, type StandInInfo } from '../../src/target/target.js';

const info: StandInInfo = { standIn: 'elf', region: 'us-east-1', account: '000000000000', mqtt: { host: '127.0.0.1', port: 8883 }, caPem: 'PEM' };
const standIn: Probe = { kind: 'stand-in', info };
const down: Probe = { kind: 'unreachable', reason: 'ECONNREFUSED' };

/** Runs the decision loop with fixed answers; records which facts were asked for. */
async function resolveWith(input: Omit<DecideInput, 'probes' | 'chain'>, probes: Record<string, Probe>, chain: { found: boolean; region?: string; error?: string }) {
  const asked: string[] = [];
  const notices: string[] = [];
  try {
    const target = await resolveTarget(input, {
      probe: async (url) => {
        asked.push(`probe ${url}`);
        return probes[url] ?? down;
      },
      chain: async () => {
        asked.push('chain');
        return chain;
      },
      notify: (level, m) => notices.push(`${level}: ${m}`),
    });
    return { target, asked, notices };
  } catch (e) {
    return { error: (e as Error).message, asked, notices };
  }
}

describe('target decision', () => {
  it('uses AWS with the credential chain and the SDK region when credentials exist', async () => {
    const r = await resolveWith({ flags: {}, env: {} }, {}, { found: true, region: 'eu-west-1' });
    expect(r.target).toEqual({ region: 'eu-west-1', local: false });
    expect(r.asked).toEqual(['chain']);
  });

  it('prefers --region and passes --profile through', async () => {
    const r = await resolveWith({ flags: { region: 'ap-south-1', profile: 'dev' }, env: {} }, {}, { found: true, region: 'eu-west-1' });
    expect(r.target).toEqual({ region: 'ap-south-1', local: false, profile: 'dev' });
  });

  it('fails on credentials without any region', async () => {
    const r = await resolveWith({ flags: {}, env: {} }, {}, { found: true });
    expect(r.error).toMatch(/no AWS region: pass --region/);
  });

  it('falls back to the local stand-in when there are no credentials at all, and says so', async () => {
    const r = await resolveWith({ flags: {}, env: {} }, { [DEFAULT_STANDIN_URL]: standIn }, { found: false });
    expect(r.target).toMatchObject({ local: true, endpointUrl: DEFAULT_STANDIN_URL, region: 'us-east-1', account: '000000000000', credentials: DUMMY_CREDENTIALS });
    expect(r.notices.join()).toMatch(/warn: no AWS credentials found: using the local IoT Core stand-in/);
    expect(r.asked).toEqual(['chain', `probe ${DEFAULT_STANDIN_URL}`]);
  });

  it('tells the one command to start the stand-in when nothing is there', async () => {
    const r = await resolveWith({ flags: {}, env: {} }, {}, { found: false });
    expect(r.error).toMatch(/start it with `npx elf local`/);
    expect(r.error).not.toContain('\n');
  });

  it('does not fall back to the stand-in when a named profile has no credentials', async () => {
    const r = await resolveWith({ flags: { profile: 'typo' }, env: {} }, { [DEFAULT_STANDIN_URL]: standIn }, { found: false, error: 'Profile typo could not be found' });
    expect(r.error).toMatch(/no credentials for --profile typo/);
  });

  it('probes an explicit endpoint: the stand-in gets dummy credentials and its own region', async () => {
    for (const input of [{ flags: { endpointUrl: 'http://127.0.0.1:9/' }, env: {} }, { flags: {}, env: { AWS_ENDPOINT_URL_IOT: 'http://127.0.0.1:9' } }, { flags: {}, env: { AWS_ENDPOINT_URL: 'http://127.0.0.1:9' } }]) {
      const r = await resolveWith(input, { 'http://127.0.0.1:9': standIn }, { found: true, region: 'eu-west-1' });
      expect(r.target).toMatchObject({ local: true, endpointUrl: 'http://127.0.0.1:9', region: 'us-east-1', credentials: DUMMY_CREDENTIALS });
      expect(r.asked).toEqual(['probe http://127.0.0.1:9']);
    }
  });

  it('--endpoint-url wins over the environment', async () => {
    const r = await resolveWith({ flags: { endpointUrl: 'http://a:1' }, env: { AWS_ENDPOINT_URL_IOT: 'http://b:2' } }, { 'http://a:1': standIn }, { found: false });
    expect(r.target?.endpointUrl).toBe('http://a:1');
  });

  it('another endpoint uses the chain (or dummy credentials, with a warning)', async () => {
    const other = await resolveWith({ flags: { endpointUrl: 'http://moto:5000', region: 'us-west-2' }, env: {} }, { 'http://moto:5000': { kind: 'other' } }, { found: false });
    expect(other.target).toMatchObject({ local: false, endpointUrl: 'http://moto:5000', region: 'us-west-2', credentials: DUMMY_CREDENTIALS });
    expect(other.notices.join()).toMatch(/dummy credentials/);
  });

  it('an unreachable or malformed endpoint is a one-line error', async () => {
    expect((await resolveWith({ flags: { endpointUrl: 'http://127.0.0.1:9' }, env: {} }, {}, { found: true })).error).toMatch(/cannot reach http:\/\/127.0.0.1:9 \(from --endpoint-url\): ECONNREFUSED/);
    expect((await resolveWith({ flags: { endpointUrl: 'ftp://x' }, env: {} }, {}, { found: true })).error).toMatch(/--endpoint-url "ftp:\/\/x" must be an http/);
    expect((await resolveWith({ flags: { region: 'mars' }, env: {} }, {}, { found: true })).error).toMatch(/--region "mars" is not an AWS region/);
  });

  it('an existing fleet keeps its target; conflicting flags are refused', async () => {
    const recorded = { region: 'us-east-1', local: true, endpointUrl: 'http://127.0.0.1:4581', account: '000000000000' };
    const ok = await resolveWith({ flags: {}, env: {}, recorded }, { 'http://127.0.0.1:4581': standIn }, { found: true });
    expect(ok.target?.endpointUrl).toBe('http://127.0.0.1:4581');
    const gone = await resolveWith({ flags: {}, env: {}, recorded, recordedFrom: 'misc/things.json' }, {}, { found: true });
    expect(gone.error).toMatch(/made on the local stand-in at http:\/\/127.0.0.1:4581, which is not answering .*npx elf local/);
    const conflict = await resolveWith({ flags: { endpointUrl: 'http://elsewhere:1' }, env: {}, recorded }, {}, { found: true });
    expect(conflict.error).toMatch(/was made at http:\/\/127.0.0.1:4581, but --endpoint-url says/);
    const aws = { region: 'eu-west-1', local: false };
    expect((await resolveWith({ flags: { region: 'us-east-1' }, env: {}, recorded: aws }, {}, { found: true })).error).toMatch(/made in region eu-west-1, but --region says us-east-1/);
    expect((await resolveWith({ flags: {}, env: {}, recorded: aws }, {}, { found: false })).error).toMatch(/no AWS credentials found .* lives in AWS region eu-west-1/);
    expect((await resolveWith({ flags: {}, env: {}, recorded: aws }, {}, { found: true, region: 'us-east-1' })).target).toEqual({ region: 'eu-west-1', local: false });
  });

  it('asks for one fact at a time', () => {
    expect(decideTarget({ flags: {}, env: {} })).toEqual({ need: 'chain' });
    expect(decideTarget({ flags: {}, env: {}, chain: { found: false } })).toEqual({ need: 'probe', url: DEFAULT_STANDIN_URL });
    expect(decideTarget({ flags: { endpointUrl: 'http://x:1' }, env: {} })).toEqual({ need: 'probe', url: 'http://x:1' });
  });

  it('looks for the stand-in at ELF_LOCAL_URL when it is set', () => {
    const env = { ELF_LOCAL_URL: 'http://127.0.0.1:4999/' };
    expect(decideTarget({ flags: {}, env, chain: { found: false } })).toEqual({ need: 'probe', url: 'http://127.0.0.1:4999' });
    const d = decideTarget({ flags: {}, env, chain: { found: false }, probes: { 'http://127.0.0.1:4999': { kind: 'unreachable', reason: 'refused' } } });
    expect(d).toEqual({ error: expect.stringContaining('not running at http://127.0.0.1:4999') });
  });
});
