import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import vm from 'node:vm';
import { UsageError } from '../errors.js';

/**
 * The disk edge of `--scenario <file.js|.mjs|.cjs>`: loads a scenario module, CommonJS or ESM, and
 * finds its generator. MQTTX CLI's `simulate` scenarios (`module.exports = { name, generator }`)
 * load unchanged, also from a folder whose package.json says `"type": "module"`, where Node would
 * refuse `module.exports` in a `.js` file: such a file is compiled as CommonJS instead.
 */
export type Generator = (faker: unknown, options: unknown) => unknown;

export interface LoadedScenario {
  /** the file as the user named it (errors name it so) */
  readonly file: string;
  /** the absolute path (stack lines are matched against it) */
  readonly path: string;
  /** the module's `name`, or the file's base name */
  readonly name: string;
  readonly generator: Generator;
}

const CJS_IN_ESM = /\b(module|exports|require) is not defined in ES module scope/;

export async function loadScenario(file: string): Promise<LoadedScenario> {
  const abs = path.resolve(file);
  let ns: Record<string, unknown>;
  try {
    ns = (await import(pathToFileURL(abs).href)) as Record<string, unknown>;
  } catch (e) {
    if (e instanceof ReferenceError && CJS_IN_ESM.test(e.message)) ns = { default: await loadCommonJs(file, abs) };
    else throw new UsageError(`--scenario ${file}${lineOf(e, abs)}: ${loadProblem(e)}`);
  }
  const def = ns.default as Record<string, unknown> | Generator | undefined;
  const generator = [ns.generator, typeof def === 'function' ? def : def?.generator].find((g) => typeof g === 'function') as Generator | undefined;
  if (!generator) throw new UsageError(`--scenario ${file}: exports no generator function (give module.exports = { name, generator(faker, options) } or export function generator)`);
  const named = [ns.name, typeof def === 'object' ? def?.name : undefined].find((n) => typeof n === 'string' && n !== '') as string | undefined;
  return { file, path: abs, name: named ?? path.basename(file).replace(/\.[cm]?js$/, ''), generator };
}

/** A CommonJS file where Node would take it for ESM: compiled as CommonJS, with its own require. */
async function loadCommonJs(file: string, abs: string): Promise<unknown> {
  const source = await readFile(abs, 'utf8');
  const module = { exports: {} as unknown };
  try {
    const fn = vm.compileFunction(source.replace(/^#!.*/, ''), ['exports', 'require', 'module', '__filename', '__dirname'], { filename: abs });
    fn.call(module.exports, module.exports, createRequire(abs), module, abs, path.dirname(abs));
  } catch (e) {
    throw new UsageError(`--scenario ${file}${lineOf(e, abs)}: ${loadProblem(e)}`);
  }
  return module.exports;
}

function loadProblem(e: unknown): string {
  const code = (e as NodeJS.ErrnoException).code;
  if (code === 'ERR_MODULE_NOT_FOUND') {
    const missing = /Cannot find (?:module|package) '([^']+)'/.exec((e as Error).message)?.[1];
    return missing && !missing.startsWith('/') && !missing.startsWith('file:') ? `imports ${missing}, which is not installed` : 'no such file';
  }
  return describe(e);
}

/** `Name: message`, first line only */
export function describe(e: unknown): string {
  if (e instanceof Error) return `${e.name === 'Error' ? '' : `${e.name}: `}${e.message.split('\n')[0]}`;
  return `threw ${typeof e === 'string' ? JSON.stringify(e) : String(e)}`;
}

/**
 * `:line` of the scenario file where an error arose (from its stack, or the first line of a
 * syntax error's report), or '' when it arose elsewhere.
 */
export function lineOf(e: unknown, abs: string): string {
  const stack = e instanceof Error ? (e.stack ?? '') : '';
  const url = pathToFileURL(abs).href;
  for (const where of [url, abs]) {
    const i = stack.indexOf(`${where}:`);
    if (i >= 0) {
      const m = /^:(\d+)/.exec(stack.slice(i + where.length));
      if (m) return `:${m[1]}`;
    }
  }
  return '';
}
