// A real mosquitto on a free loopback port with mTLS: server and client certificates from a
// throwaway CA made with elf's own dist/local/ca.js. Files live in a temp dir readable by user
// `mosquitto` (docs/aws-iot-facts.md#mosquitto: mosquitto started as root drops to that user) and the config says
// `user root` when we are root anyway. max_queued_messages is high so that a slow QoS 1
// subscriber does not have messages dropped by the broker (docs/aws-iot-facts.md#mosquitto).
import { spawn } from 'node:child_process';
import { chmod, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, waitForPort } from './net.mjs';
import { readCpuSeconds, readMemory, track } from './proc.mjs';

export async function startMosquitto(ca) {
  const { issueServerCertificate, issueDeviceCertificate } = await import('../../dist/local/ca.js');
  const dir = await mkdtemp(join(tmpdir(), 'elf-bench-mosquitto-'));
  await chmod(dir, 0o755);
  const server = await issueServerCertificate(ca.authority, ['localhost', '127.0.0.1']);
  const caFile = join(dir, 'ca.pem');
  const certFile = join(dir, 'server.pem');
  const keyFile = join(dir, 'server.key');
  await writeFile(caFile, ca.authority.certPem, { mode: 0o644 });
  await writeFile(certFile, server.certPem, { mode: 0o644 });
  await writeFile(keyFile, server.privateKey, { mode: 0o644 }); // throwaway key; the broker user must read it
  const host = '127.0.0.1';
  const port = await freePort(host);
  const conf = [
    ...(process.getuid?.() === 0 ? ['user root'] : []),
    `listener ${port} ${host}`,
    `cafile ${caFile}`,
    `certfile ${certFile}`,
    `keyfile ${keyFile}`,
    'require_certificate true',
    'allow_anonymous true',
    'max_queued_messages 1000000',
    'max_inflight_messages 65535',
    'max_keepalive 1200',
    'persistence false',
    'log_dest stderr',
    'log_type error',
    '',
  ].join('\n');
  const confFile = join(dir, 'mosquitto.conf');
  await writeFile(confFile, conf, { mode: 0o644 });
  const child = track(spawn('mosquitto', ['-c', confFile], { stdio: ['ignore', 'pipe', 'pipe'] }));
  let log = '';
  child.stdout.on('data', (d) => (log = (log + d).slice(-20_000)));
  child.stderr.on('data', (d) => (log = (log + d).slice(-20_000)));
  const exited = new Promise((_, reject) => child.once('exit', (code) => reject(new Error(`mosquitto exited (${code}) at start: ${log.trim()}`))));
  exited.catch(() => {});
  await Promise.race([waitForPort(port, host, 10_000), exited]);

  const clientsDir = join(dir, 'clients');
  await mkdir(clientsDir, { mode: 0o755 });
  let issued = 0;
  return {
    host,
    port,
    dir,
    caFile,
    pid: child.pid,
    get log() {
      return log;
    },
    cpuSeconds: () => readCpuSeconds(child.pid),
    memory: () => readMemory(child.pid),
    /** a client certificate + key signed by the broker's CA, written to files (key 0600) */
    async issueClient(label = 'client') {
      const c = await issueDeviceCertificate(ca.authority);
      const base = join(clientsDir, `${label}-${issued++}`);
      await writeFile(`${base}.pem`, c.certPem, { mode: 0o644 });
      await writeFile(`${base}.key`, c.privateKey, { mode: 0o600 });
      return { certPath: `${base}.pem`, keyPath: `${base}.key`, certPem: c.certPem, keyPem: c.privateKey, publicKeyPem: c.publicKey };
    },
    async stop() {
      if (child.exitCode === null && child.signalCode === null) {
        const gone = new Promise((r) => child.once('exit', r));
        child.kill('SIGTERM');
        const t = setTimeout(() => child.kill('SIGKILL'), 5000);
        await gone;
        clearTimeout(t);
      }
      await rm(dir, { recursive: true, force: true });
    },
  };
}
