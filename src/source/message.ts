import type { Source, SourceItem } from './types.js';

/**
 * The original ELF's positional message: `elf send "Hello"` sends `{"msg":"Hello"}`. One item per
 * pass; the publisher loops it like a file.
 */
export function messageSource(text: string): Source {
  const payload = JSON.stringify({ msg: text });
  return {
    name: 'message',
    async *open(): AsyncGenerator<SourceItem> {
      yield { kind: 'message', line: 1, payload };
    },
    async *openBatches(): AsyncGenerator<SourceItem[]> {
      yield [{ kind: 'message', line: 1, payload }];
    },
  };
}
