import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ElfError } from '../errors.js';
import type { Registry } from 'prom-client';

/**
 * The `--metrics-port` endpoint: GET /metrics in Prometheus's text format, from a prom-client
 * registry whose metrics read their values when scraped. Loopback unless told otherwise.
 */
export interface MetricsServer {
  /** the port bound (the one asked for, or a free one for 0) */
  port: number;
  url: string;
  close(): Promise<void>;
}

/** A registry, and what the server calls before each scrape (e.g. one read of the run per scrape). */
export interface ScrapedRegistry {
  registry: Registry;
  beforeScrape(): void;
}

export const DEFAULT_METRICS_HOST = '127.0.0.1';

export async function startMetricsServer({ registry, beforeScrape }: ScrapedRegistry, opts: { port: number; host?: string }): Promise<MetricsServer> {
  const host = opts.host ?? DEFAULT_METRICS_HOST;
  const server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    if (req.method !== 'GET' || path !== '/metrics') {
      res.writeHead(path === '/metrics' ? 405 : 404, { 'content-type': 'text/plain' }).end(path === '/metrics' ? 'GET only\n' : 'metrics are at /metrics\n');
      return;
    }
    beforeScrape();
    registry.metrics().then(
      (text) => res.writeHead(200, { 'content-type': registry.contentType }).end(text),
      (e: unknown) => res.writeHead(500, { 'content-type': 'text/plain' }).end(`${(e as Error).message}\n`),
    );
  });
  const port = await listen(server, opts.port, host);
  const hostInUrl = host.includes(':') ? `[${host}]` : host;
  return {
    port,
    url: `http://${hostInUrl}:${port}/metrics`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

function listen(server: Server, port: number, host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', (e: NodeJS.ErrnoException) =>
      reject(e.code === 'EADDRINUSE' ? new ElfError(`--metrics-port ${port}: port ${port} on ${host} is already in use`, 'ELF_METRICS_PORT') : new ElfError(`--metrics-port ${port}: cannot listen on ${host} (${e.code ?? e.message})`, 'ELF_METRICS_PORT')),
    );
    server.listen(port, host, () => resolve((server.address() as AddressInfo).port));
  });
}
