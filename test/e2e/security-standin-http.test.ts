import http from 'node:http';
import net from 'node:net';
import { readdir } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import {
  AttachPolicyCommand,
  AttachThingPrincipalCommand,
  CreateKeysAndCertificateCommand,
  CreatePolicyCommand,
  CreateThingCommand,
  ListThingsCommand,
  type IoTClient,
} from '@aws-sdk/client-iot';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startStandInProcess, type StandInProcess } from '../helpers/standin.js';
import { controlPlaneSnapshot, listeningAddresses, rawHttp, readRegistry, type ControlPlaneSnapshot } from '../helpers/reliability.js';

/**
 * Issue 8, item 5 (first half) and item 6 (loopback): hostile HTTP peers against the stand-in's
 * control plane. Whatever a peer sends, the stand-in stays up, answers (AWS's error shape once a
 * request parses; a bare 400 + close when it does not), and its state is exactly what it was.
 */

const POLICY = JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 'iot:Connect', Resource: '*' }] });

let s: StandInProcess;
let iot: IoTClient;
let baseline: ControlPlaneSnapshot;
let stateFiles: string[];

async function expectIntact(): Promise<void> {
  expect(s.cli.child.exitCode, `stand-in exited\n${s.cli.stderr}`).toBeNull();
  expect(await controlPlaneSnapshot(iot)).toEqual(baseline);
  const file = await readRegistry(s.stateDir);
  expect(file.format).toBe('elf-registry/1');
  expect(file.things.map((t) => t.thingName).sort()).toEqual(baseline.things.map((t) => t.split('@')[0]).sort());
  expect((await readdir(s.stateDir)).sort()).toEqual(stateFiles);
  // a bug behind an answer is logged as "request failed" (InternalFailureException with a cause)
  expect(s.cli.stderr).not.toMatch(/request failed|internal error|Uncaught|\n {4}at /);
}

beforeAll(async () => {
  s = await startStandInProcess();
  iot = s.client();
  // a small fleet with every kind of resource and attachment, to compare against afterwards
  for (let i = 0; i < 3; i++) {
    const name = `keep_${i}`;
    await iot.send(new CreateThingCommand({ thingName: name, attributePayload: { attributes: { n: String(i) } } }));
    const cert = await iot.send(new CreateKeysAndCertificateCommand({ setAsActive: true }));
    await iot.send(new CreatePolicyCommand({ policyName: `policy-${name}`, policyDocument: POLICY }));
    await iot.send(new AttachPolicyCommand({ policyName: `policy-${name}`, target: cert.certificateArn }));
    await iot.send(new AttachThingPrincipalCommand({ thingName: name, principal: cert.certificateArn }));
  }
  baseline = await controlPlaneSnapshot(iot);
  stateFiles = (await readdir(s.stateDir)).sort();
  expect(baseline.things).toHaveLength(3);
  expect(stateFiles).toEqual(expect.arrayContaining(['ca.key', 'ca.pem', 'registry.json']));
});

afterAll(() => s?.stop());

