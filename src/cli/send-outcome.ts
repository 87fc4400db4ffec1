import { InvalidArgumentError } from 'commander';
import { ElfError } from '../errors.js';
import { EXIT } from '../exit-codes.js';
import type { SendSummary } from '../publish/summary.js';

/** `--max-failed <n|p%>`: how much loss still counts as success (default none). */
export type MaxFailed = { count: number } | { percent: number };

export const NO_LOSS: MaxFailed = { count: 0 };

/** commander's parser of `--max-failed`: a whole number, or a percentage such as `5%` or `0.5%`. */
export function parseMaxFailed(value: string): MaxFailed {
  const text = value.trim();
  const pct = /^(\d+(?:\.\d+)?)%$/.exec(text);
  if (pct) {
    const percent = Number(pct[1]);
    if (percent > 100) throw new InvalidArgumentError('expected a percentage from 0% to 100%');
    return { percent };
  }
  if (!/^\d+$/.test(text) || !Number.isSafeInteger(Number(text))) throw new InvalidArgumentError('expected a number of messages (e.g. 10) or a percentage (e.g. 5%)');
  return { count: Number(text) };
}

const within = (lost: number, of: number, max: MaxFailed) => ('count' in max ? lost <= max.count : lost * 100 <= max.percent * of);
const show = (max: MaxFailed) => ('count' in max ? String(max.count) : `${max.percent}%`);
const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;

/**
 * The error a finished run ends with, if any: decides the exit code. Nothing delivered is a
 * failure (1); messages that failed or stayed unacknowledged, and things that never connected,
 * are a partial run (3) unless `--max-failed` accepts them, each against its own whole (messages
 * sent, things of the run).
 */
export function outcome(s: SendSummary, maxFailed: MaxFailed = NO_LOSS): ElfError | undefined {
  const acked = s.qos === 1 ? 'acknowledged' : 'written';
  if (s.stopReason === 'aborted') return new ElfError(`interrupted: ${s.totals.acked} of ${s.totals.sent} messages ${acked}`, 'ELF_INTERRUPTED', EXIT.interrupted);
  if (s.failedParts?.length) {
    const f = s.failedParts[0]!;
    return new ElfError(`${s.failedParts.length} part${s.failedParts.length === 1 ? '' : 's'} of the fleet failed (${f.part}, ${f.things} things ${f.firstThing}..${f.lastThing}: ${f.signal ? `killed by ${f.signal}` : `exit code ${f.exitCode}`}); the summary covers the rest`, 'ELF_PARTIAL', EXIT.partial);
  }
  if (s.stopReason === 'gave-up') return new ElfError(`gave up: ${s.error ?? 'the broker cannot be reached'}`, 'ELF_GAVE_UP');
  if (s.stopReason === 'input-error') return new ElfError(s.error ?? 'the input could not be read', 'ELF_SOURCE_INVALID');
  if (s.totals.acked === 0) {
    // why the messages failed, when the broker said so (an MQTT 5 PUBACK 0x87: the policy denies the topic)
    const failed = s.perThing.find((t) => t.failed > 0 && t.lastError);
    const why =
      s.connected === 0
        ? `no thing could connect${s.perThing[0]?.lastError ? ` (${s.perThing[0].lastError})` : ''}`
        : s.totals.sent === 0
          ? 'no message was sent'
          : `none of ${s.totals.sent} messages was ${acked}${failed ? ` (first: ${failed.name}: ${failed.lastError})` : ''}`;
    return new ElfError(`nothing was delivered: ${why}`, 'ELF_NOTHING_DELIVERED');
  }
  const lost = s.totals.failed + s.totals.unacked;
  const absent = s.things - s.connected;
  const problems: string[] = [];
  if (!within(lost, s.totals.sent, maxFailed)) problems.push(`${lost} of ${plural(s.totals.sent, 'message')} not ${acked} (${s.totals.failed} failed, ${s.totals.unacked} un${acked})`);
  if (!within(absent, s.things, maxFailed)) {
    const first = s.perThing.find((t) => t.connectMs === null);
    problems.push(`${absent} of ${plural(s.things, 'thing')} never connected${first ? ` (first: ${first.name}${first.lastError ? `: ${first.lastError}` : ''})` : ''}`);
  }
  if (problems.length === 0) return undefined;
  const hint = 'count' in maxFailed && maxFailed.count === 0 ? '--max-failed <n|p%> accepts some loss' : `more than --max-failed ${show(maxFailed)} allows`;
  return new ElfError(`partial delivery: ${problems.join('; ')} (${hint})`, 'ELF_PARTIAL', EXIT.partial);
}
