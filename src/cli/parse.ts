import { InvalidArgumentError } from 'commander';

/**
 * Value parsers for commander options. Each one validates its own value; commander prefixes the
 * message with the flag's name, so the user sees e.g.
 *   error: option '--concurrency <n>' argument 'abc' is invalid. expected an integer from 1 to 1000
 */
export function integer(min: number, max: number = Number.MAX_SAFE_INTEGER) {
  return (value: string): number => {
    const text = value.trim();
    if (!/^[+-]?\d+$/.test(text)) throw new InvalidArgumentError(`expected an integer from ${min} to ${max}`);
    const n = Number(text);
    if (!Number.isSafeInteger(n) || n < min || n > max) throw new InvalidArgumentError(`expected an integer from ${min} to ${max}`);
    return n;
  };
}

export function decimal(min: number, max: number = Number.MAX_SAFE_INTEGER) {
  return (value: string): number => {
    const text = value.trim();
    if (!/^[+-]?(\d+\.?\d*|\.\d+)$/.test(text)) throw new InvalidArgumentError(`expected a number from ${min} to ${max}`);
    const n = Number(text);
    if (!Number.isFinite(n) || n < min || n > max) throw new InvalidArgumentError(`expected a number from ${min} to ${max}`);
    return n;
  };
}

export function oneOf<T extends string>(...choices: T[]) {
  return (value: string): T => {
    if (!(choices as string[]).includes(value)) throw new InvalidArgumentError(`expected one of ${choices.join(', ')}`);
    return value as T;
  };
}

export function nonEmpty(what: string) {
  return (value: string): string => {
    if (value.trim() === '') throw new InvalidArgumentError(`${what} must not be empty`);
    return value;
  };
}
