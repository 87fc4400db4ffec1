import { expect } from 'vitest';
import { ApiError } from '../../src/local/api-error.js';

/** The ApiError `f` throws; fails the test when it throws something else or nothing. */
export function errorOf(f: () => unknown): ApiError {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(ApiError);
    return e as ApiError;
  }
  throw new Error('expected an ApiError');
}
