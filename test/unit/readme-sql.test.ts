import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { SUPPORTED_FUNCTIONS, UNSUPPORTED_AWS_FUNCTIONS } from '../../src/local/rules/functions.js';

/** The README's table of AWS IoT SQL functions says what the engine does: the rows are the code's lists. */
describe("the README's SQL function table", () => {
  const readme = readFileSync(path.resolve(import.meta.dirname, '../../README.md'), 'utf8').split('\n');
  const names = (cell: string) =>
    cell
      .split(',')
      .map((x) => x.trim().replace(/ \(.*\)$/, '').toLowerCase())
      .sort();
  const row = (suffix: string) => {
    const line = readme.find((l) => l.startsWith('| abs, ') || l.startsWith('| aws_lambda, ') ? l.trimEnd().endsWith(suffix) : false);
    if (!line) throw new Error(`no function row ending in ${suffix} in README.md`);
    return names(line.split('|')[1]!);
  };
  it('lists exactly the functions the engine implements as supported', () => {
    // cast(x AS type) is grammar (parser.ts), not a function of the table
    expect(row('| supported |').filter((n) => n !== 'cast')).toEqual([...SUPPORTED_FUNCTIONS].map((n) => n.toLowerCase()).sort());
  });
  it('lists exactly the AWS functions the engine refuses', () => {
    expect(row('naming the function |')).toEqual([...UNSUPPORTED_AWS_FUNCTIONS].sort());
  });
});
