// `elf local` (the stand-in) as a child process on free ports, state in a temp dir.
import { join } from 'node:path';
import { mkdir } from 'node:fs/promises';
import { ELF, ROOT } from './elf.mjs';
import { watched } from './proc.mjs';

/** Starts `elf local` with ports 0; resolves once it printed its control-plane URL. */
export async function startLocal(ctx, { throttle = false, name = 'local', keyPool } = {}) {
  const stateDir = join(ctx.tmp, name);
  await mkdir(stateDir, { recursive: true });
  let out = '';
  let resolveUrl;
  const urlReady = new Promise((r) => (resolveUrl = r));
  const w = watched(process.execPath, [ELF, 'local', '--port', '0', '--mqtt-port', '0', '--state-dir', stateDir, ...(throttle ? ['--throttle'] : []), ...(keyPool ? ['--key-pool', String(keyPool)] : [])], {
    cwd: ROOT,
    timeoutMs: 3_600_000,
    env: { ...process.env, ELF_LOG_LEVEL: process.env.ELF_LOG_LEVEL ?? 'warn' },
    onStdout: (d) => {
      out += d.toString();
      const m = /control plane (https?:\/\/\S+)/.exec(out);
      if (m) resolveUrl(m[1]);
    },
  });
  const exited = w.done.then((r) => {
    throw new Error(`elf local exited (${r.code ?? r.signal}): ${r.stderr.trim().split('\n').slice(-3).join(' | ')}`);
  });
  exited.catch(() => {});
  let timer;
  const timeout = new Promise((_, reject) => (timer = setTimeout(() => reject(new Error(`elf local printed no control-plane URL within 30 s: ${out}`)), 30_000)));
  try {
    const url = await Promise.race([urlReady, exited, timeout]);
    const mqtt = /MQTT\S*\s+(?:on\s+)?(?:mqtts?:\/\/)?([\w.]+):(\d+)/i.exec(out);
    if (keyPool) await waitForKeyPool(url, keyPool, ctx);
    return {
      url,
      stateDir,
      pid: w.child.pid,
      get stdout() {
        return out;
      },
      mqtt: mqtt ? { host: mqtt[1], port: Number(mqtt[2]) } : undefined,
      async stop() {
        w.child.kill('SIGTERM');
        const t = setTimeout(() => w.child.kill('SIGKILL'), 10_000);
        const r = await w.done;
        clearTimeout(t);
        return r;
      },
    };
  } finally {
    clearTimeout(timer);
  }
}

/** Environment for elf's control-plane commands against the stand-in (no real credentials). */
export function localEnv(url) {
  return {
    ...process.env,
    AWS_ACCESS_KEY_ID: 'AKIDELFBENCH',
    AWS_SECRET_ACCESS_KEY: 'elf-bench-not-a-secret',
    AWS_REGION: 'us-east-1',
    AWS_ENDPOINT_URL_IOT: url,
    ELF_LOG_LEVEL: process.env.ELF_LOG_LEVEL ?? 'warn',
  };
}

/** Waits until the stand-in has `n` RSA key pairs ready (`GET /elf/info`), saying how it goes. */
async function waitForKeyPool(url, n, ctx) {
  const t0 = Date.now();
  let last = 0;
  for (;;) {
    const info = await (await globalThis.fetch(`${url}/elf/info`)).json();
    const ready = info.keyPool?.ready ?? 0;
    if (ready >= n) return;
    if (Date.now() - last > 15_000) {
      ctx.say?.(`  stand-in key pool: ${ready}/${n} RSA key pairs ready after ${((Date.now() - t0) / 1000).toFixed(0)} s`);
      last = Date.now();
    }
    if (Date.now() - t0 > 1_800_000) throw new Error(`the stand-in's key pool did not fill (${ready}/${n})`);
    await new Promise((r) => setTimeout(r, 1000));
  }
}
