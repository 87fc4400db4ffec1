import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CreateKeysAndCertificateCommand } from '@aws-sdk/client-iot';
import { eventually } from '../helpers/poll.js';
import { startStandInProcess, type StandInProcess } from '../helpers/standin.js';

type Info = { keyPool?: { ready: number; size: number } };

let local: StandInProcess;
beforeAll(async () => {
  local = await startStandInProcess({ args: ['--key-pool', '3'] });
}, 60_000);
afterAll(async () => {
  await local?.stop();
});

async function pool(): Promise<{ ready: number; size: number } | undefined> {
  const info = (await (await fetch(`${local.endpointUrl}/elf/info`)).json()) as Info;
  return info.keyPool;
}

describe('elf local --key-pool', () => {
  it('generates the key pairs from the start, reports them in /elf/info, and hands them out', async () => {
    // filled before any call (without the flag the pool starts filling at the first call)
    const p = await eventually(async () => {
      const q = await pool();
      return (q?.ready ?? 0) >= 3 ? q : undefined;
    }, 'the key pool filled to 3', { timeoutMs: 20_000, everyMs: 100 });
    expect(p).toEqual({ ready: 3, size: 3 });
    const iot = local.client();
    const made = await iot.send(new CreateKeysAndCertificateCommand({ setAsActive: true }));
    expect(made.keyPair?.PrivateKey).toMatch(/BEGIN (RSA )?PRIVATE KEY/);
    iot.destroy();
    // one taken; the pool refills towards its size
    expect((await pool())?.size).toBe(3);
  }, 60_000);
});
