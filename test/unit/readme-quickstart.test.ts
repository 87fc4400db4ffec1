import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

/**
 * The README's quick start is two commands, the main job then `make test`: .ci/run runs exactly those
 * and refuses any other shape. Read with .ci/run's own awk, so the two cannot disagree.
 */
describe("the README's quick start", () => {
  it('is the bootstrap command followed by make test, and nothing else', () => {
    const root = path.resolve(import.meta.dirname, '../..');
    const ci = execFileSync('sed', ['-n', "s/^mapfile -t quickstart < <(\\(.*\\))$/\\1/p", path.join(root, '.ci/run')], { encoding: 'utf8' }).trim();
    expect(ci).toContain('README.md');
    const commands = execFileSync('bash', ['-c', ci], { cwd: root, encoding: 'utf8' }).split('\n').filter((l) => l.trim() !== '');
    expect(commands).toHaveLength(2);
    expect(commands[0]).toMatch(/^make bootstrap /);
    expect(commands[1]).toBe('make test');
  });
});
