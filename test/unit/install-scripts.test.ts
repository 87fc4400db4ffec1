import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

/**
 * npm 11.16+ lists, after every `npm ci`, the dependencies whose install scripts package.json's
 * `allowScripts` does not cover, and npm 12 skips them (https://docs.npmjs.com/cli/v11/commands/npm-approve-scripts).
 * aws-crt's install script builds the native module where no prebuilt one fits; esbuild's checks its
 * platform binary: both are reviewed, and every package with an install script must be.
 */
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const read = (file: string) => JSON.parse(readFileSync(path.join(root, file), 'utf8')) as Record<string, unknown>;

describe('install scripts', () => {
  it('every dependency with an install script is reviewed in package.json allowScripts', () => {
    const lock = read('package-lock.json') as { packages: Record<string, { hasInstallScript?: boolean }> };
    const withScripts = Object.entries(lock.packages)
      .filter(([, p]) => p.hasInstallScript)
      .map(([where]) => where.slice(where.lastIndexOf('node_modules/') + 'node_modules/'.length));
    expect(withScripts).toContain('aws-crt');
    const allowed = (read('package.json').allowScripts ?? {}) as Record<string, boolean>;
    expect(withScripts.filter((name) => allowed[name] === undefined)).toEqual([]);
  });
});
