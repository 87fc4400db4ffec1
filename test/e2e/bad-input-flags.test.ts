import type { Command, Option } from 'commander';
import { describe, expect, it } from 'vitest';
import { createCLI } from '../../src/cli/main.js';
import { reportError } from '../../src/cli/report-error.js';
import { errorLines } from '../helpers/reliability.js';

/**
 * Issue 8, item 4: every flag of every command with a missing, empty, negative, non-numeric and
 * absurd value → one error line naming the flag, a non-zero exit, no stack trace. The table is
 * built from the program itself (createCLI), so a flag added later is covered without editing this
 * file: every option that takes a value must refuse a missing and an empty value; every numeric
 * option (a number default, or listed below) must refuse the absurd numbers. Parsing runs in-process
 * (the house style: createCLI is exported for this); actions are replaced so nothing is started.
 * bad-input-local.test.ts shows that the real process prints and exits the same way.
 */

/** numeric flags without a number default */
const NUMERIC_WITHOUT_DEFAULT = new Set(['--fault-seed', '--count', '--duration', '--interval', '--qos', '--connect-rate', '--window', '--give-up', '--give-up-after', '--limit', '--rate', '--max-messages']);
/** flags whose value may legitimately be spaces */
const SPACES_ALLOWED = new Set(['send --topic']);
const ABSURD_NUMBERS = ['-1', 'abc', '1e999', 'NaN', 'Infinity', '-Infinity', '99999999999999999999999', '0x10', '1,5', ' '];

interface Parsed {
  /** the action would have run: the values were accepted */
  accepted: boolean;
  exitCode: number;
  stderr: string;
}

async function parse(argv: string[]): Promise<Parsed> {
  const program = createCLI();
  let stderr = '';
  const quiet = (c: Command) => {
    c.configureOutput({ writeErr: (s) => void (stderr += s), writeOut: () => undefined });
    for (const sub of c.commands) quiet(sub);
  };
  quiet(program);
  const ACCEPTED = Symbol('accepted');
  for (const sub of program.commands) {
    sub.action(() => {
      throw ACCEPTED;
    });
  }
  const write = process.stderr.write.bind(process.stderr);
  process.stderr.write = ((chunk: string | Uint8Array) => ((stderr += String(chunk)), true)) as typeof process.stderr.write;
  try {
    await program.parseAsync(['node', 'elf', ...argv]);
    return { accepted: true, exitCode: 0, stderr };
  } catch (e) {
    if (e === ACCEPTED) return { accepted: true, exitCode: 0, stderr };
    const exitCode = reportError(e);
    return { accepted: false, exitCode, stderr };
  } finally {
    process.stderr.write = write;
  }
}

function problem(r: Parsed, flag: string): string | undefined {
  if (r.accepted) return 'accepted';
  if (r.exitCode === 0) return 'exit 0';
  if (r.exitCode === 70) return `internal error: ${r.stderr}`;
  if (/\n\s+at /.test(r.stderr)) return 'stack trace';
  const lines = errorLines(r.stderr);
  if (lines.length !== 1) return `${lines.length} error lines: ${r.stderr}`;
  if (!lines[0]!.includes(flag)) return `the line does not name ${flag}: ${lines[0]}`;
  return undefined;
}

/** The value-taking options of each command, read from the program. */
function valueOptions(): { command: string; option: Option; numeric: boolean }[] {
  const out: { command: string; option: Option; numeric: boolean }[] = [];
  for (const cmd of createCLI().commands) {
    for (const option of cmd.options as Option[]) {
      if (!option.long || !(option.required || option.optional)) continue;
      const numeric = typeof option.defaultValue === 'number' || NUMERIC_WITHOUT_DEFAULT.has(option.long);
      out.push({ command: cmd.name(), option, numeric });
    }
  }
  return out;
}

/** Arguments a command needs besides the flag under test (so only that flag can be wrong). */
const REQUIRED: Record<string, string[]> = {};

