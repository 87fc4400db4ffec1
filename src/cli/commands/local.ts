import { Command, InvalidArgumentError, Option } from 'commander';
import { unlink, writeFile } from 'node:fs/promises';
import { isIP } from 'node:net';
import path from 'node:path';
import { MQTT_TLS_PORT } from '../../aws/limits.js';
import { makeDirectory } from '../../dirs.js';
import { createLogger } from '../../log.js';
import { argsWithout, reportReady, startInBackground } from '../background.js';
import { decimal, integer, nonEmpty } from '../parse.js';
import { addMetricsOptions, serveMetrics, type MetricsOptionValues } from '../metrics-options.js';

interface LocalFlags extends MetricsOptionValues {
  host: string;
  advertiseHost?: string;
  port: number;
  mqttPort: number;
  stateDir: string;
  region: string;
  account: string;
  throttle: boolean;
  faultRate: number;
  faultSeed?: number;
  keyPool?: number;
  consolePort?: number;
  consoleHost: string;
  background: boolean;
  pidFile?: string;
  logFile?: string;
}

function accountId(v: string): string {
  if (!/^\d{12}$/.test(v)) throw new InvalidArgumentError('expected a 12-digit AWS account id');
  return v;
}

/**
 * A DNS name (RFC 1123 labels; `_` too, as compose service names may have it) or an IP address:
 * it goes into DescribeEndpoint and the broker's certificate.
 */
function hostName(v: string): string {
  if (isIP(v) !== 0) return v;
  const label = /^[A-Za-z0-9_]([A-Za-z0-9_-]{0,61}[A-Za-z0-9_])?$/;
  if (v.length > 253 || !v.split('.').every((l) => label.test(l))) throw new InvalidArgumentError('expected a host name or an IP address, e.g. local or 10.0.0.5 (no scheme, no port)');
  return v;
}

