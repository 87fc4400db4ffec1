import type { Source, SourceItem } from '../../src/source/types.js';

/**
 * A tiny Source for tests: one message per element (or a skip for `{ skip: reason }`), line numbers
 * 1-based. Counts how many times it was opened, so tests can check the fan-out reads it once.
 */
export interface CountingSource extends Source {
  readonly opens: number;
}

export function linesSource(lines: Array<string | { skip: string }>, name = 'test-lines'): CountingSource {
  let opens = 0;
  return {
    name,
    get opens() {
      return opens;
    },
    open(): AsyncIterable<SourceItem> {
      opens++;
      return (async function* () {
        let line = 0;
        for (const l of lines) {
          line++;
          if (typeof l === 'string') yield { kind: 'message', line, payload: l } as const;
          else yield { kind: 'skip', line, reason: l.skip } as const;
        }
      })();
    },
  };
}
