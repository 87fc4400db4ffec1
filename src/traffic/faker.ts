import type { Holder } from './functions.js';
import { TemplateFunctionError } from './functions.js';

/**
 * The fake-data library (@faker-js/faker) with the rendered thing's own generator as its randomizer,
 * so fake names, VINs and coordinates follow --seed per thing like every other random value. Loaded
 * only by templates and scenarios that use it (the library and its English locale are large).
 */
export async function loadFaker(holder: Holder) {
  const { Faker, en, base } = await import('@faker-js/faker');
  return new Faker({ locale: [en, base], randomizer: { next: () => holder.s.rng.next(), seed: () => {} } });
}

export type FakerInstance = Awaited<ReturnType<typeof loadFaker>>;

/** fake("module.method", args): the method looked up once per name, then called on the holder's thing */
export function fakeCaller(faker: FakerInstance): (path: string, args: unknown[]) => unknown {
  const cache = new Map<string, (...a: unknown[]) => unknown>();
  return (path, args) => {
    let fn = cache.get(path);
    if (fn === undefined) {
      const [mod, method, ...rest] = path.split('.');
      const m = mod && !mod.startsWith('_') && Object.hasOwn(faker, mod) ? (faker as unknown as Record<string, Record<string, unknown>>)[mod] : undefined;
      const f = m && method && !method.startsWith('_') && rest.length === 0 ? m[method] : undefined;
      if (typeof f !== 'function') throw new TemplateFunctionError(`fake("${path}"): no such generator (see https://fakerjs.dev/api/, e.g. "location.city")`);
      fn = (f as (...a: unknown[]) => unknown).bind(m);
      cache.set(path, fn);
    }
    return fn(...args);
  };
}