describe('every flag of every command refuses missing, empty and absurd values', () => {
  const options = valueOptions();

  it('finds the flags to test, and the harness accepts good values (so a refusal means something)', async () => {
    expect(options.length).toBeGreaterThanOrEqual(8);
    expect((await parse(['local', '--port', '0', '--fault-rate', '0.2'])).accepted).toBe(true);
    console.log(`value flags: ${options.map((o) => `${o.command} ${o.option.long}${o.numeric ? ' (numeric)' : ''}`).join(', ')}`);
  });

  it('a missing value (flag last on the line)', async () => {
    const failures: string[] = [];
    for (const { command, option } of options) {
      if (option.optional) continue; // `[value]` options may be given bare
      const r = await parse([command, ...(REQUIRED[command] ?? []), option.long!]);
      const p = problem(r, option.long!);
      if (p) failures.push(`${command} ${option.long}: ${p}`);
    }
    expect(failures).toEqual([]);
  });

  it('an empty value, and one of only spaces', async () => {
    const failures: string[] = [];
    for (const { command, option } of options) {
      // a topic name of spaces is a valid MQTT and AWS IoT topic (MQTT 3.1.1 §4.7.3): only '' must be refused
      for (const v of SPACES_ALLOWED.has(`${command} ${option.long}`) ? [''] : ['', '   ']) {
        const r = await parse([command, ...(REQUIRED[command] ?? []), option.long!, v]);
        const p = problem(r, option.long!);
        if (p) failures.push(`${command} ${option.long} ${JSON.stringify(v)}: ${p}`);
      }
    }
    expect(failures).toEqual([]);
  });

  it('negative, non-numeric and absurd numbers for numeric flags', async () => {
    const failures: string[] = [];
    const numeric = options.filter((o) => o.numeric);
    expect(numeric.length).toBeGreaterThanOrEqual(4);
    for (const { command, option } of numeric) {
      for (const v of ABSURD_NUMBERS) {
        const r = await parse([command, ...(REQUIRED[command] ?? []), option.long!, v]);
        const p = problem(r, option.long!);
        if (p) failures.push(`${command} ${option.long} ${JSON.stringify(v)}: ${p}`);
      }
    }
    expect(failures).toEqual([]);
  });

  it('negative, zero, non-numeric and absurd values for numeric positional arguments (create [count])', async () => {
    const failures: string[] = [];
    let tested = 0;
    for (const cmd of createCLI().commands) {
      for (const arg of cmd.registeredArguments) {
        if (typeof arg.defaultValue !== 'number') continue;
        tested++;
        for (const v of [...ABSURD_NUMBERS, '0', '1.5', '']) {
          const r = await parse([cmd.name(), v]);
          const p = problem(r, '');
          if (p) failures.push(`${cmd.name()} <${arg.name()}> ${JSON.stringify(v)}: ${p}`);
        }
      }
    }
    console.log(`numeric positional arguments tested: ${tested}`);
    expect(failures).toEqual([]);
  });

  it('an unknown flag and a boolean flag given a value', async () => {
    const failures: string[] = [];
    for (const cmd of createCLI().commands) {
      const name = cmd.name();
      const unknown = await parse([name, '--no-such-flag']);
      const p1 = problem(unknown, '--no-such-flag');
      if (p1) failures.push(`${name} --no-such-flag: ${p1}`);
      for (const option of cmd.options as Option[]) {
        if (!option.long || option.required || option.optional || option.negate) continue;
        const r = await parse([name, `${option.long}=yes`]);
        if (r.accepted) failures.push(`${name} ${option.long}=yes: accepted`);
        else if (r.exitCode === 70 || /\n\s+at /.test(r.stderr) || errorLines(r.stderr).length !== 1) failures.push(`${name} ${option.long}=yes: ${r.stderr}`);
      }
    }
    expect(failures).toEqual([]);
  });
});
