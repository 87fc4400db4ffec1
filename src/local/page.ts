import { MAX_LIST_RESULTS } from '../aws/limits.js';
import { invalid } from './api-error.js';

/**
 * Cursor pagination for the list operations (nextToken/maxResults and marker/pageSize).
 * The token is the base64 of the last key returned, so a page is stable when items are added
 * or removed between calls (unlike an offset).
 */
export interface Page<T> {
  items: T[];
  /** absent on the last page */
  next?: string;
}

export const DEFAULT_PAGE_SIZE = 50;
export const MAX_PAGE_SIZE = MAX_LIST_RESULTS;

export function encodeToken(key: string): string {
  return Buffer.from(key, 'utf8').toString('base64');
}

export function decodeToken(token: string, what = 'nextToken'): string {
  // a raw '+' in a query string arrives as a space
  const t = token.replace(/ /g, '+');
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(t) || t.length > 1024) throw invalid(`Invalid ${what}: ${token.slice(0, 100)}`);
  const key = Buffer.from(t, 'base64').toString('utf8');
  if (key === '') throw invalid(`Invalid ${what}: ${token.slice(0, 100)}`);
  return key;
}

/**
 * One page of `items`, which must be sorted by `key` ascending (or descending when `descending`).
 * `token` is a previous page's `next`.
 */
export function page<T>(items: readonly T[], key: (t: T) => string, token: string | undefined, limit: number, descending = false, what = 'nextToken'): Page<T> {
  let start = 0;
  if (token !== undefined) {
    const after = decodeToken(token, what);
    start = items.findIndex((t) => (descending ? key(t) < after : key(t) > after));
    if (start < 0) start = items.length;
  }
  const slice = items.slice(start, start + limit);
  const last = slice[slice.length - 1];
  const more = start + limit < items.length;
  return more && last !== undefined ? { items: slice, next: encodeToken(key(last)) } : { items: slice };
}

export function pageSize(value: number | undefined, what = 'maxResults'): number {
  if (value === undefined) return DEFAULT_PAGE_SIZE;
  if (!Number.isInteger(value) || value < 1 || value > MAX_PAGE_SIZE) {
    throw invalid(`1 validation error detected: Value '${value}' at '${what}' failed to satisfy constraint: Member must have value between 1 and ${MAX_PAGE_SIZE}`);
  }
  return value;
}
