import { pino, type Logger, type LevelWithSilent } from 'pino';
import pretty from 'pino-pretty';
import { humanLine } from './log-line.js';

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
  /** Pretty, human-readable lines; default: when stderr is a terminal, or FORCE_COLOR asks for colour. */
  pretty?: boolean;
}

/**
 * Whether diagnostics may be coloured, by the conventions Node itself follows (tty.getColorDepth):
 * FORCE_COLOR wins (`0`/`false` off, anything else on, even when piped); then NO_COLOR
 * (https://no-color.org: any non-empty value turns colour off) and NODE_DISABLE_COLORS; then
 * TERM=dumb; otherwise colour only on a terminal.
 */
export function colourWanted(env: NodeJS.ProcessEnv, isTTY: boolean): boolean {
  const force = env.FORCE_COLOR;
  if (force !== undefined) return force !== '0' && force.toLowerCase() !== 'false';
  if (env.NO_COLOR || env.NODE_DISABLE_COLORS !== undefined || env.TERM === 'dumb') return false;
  return isTTY;
}

/**
 * The one logger factory: diagnostics go to stderr (stdout is for results), pretty on a terminal
 * (coloured unless NO_COLOR; a record's fields in words on its line), JSON lines when piped (pretty and coloured when FORCE_COLOR asks).
 * Key material is redacted by path.
 */
export function createLogger(opts: LogOptions = {}): Logger {
  const level = opts.level ?? (process.env.ELF_LOG_LEVEL as LevelWithSilent | undefined) ?? 'info';
  const tty = Boolean(process.stderr.isTTY);
  const colour = colourWanted(process.env, tty);
  const forced = colour && !tty;
  const usePretty = opts.pretty ?? (tty || forced);
  const options = { level, redact: { paths: REDACT_PATHS, censor: '[redacted]' }, base: undefined };
  if (usePretty) {
    // the fields in words on the message's line, not as a block of programmers' names (log-line.ts)
    const messageFormat = (rec: Record<string, unknown>, key: string) => humanLine(rec, key);
    return pino(options, pretty({ destination: 2, sync: true, colorize: colour, ignore: 'pid,hostname', translateTime: 'HH:MM:ss.l', hideObject: true, messageFormat }));
  }
  return pino(options, pino.destination({ dest: 2, sync: true }));
}
