import { readFile } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { fileURLToPath } from 'node:url';
import type { Logger } from '../../log.js';
import type { ShadowService } from '../shadow.js';
import type { Registry } from '../registry/index.js';
import type { RuleService } from '../rules/index.js';
import type { Traffic } from '../traffic.js';
import { ensureConsoleIdentity } from './identity.js';
import { ConsoleRefusal, LiveClient } from './live-client.js';
import { SseStream } from './stream.js';
import { startViewFeed } from './feed.js';
import type { CertificateAuthority } from '../ca.js';

/**
 * The stand-in's web console at /console: a single-page app bundled at build time (app/, esbuild
 * into static/), and its data over Server-Sent Events:
 * - GET /console/events: `view` (registry, connections, shadows, rules with their counts and the
 *   last rows of each sink; pushed on a registry change, and when the counters changed, checked
 *   every VIEW_CHECK_MS) and `rate` (per-second traffic of the last minutes; all of it first, then
 *   the newest seconds); feed.ts;
 * - GET /console/messages?filter=<f>: the messages the console's MQTT client receives on a filter;
 * - POST /console/publish {topic, payload, qos}: published by that client.
 * Both go through the broker as the console identity (identity.ts), under its policy.
 */

const STATIC_DIR = fileURLToPath(new URL('./static/', import.meta.url));
const ASSETS: Record<string, string> = { 'app.js': 'text/javascript; charset=utf-8', 'app.css': 'text/css; charset=utf-8' };

const INDEX_HTML = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>elf local console</title><link rel="icon" href="data:,"><link rel="stylesheet" href="/console/app.css"></head>
<body><div id="app"></div><script type="module" src="/console/app.js"></script></body></html>
`;

export { VIEW_CHECK_MS } from './feed.js';

export interface ConsoleDeps {
  registry: Registry;
  traffic: Traffic;
  shadows: ShadowService;
  rules?: Pick<RuleService, 'rules' | 'stats' | 'ruleCounters' | 'recentRows'>;
  ca: CertificateAuthority;
  stateDir: string;
  /** the broker, as the console's MQTT client dials it; certificateName: the name its certificate is checked for (default host) */
  mqtt: { host: string; port: () => number; certificateName?: string };
  save: () => Promise<void>;
  log: Logger;
  /** answer peers that are not on loopback (default false: 403 for them) */
  allowRemote?: boolean;
  /** how often the view's counters (traffic, rules) are checked for a change; default VIEW_CHECK_MS */
  viewCheckMs?: number;
}

export interface Console {
  /** handles /console requests; false for any other path */
  handle(req: IncomingMessage, res: ServerResponse): boolean;
  close(): Promise<void>;
}

const LOOPBACK = /^(127\.\d+\.\d+\.\d+|::1|::ffff:127\.\d+\.\d+\.\d+)$/;

function json(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
}

function readBody(req: IncomingMessage, limit: number): Promise<string> {
  return new Promise((resolve, reject) => {
    let size = 0;
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > limit) {
        reject(new ConsoleRefusal(`the message is larger than ${limit} bytes`));
        req.destroy();
      } else chunks.push(c);
    });
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

/** The Test page's subscription: one SSE stream per filter, fed by the console's own MQTT client. */
function watchMessages(live: LiveClient, streams: Set<SseStream>, res: ServerResponse, filter: string): void {
  let stop: (() => void) | undefined;
  const s: SseStream = new SseStream(res, () => {
    stop?.();
    streams.delete(s);
  });
  streams.add(s);
  live.watch(filter, (m) => s.send('message', m)).then(
    (off) => {
      stop = off;
      s.send('subscribed', { filter });
    },
    (e: Error) => {
      s.send('failed', { filter, error: e.message });
      s.end();
    },
  );
}

/** The Test page's publish, through the broker as the console's identity. */
async function publishMessage(live: LiveClient, req: IncomingMessage, res: ServerResponse): Promise<void> {
  try {
    const body = JSON.parse(await readBody(req, 128 * 1024)) as { topic?: unknown; payload?: unknown; qos?: unknown };
    if (typeof body.topic !== 'string' || body.topic === '') throw new ConsoleRefusal('topic is required');
    const payload = typeof body.payload === 'string' ? body.payload : JSON.stringify(body.payload ?? '');
    await live.publish(body.topic, payload, body.qos === 1 ? 1 : 0);
    json(res, 200, { published: true, topic: body.topic });
  } catch (e) {
    json(res, e instanceof ConsoleRefusal || e instanceof SyntaxError ? 400 : 502, { error: (e as Error).message });
  }
}

function serveAsset(res: ServerResponse, name: string): void {
  readFile(`${STATIC_DIR}${name}`).then(
    (body) => res.writeHead(200, { 'content-type': ASSETS[name]!, 'cache-control': 'no-cache' }).end(body),
    () => res.writeHead(404, { 'content-type': 'text/plain' }).end(`console asset ${name} is missing: run npm run build\n`),
  );
}

export function startConsole(d: ConsoleDeps): Console {
  const streams = new Set<SseStream>();
  const live = new LiveClient({
    host: d.mqtt.host,
    ...(d.mqtt.certificateName ? { certificateName: d.mqtt.certificateName } : {}),
    get port() {
      return d.mqtt.port();
    },
    caPem: d.ca.certPem,
    identity: () => ensureConsoleIdentity({ stateDir: d.stateDir, ca: d.ca, registry: d.registry, save: d.save }),
    log: d.log,
  });
  const feed = startViewFeed(d, streams);

  return {
    handle(req, res) {
      const url = new URL(req.url ?? '/', 'http://console');
      const p = url.pathname;
      if (p !== '/console' && !p.startsWith('/console/')) return false;
      if (!d.allowRemote && !LOOPBACK.test(req.socket.remoteAddress ?? '')) {
        res.writeHead(403, { 'content-type': 'text/plain' }).end('the elf console answers loopback only (see elf local --console-host)\n');
        return true;
      }
      const rest = p.slice('/console/'.length);
      if (req.method === 'GET' && (p === '/console' || rest === '' || rest === 'index.html')) res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(INDEX_HTML);
      else if (req.method === 'GET' && ASSETS[rest]) serveAsset(res, rest);
      else if (req.method === 'GET' && rest === 'events') feed.open(res);
      else if (req.method === 'GET' && rest === 'messages') watchMessages(live, streams, res, url.searchParams.get('filter') ?? '#');
      else if (req.method === 'POST' && rest === 'publish') void publishMessage(live, req, res);
      else json(res, 404, { error: `no console route ${req.method} ${p}` });
      return true;
    },
    async close() {
      feed.stop();
      for (const s of streams) s.end();
      await live.close();
    },
  };
}