describe('malformed HTTP on a raw socket', () => {
  // Node's parser rejects these before a request exists: the stand-in answers a bare 400 and closes
  // (AWS's front ends do the same; there is no operation to name in an AWS error).
  it.each([
    ['a garbage request line', 'GARBAGE\r\n\r\n'],
    ['binary noise', Buffer.from(Array.from({ length: 4096 }, (_, i) => (i * 7919 + 13) & 255))],
    ['a TLS ClientHello on the plain-HTTP port', Buffer.from('16030102000100', 'hex')],
    ['an HTTP/2 preface', 'PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n'],
    ['an unknown HTTP version', 'GET /things HTTP/9.9\r\nHost: a\r\n\r\n'],
    ['a header line without a colon', 'GET /things HTTP/1.1\r\nHost: a\r\nNoColonHere\r\n\r\n'],
    ['a NUL in a header value', 'GET /things HTTP/1.1\r\nHost: a\r\nX-A: b\x00c\r\n\r\n'],
    ['bare LF line endings', 'GET /things HTTP/1.1\nHost: a\n\n'],
    ['a non-numeric Content-Length', 'POST /things/cl_abc HTTP/1.1\r\nHost: a\r\nContent-Length: abc\r\n\r\n'],
    ['a negative Content-Length', 'POST /things/cl_neg HTTP/1.1\r\nHost: a\r\nContent-Length: -5\r\n\r\n'],
    ['two different Content-Lengths', 'POST /things/cl_dup HTTP/1.1\r\nHost: a\r\nContent-Length: 2\r\nContent-Length: 3\r\n\r\n{}'],
    ['Content-Length with Transfer-Encoding (smuggling)', 'POST /things/smuggle HTTP/1.1\r\nHost: a\r\nContent-Length: 2\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n'],
    ['a bad chunk size', 'POST /things/bad_chunk HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n'],
    ['a 70 KB header', `GET /things HTTP/1.1\r\nHost: a\r\nX-Big: ${'a'.repeat(70_000)}\r\n\r\n`],
    ['a 70 KB request target', `GET /things/${'a'.repeat(70_000)} HTTP/1.1\r\nHost: a\r\n\r\n`],
    ['a request target without a leading /', 'GET things HTTP/1.1\r\nHost: a\r\n\r\n'],
  ])('%s → 400 and close', async (_what, payload) => {
    const r = await rawHttp(s.port, payload, { timeoutMs: 5000 });
    expect(r.closed).toBe(true);
    expect(r.status).toBe(400);
  });

  it('a request without Host (HTTP/1.1 requires it) → 400', async () => {
    const r = await rawHttp(s.port, 'GET /things HTTP/1.1\r\nConnection: close\r\n\r\n');
    expect(r.status).toBe(400);
  });

  it('an absolute-form target or CONNECT does not make it a proxy', async () => {
    const abs = await rawHttp(s.port, 'GET http://example.com/things HTTP/1.1\r\nHost: example.com\r\nConnection: close\r\n\r\n');
    expect(abs.status).toBe(404);
    expect(abs.errorType).toBe('UnknownOperationException:');
    const conn = await rawHttp(s.port, 'CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\r\n');
    expect(conn.closed).toBe(true);
    expect(conn.text).not.toMatch(/^HTTP\/1\.1 200/);
  });

  it('state is intact after the malformed requests', expectIntact);
});

describe('truncated and slow requests', () => {
  it('a body cut short (Content-Length 100, 10 bytes, then close) creates nothing', async () => {
    const r = await rawHttp(s.port, ['POST /things/truncated_0 HTTP/1.1\r\nHost: a\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n', '{"attribut'], { end: true, timeoutMs: 3000 });
    // the request never completed: node's parser calls the early end a client error (bare 400)
    expect(r.status).toBe(400);
    expect(r.errorType).toBeUndefined();
    await expectIntact();
  });

  it('200 slowloris connections (headers and bodies trickled, never finished) do not stop others being served', async () => {
    const sockets: net.Socket[] = [];
    const timers: NodeJS.Timeout[] = [];
    try {
      await Promise.all(
        Array.from({ length: 200 }, (_, i) => {
          return new Promise<void>((resolve, reject) => {
            const sock = net.connect(s.port, '127.0.0.1', () => {
              // half of them trickle header lines, half announce a body and trickle it
              sock.write(i % 2 ? 'GET /things HTTP/1.1\r\nHost: a\r\n' : 'POST /things/slow_x HTTP/1.1\r\nHost: a\r\nContent-Length: 1000000\r\n\r\n{');
              timers.push(setInterval(() => sock.write(i % 2 ? `X-${i}: a\r\n` : ' '), 100));
              resolve();
            });
            sock.on('error', reject);
            sockets.push(sock);
          });
        }),
      );
      // meanwhile, ordinary callers are served promptly
      const latencies: number[] = [];
      for (let k = 0; k < 10; k++) {
        const t0 = performance.now();
        await iot.send(new ListThingsCommand({ maxResults: 10 }));
        latencies.push(performance.now() - t0);
        await new Promise((r) => setTimeout(r, 100));
      }
      expect(Math.max(...latencies)).toBeLessThan(2000);
      expect(sockets.every((x) => !x.destroyed)).toBe(true);
    } finally {
      for (const t of timers) clearInterval(t);
      for (const x of sockets) x.destroy();
    }
    await expectIntact();
  });
});

