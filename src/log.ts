import { pino, type Logger, type LevelWithSilent } from 'pino';
import pretty from 'pino-pretty';

export type { Logger };

/** Paths whose values are never written to a log, whatever the level. */
export const REDACT_PATHS = [
  'privateKey',
  'PrivateKey',
  'keyPair',
  '*.privateKey',
  '*.PrivateKey',
  '*.keyPair',
  'secretAccessKey',
  '*.secretAccessKey',
  'sessionToken',
  '*.sessionToken',
  'credentials',
  '*.credentials',
];

export interface LogOptions {
  level?: LevelWithSilent;
  /** Pretty, human-readable lines; default: when stderr is a terminal. */
  pretty?: boolean;
}

/**
 * The one logger factory: diagnostics go to stderr (stdout is for results), pretty on a terminal,
 * JSON lines when piped. Key material is redacted by path.
 */
export function createLogger(opts: LogOptions = {}): Logger {
  const level = opts.level ?? (process.env.ELF_LOG_LEVEL as LevelWithSilent | undefined) ?? 'info';
  const usePretty = opts.pretty ?? Boolean(process.stderr.isTTY);
  const options = { level, redact: { paths: REDACT_PATHS, censor: '[redacted]' }, base: undefined };
  if (usePretty) {
    return pino(options, pretty({ destination: 2, sync: true, colorize: true, ignore: 'pid,hostname', translateTime: 'HH:MM:ss.l' }));
  }
  return pino(options, pino.destination({ dest: 2, sync: true }));
}
