/** what `format: 'auto'` resolves to; `json-*` are the two layouts of JsonValuesParser */
export type DetectedFormat = 'jsonl' | 'json-array' | 'json-documents' | 'csv';

/**
 * Auto-detection, from the file's name and its first bytes (`head`: at least one payload's worth
 * and some, unless `headIsWholeFile`):
 * 1. a name ending in `.csv` (any case) → CSV;
 * 2. otherwise the first byte that is not whitespace (after a UTF-8 BOM) decides:
 *    - `{` → if the line it starts is, on its own, one complete valid JSON value → JSON Lines,
 *      else pretty-printed or concatenated JSON documents (a pretty-printed document's first
 *      line, `{`, is not valid alone);
 *    - `[` → a JSON array, except when its first line is on its own a complete valid JSON value
 *      and another non-blank line follows: then JSON Lines whose lines are arrays (`[1,2]\n[3,4]`);
 *      a one-line array file is still a JSON array;
 *    - anything else, or nothing → JSON Lines (each line is checked and skipped if invalid).
 *    A first line longer than `head` → JSON Lines for `{` (such a line is over the payload limit
 *    either way), a JSON array for `[`.
 */
export function detectFormat(name: string, head: Buffer, headIsWholeFile: boolean): DetectedFormat {
  if (/\.csv$/i.test(name)) return 'csv';
  let i = head.length >= 3 && head[0] === 0xef && head[1] === 0xbb && head[2] === 0xbf ? 3 : 0;
  i = skipWhitespace(head, i);
  if (i === head.length) return 'jsonl';
  const first = head[i];
  if (first !== 0x5b && first !== 0x7b) return 'jsonl';
  const array = first === 0x5b;
  let end = head.indexOf(0x0a, i);
  if (end === -1) {
    if (!headIsWholeFile) return array ? 'json-array' : 'jsonl';
    end = head.length;
  }
  let complete: boolean;
  try {
    JSON.parse(head.toString('utf8', i, end));
    complete = true;
  } catch {
    complete = false;
  }
  if (!array) return complete ? 'jsonl' : 'json-documents';
  return complete && skipWhitespace(head, end) < head.length ? 'jsonl' : 'json-array';
}

function skipWhitespace(head: Buffer, i: number): number {
  while (i < head.length && (head[i] === 0x20 || head[i] === 0x0a || head[i] === 0x0d || head[i] === 0x09)) i++;
  return i;
}