export function localCommand(): Command {
  const cmd = new Command('local')
    .description('run the local IoT Core stand-in (control-plane API, mTLS MQTT broker, local CA) in the foreground; Ctrl-C stops it')
    .option('--host <host>', 'address to listen on (0.0.0.0 = every interface, e.g. in a container)', nonEmpty('--host'), '127.0.0.1')
    .option(
      '--advertise-host <name>',
      "host name clients are told to dial (DescribeEndpoint, /elf/info) and the broker's certificate names, e.g. the compose service name (default: --host, or 127.0.0.1 when it is a wildcard)",
      hostName,
    )
    .option('--port <port>', 'control-plane HTTP port (0 = any free port)', integer(0, 65535), 4580)
    .option('--mqtt-port <port>', 'MQTT (mTLS) port (0 = any free port)', integer(0, 65535), MQTT_TLS_PORT)
    .option('--state-dir <dir>', 'where the CA and the registry are kept', nonEmpty('--state-dir'), '.elf/local')
    .option('--region <region>', 'region for ARNs when a request carries no SigV4 scope', nonEmpty('--region'), 'us-east-1')
    .addOption(new Option('--account <id>', 'AWS account id for ARNs').default('123456789012').argParser(accountId))
    .option('--throttle', "emulate AWS IoT's per-API request rate quotas (ThrottlingException)", false)
    .option('--fault-rate <rate>', 'share of API calls (0..1) answered with ThrottlingException / 500 / 503', decimal(0, 1), 0)
    .option('--fault-seed <n>', 'seed for --fault-rate, for a repeatable sequence of faults', integer(0, 2 ** 32 - 1))
    .option(
      '--key-pool <n>',
      'RSA-2048 key pairs for CreateKeysAndCertificate to generate at start-up (each costs 0.1-0.2 s of CPU); without it a pool of 32 fills from the first call',
      integer(0, 100_000),
    )
    .option('--console-port <port>', 'also serve the web console on this port (0 = any free port); it is always at /console on the control-plane port', integer(0, 65535))
    .option('--console-host <host>', 'address the console listens on with --console-port; a non-loopback address also lets other machines use /console on the control-plane port', nonEmpty('--console-host'), '127.0.0.1')
    .option('--background', 'start in its own session (closing the terminal does not stop it), wait until it is ready, and return; stop it with kill <pid>', false)
    .option('--pid-file <file>', 'write the process id here once ready (removed when it stops)', nonEmpty('--pid-file'))
    .option('--log-file <file>', 'with --background: where its output goes (default: <state-dir>/local.log)', nonEmpty('--log-file'));
  addMetricsOptions(cmd, "the broker's traffic (connections, messages in/out by topic root, policy denials, rule executions)");
  return cmd.action(async (flags: LocalFlags) => {
      if (flags.background) return startBackground(flags);
      const log = createLogger();
      // loaded on use, so that other commands do not pay for the stand-in's modules
      const { startStandIn } = await import('../../local/server.js');
      const standIn = await startStandIn({ ...flags, keyPoolSize: flags.keyPool, console: { port: flags.consolePort, host: flags.consoleHost }, logger: log });
      const { localFigures, localMetricsRegistry } = await import('../../report/local-metrics.js');
      const metrics = await serveMetrics(flags, () => localMetricsRegistry(() => localFigures(standIn)), log).catch(async (e: unknown) => {
        await standIn.close();
        throw e;
      });
      const rel = path.relative(process.cwd(), standIn.stateDir) || '.';
      const shown = rel.startsWith('..') ? standIn.stateDir : rel;
      const mqttHost = standIn.advertisedHost.includes(':') ? `[${standIn.advertisedHost}]` : standIn.advertisedHost;
      const lines = [
        `elf local: control plane ${standIn.controlPlaneUrl}`,
        `elf local: MQTT broker mqtts://${mqttHost}:${standIn.mqttPort} (MQTT 3.1.1 and 5, client certificates from the local CA)`,
        `elf local: state ${shown} (CA ${path.join(shown, 'ca.pem')})`,
        `elf local: console ${standIn.consoleUrl}`,
        ...(metrics ? [`elf local: metrics ${metrics.url}`] : []),
      ];
      process.stdout.write(lines.map((l) => `${l}\n`).join(''));
      if (flags.pidFile) await writeFile(flags.pidFile, `${process.pid}\n`);
      log.info(
        { controlPlane: standIn.controlPlaneUrl, advertisedHost: standIn.advertisedHost, mqttPort: standIn.mqttPort, stateDir: standIn.stateDir, region: flags.region, throttle: flags.throttle, faultRate: flags.faultRate, ...standIn.registry.counts() },
        'elf local is ready',
      );
      reportReady(lines);
      await new Promise<void>((resolve) => {
        const stop = (signal: NodeJS.Signals) => {
          process.off('SIGINT', stop);
          process.off('SIGTERM', stop);
          log.info({ signal }, 'stopping');
          resolve();
        };
        process.on('SIGINT', stop);
        process.on('SIGTERM', stop);
      });
      try {
        await metrics?.close();
        await standIn.close();
      } finally {
        if (flags.pidFile) await unlink(flags.pidFile).catch(() => undefined);
      }
      log.info('stopped');
    });
}

/** `elf local --background`: the same command, detached, logging to a file; prints where it is and returns. */
async function startBackground(flags: LocalFlags): Promise<void> {
  const logFile = flags.logFile ?? path.join(flags.stateDir, 'local.log');
  await makeDirectory(path.dirname(logFile), 0o700);
  // a stand-in makes its CA on first start, seconds on a loaded machine
  const { pid, ready } = await startInBackground({ args: argsWithout('--background'), logFile, readyTimeoutMs: 120_000 });
  process.stdout.write(ready.lines.map((l) => `${l}\n`).join(''));
  process.stdout.write(`elf local: running in the background, pid ${pid}, log ${logFile}; stop it with kill ${pid}\n`);
}