describe('oversize bodies', () => {
  it('a declared 100 MB body is refused with 413 before a byte of it is read, and the connection is closed', async () => {
    const r = await rawHttp(s.port, 'POST /policies/huge HTTP/1.1\r\nHost: a\r\nContent-Type: application/json\r\nContent-Length: 100000000\r\n\r\n', { timeoutMs: 5000 });
    expect(r.status).toBe(413);
    expect(r.errorType).toBe('RequestEntityTooLargeException:');
    expect(JSON.parse(r.body)).toMatchObject({ message: expect.stringMatching(/exceeds/) });
    expect(r.closed).toBe(true);
  });

  it('an endless chunked body is cut off (413 or close) after a bounded amount, and the server keeps serving', async () => {
    const status = await new Promise<number | string>((resolve) => {
      const req = http.request({ host: '127.0.0.1', port: s.port, method: 'POST', path: '/policies/endless', headers: { 'content-type': 'application/json' } });
      let sent = 0;
      const chunk = Buffer.alloc(256 * 1024, 0x61);
      const pump = () => {
        while (sent < 64 * 1024 * 1024) {
          sent += chunk.length;
          if (!req.write(chunk)) return void req.once('drain', pump);
        }
        req.end();
      };
      req.on('response', (res) => {
        res.resume();
        resolve(res.statusCode!);
        req.destroy();
      });
      req.on('error', (e: NodeJS.ErrnoException) => resolve(e.code ?? 'error'));
      pump();
    });
    expect([413, 'ECONNRESET', 'EPIPE']).toContain(status);
    await expectIntact();
  });

  it('a deeply nested JSON body within the size limit is refused in AWS shape', async () => {
    const depth = 100_000;
    const body = `{"attributePayload":{"attributes":{"k":${'['.repeat(depth)}${']'.repeat(depth)}}}}`;
    const r = await rawHttp(s.port, `POST /things/deep_0 HTTP/1.1\r\nHost: a\r\nContent-Type: application/json\r\nConnection: close\r\nContent-Length: ${body.length}\r\n\r\n${body}`);
    expect(r.status).toBe(400);
    expect(r.errorType).toMatch(/^(InvalidRequestException|SerializationException):$/);
    await expectIntact();
  });
});

describe('path traversal in names', () => {
  it.each([
    ['GET', '/things/../registry.json'],
    ['GET', '/things/..%2f..%2fregistry.json'],
    ['POST', '/things/%2e%2e%2f%2e%2e%2fetc%2fpasswd'],
    ['POST', '/things/%2E%2E'],
    ['DELETE', '/things/..'],
    ['POST', '/policies/..%5c..%5cwindows'],
    ['POST', '/policies/%2e%2e%2fca.key'],
    ['GET', '/certificates/..%2F..%2Fca.key'],
    ['DELETE', '/certificates/%2e%2e'],
    ['GET', '/elf/../elf/info'],
    ['GET', '/%2e%2e/%2e%2e/etc/passwd'],
    ['POST', '/things/a%00b'],
    ['POST', '/things/%c0%ae%c0%ae'],
    ['POST', '/things/%252e%252e%252f'],
    ['POST', '/attached-policies/..%2F..%2Fca.key'],
    ['PUT', '/things/keep_0%2F..%2Fkeep_1/principals'],
  ])('%s %s → 400/404 in AWS shape, nothing touched', async (method, target) => {
    const body = method === 'POST' && target.startsWith('/policies') ? JSON.stringify({ policyDocument: POLICY }) : '{}';
    const r = await rawHttp(s.port, `${method} ${target} HTTP/1.1\r\nHost: a\r\nContent-Type: application/json\r\nConnection: close\r\nContent-Length: ${body.length}\r\n\r\n${body}`);
    expect([400, 404]).toContain(r.status);
    expect(r.errorType).toMatch(/^(InvalidRequestException|UnknownOperationException|ResourceNotFoundException):$/);
    expect(JSON.parse(r.body)).toHaveProperty('message');
    expect(r.body).not.toMatch(/PRIVATE KEY|root:/);
  });

  it('state and the state dir are intact after the traversal attempts', async () => {
    await expectIntact();
    // nothing was written next to the state dir either
    expect((await readdir(path.dirname(s.stateDir))).sort()).toEqual(['state']);
  });
});

