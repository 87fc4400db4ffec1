import { type Command, Option } from 'commander';
import type { Logger } from '../log.js';
import type { MetricsServer, ScrapedRegistry } from '../report/metrics-server.js';
import { integer, nonEmpty } from './parse.js';

/** `--metrics-port` and `--metrics-host`: `elf send` and `elf local` read them alike. */
export interface MetricsOptionValues {
  metricsPort?: number;
  metricsHost?: string;
}

export function addMetricsOptions(cmd: Command, what: string): Command {
  return cmd
    .addOption(new Option('--metrics-port <port>', `serve ${what} as Prometheus metrics at http://<metrics-host>:<port>/metrics while it runs (0 = any free port, logged)`).argParser(integer(0, 65535)))
    .addOption(new Option('--metrics-host <host>', 'address the metrics endpoint listens on (0.0.0.0 = every interface, e.g. in a pod)').default('127.0.0.1').argParser(nonEmpty('--metrics-host')));
}

/** Starts the endpoint when --metrics-port is given (and logs where it is); undefined otherwise. */
export async function serveMetrics(o: MetricsOptionValues, scraped: () => ScrapedRegistry, log: Logger): Promise<MetricsServer | undefined> {
  if (o.metricsPort === undefined) return undefined;
  const { startMetricsServer } = await import('../report/metrics-server.js');
  const server = await startMetricsServer(scraped(), { port: o.metricsPort, ...(o.metricsHost ? { host: o.metricsHost } : {}) });
  log.info({ metrics: server.url }, `Prometheus metrics at ${server.url}`);
  return server;
}
