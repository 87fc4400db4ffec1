import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CreateKeysAndCertificateCommand } from '@aws-sdk/client-iot';
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
    let p = await pool();
    for (let i = 0; i < 100 && (p?.ready ?? 0) < 3; i++) {
      await new Promise((r) => setTimeout(r, 200));
      p = await pool();
    }
    expect(p).toEqual({ ready: 3, size: 3 });
    const iot = local.client();
    const made = await iot.send(new CreateKeysAndCertificateCommand({ setAsActive: true }));
    expect(made.keyPair?.PrivateKey).toMatch(/BEGIN (RSA )?PRIVATE KEY/);
    iot.destroy();
    // one taken; the pool refills towards its size
    expect((await pool())?.size).toBe(3);
  }, 60_000);
});