describe('1,000 concurrent requests', () => {
  it('are all answered; the 400 creates among them all land, the rest changed nothing', async () => {
    const agent = new http.Agent({ keepAlive: false, maxSockets: 1000 });
    type Req = { method: string; path: string; body?: string; expect: number };
    const reqs: Req[] = [];
    for (let i = 0; i < 1000; i++) {
      const kind = i % 10;
      if (kind < 4) reqs.push({ method: 'POST', path: `/things/conc_${i}`, body: '{}', expect: 200 });
      else if (kind < 7) reqs.push({ method: 'GET', path: '/things?maxResults=5', expect: 200 });
      else if (kind === 7) reqs.push({ method: 'GET', path: `/things/keep_${i % 3}`, expect: 200 });
      else if (kind === 8) reqs.push({ method: 'POST', path: `/things/conc_bad_${i}`, body: '{"attributePayload":', expect: 400 });
      else reqs.push({ method: 'DELETE', path: `/policies/policy-keep_${i % 3}`, expect: 409 }); // still attached: DeleteConflict
    }
    const t0 = performance.now();
    const statuses = await Promise.all(
      reqs.map(
        (q) =>
          new Promise<number | string>((resolve) => {
            const req = http.request({ host: '127.0.0.1', port: s.port, method: q.method, path: q.path, agent, headers: { 'content-type': 'application/json' }, timeout: 30_000 }, (res) => {
              res.resume();
              res.on('end', () => resolve(res.statusCode!));
            });
            req.on('timeout', () => req.destroy(new Error('timeout')));
            req.on('error', (e: NodeJS.ErrnoException) => resolve(e.code ?? e.message));
            req.end(q.body);
          }),
      ),
    );
    const seconds = (performance.now() - t0) / 1000;
    agent.destroy();
    const wrong = reqs.map((q, i) => ({ ...q, got: statuses[i] })).filter((x) => x.got !== x.expect);
    expect(wrong.slice(0, 5)).toEqual([]);
    expect(seconds).toBeLessThan(30);
    console.log(`1000 concurrent requests answered in ${seconds.toFixed(2)} s`);

    const created = reqs.filter((q) => q.path.startsWith('/things/conc_') && q.expect === 200).map((q) => `${q.path.slice('/things/'.length)}@1`);
    baseline = { ...baseline, things: [...baseline.things, ...created].sort() };
    await expectIntact();
    const file = await readRegistry(s.stateDir);
    expect(file.things.filter((t) => t.thingName.startsWith('conc_'))).toHaveLength(400);
    expect(file.policyTargets).toHaveLength(3);
    expect(file.thingPrincipals).toHaveLength(3);
  });
});

describe('listening address (item 6)', () => {
  const external = Object.values(os.networkInterfaces())
    .flat()
    .find((a) => a && a.family === 'IPv4' && !a.internal)?.address;

  it('listens on loopback only by default', async () => {
    expect(await listeningAddresses(s.port)).toEqual(['127.0.0.1']);
    // the broker listens on both loopbacks (127.0.0.1 and ::1), nothing else
    const mqtt = await listeningAddresses(s.mqttPort);
    expect(mqtt).toContain('127.0.0.1');
    expect(mqtt.every((a) => a === '127.0.0.1' || a === '::1'), mqtt.join(' ')).toBe(true);
    if (external) {
      const r = await rawHttp(s.port, 'GET /things HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n', { host: external, timeoutMs: 2000 });
      expect(r.status).toBeUndefined(); // connection refused on the external address
    }
  });

  it('--host 0.0.0.0 listens on every interface', async () => {
    const wide = await startStandInProcess({ args: ['--host', '0.0.0.0'] });
    try {
      expect(await listeningAddresses(wide.port)).toEqual(['0.0.0.0']);
      expect(await listeningAddresses(wide.mqttPort)).toContain('0.0.0.0');
      if (external) {
        const r = await rawHttp(wide.port, 'GET /things HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n', { host: external, timeoutMs: 2000 });
        expect(r.status).toBe(200);
      }
    } finally {
      await wide.stop();
    }
  });
});
