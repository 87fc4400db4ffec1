/**
 * A JSON validator over UTF-8 bytes (RFC 8259 grammar), for the JSON Lines hot path: checking a
 * line this way allocates nothing, where JSON.parse builds the whole value only to throw it away.
 * It answers only valid / not valid: the caller asks JSON.parse for the error message when a line
 * is not valid (and trusts JSON.parse if the two ever disagree). UTF-8 validity is checked apart.
 * Not recursive: nesting of any depth is tracked in the validator's own stack, which grows as needed.
 */

// container kinds on the stack
const OBJECT = 1;
const ARRAY = 2;

function isWs(c: number): boolean {
  return c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09;
}

function isDigit(c: number): boolean {
  return c >= 0x30 && c <= 0x39;
}

function isHex(c: number): boolean {
  return (c >= 0x30 && c <= 0x39) || (c >= 0x61 && c <= 0x66) || (c >= 0x41 && c <= 0x46);
}

/** the index after the string starting at `i` (its opening quote), or -1 */
function skipString(b: Uint8Array, i: number, end: number): number {
  i++;
  while (i < end) {
    const c = b[i]!;
    if (c === 0x22) return i + 1;
    if (c === 0x5c) {
      const e = b[i + 1];
      if (e === 0x75) {
        if (i + 5 >= end || !isHex(b[i + 2]!) || !isHex(b[i + 3]!) || !isHex(b[i + 4]!) || !isHex(b[i + 5]!)) return -1;
        i += 6;
      } else if (e === 0x22 || e === 0x5c || e === 0x2f || e === 0x62 || e === 0x66 || e === 0x6e || e === 0x72 || e === 0x74) {
        i += 2;
      } else return -1;
    } else if (c < 0x20) return -1;
    else i++;
  }
  return -1;
}

/** the index after the number starting at `i`, or -1 */
function skipNumber(b: Uint8Array, i: number, end: number): number {
  if (b[i] === 0x2d) i++;
  if (i >= end) return -1;
  if (b[i] === 0x30) i++;
  else if (isDigit(b[i]!)) while (i < end && isDigit(b[i]!)) i++;
  else return -1;
  if (i < end && b[i] === 0x2e) {
    i++;
    if (i >= end || !isDigit(b[i]!)) return -1;
    while (i < end && isDigit(b[i]!)) i++;
  }
  if (i < end && (b[i] === 0x65 || b[i] === 0x45)) {
    i++;
    if (i < end && (b[i] === 0x2b || b[i] === 0x2d)) i++;
    if (i >= end || !isDigit(b[i]!)) return -1;
    while (i < end && isDigit(b[i]!)) i++;
  }
  return i;
}

function skipLiteral(b: Uint8Array, i: number, end: number, word: string): number {
  if (i + word.length > end) return -1;
  for (let k = 1; k < word.length; k++) if (b[i + k] !== word.charCodeAt(k)) return -1;
  return i + word.length;
}

/** whether bytes [start, end) of `b` are exactly one JSON text (whitespace around it allowed) */
export function isValidJson(b: Uint8Array, start: number, end: number): boolean {
  return new JsonValidator().isValid(b, start, end);
}

/** keeps its container stack between calls, so that checking a line allocates nothing */
export class JsonValidator {
  private stack = new Uint8Array(256);

  isValid(b: Uint8Array, start: number, end: number): boolean {
    let stack = this.stack;
    let i = start;
    let depth = 0;
    // expecting: a value (0), a key or '}' right after '{' (1), a value or ']' right after '[' (2)
    let expect = 0;
    for (;;) {
      while (i < end && isWs(b[i]!)) i++;
      if (i >= end) return false;
      let c = b[i]!;
      // a value
      if (expect === 1) {
        if (c === 0x7d) {
          depth--;
          i++;
        } else {
          if (c !== 0x22) return false;
          i = skipString(b, i, end);
          if (i < 0) return false;
          while (i < end && isWs(b[i]!)) i++;
          if (b[i] !== 0x3a) return false;
          expect = 0;
          i++;
          continue;
        }
      } else if (expect === 2 && c === 0x5d) {
        depth--;
        i++;
      } else {
        if (c === 0x7b || c === 0x5b) {
          if (depth === stack.length) {
            const bigger = new Uint8Array(stack.length * 2);
            bigger.set(stack);
            stack = this.stack = bigger;
          }
          stack[depth++] = c === 0x7b ? OBJECT : ARRAY;
          expect = c === 0x7b ? 1 : 2;
          i++;
          continue;
        }
        if (c === 0x22) i = skipString(b, i, end);
        else if (c === 0x2d || isDigit(c)) i = skipNumber(b, i, end);
        else if (c === 0x74) i = skipLiteral(b, i, end, 'true');
        else if (c === 0x66) i = skipLiteral(b, i, end, 'false');
        else if (c === 0x6e) i = skipLiteral(b, i, end, 'null');
        else return false;
        if (i < 0) return false;
      }
      // after a value: ',' or the end of the enclosing container, or the end of the text
      for (;;) {
        while (i < end && isWs(b[i]!)) i++;
        if (depth === 0) return i === end;
        if (i >= end) return false;
        c = b[i]!;
        const kind = stack[depth - 1];
        if (c === 0x2c) {
          i++;
          expect = kind === OBJECT ? 3 : 0;
          break;
        }
        if ((c === 0x7d && kind === OBJECT) || (c === 0x5d && kind === ARRAY)) {
          depth--;
          i++;
          continue;
        }
        return false;
      }
      if (expect === 3) {
        // a key after ','
        while (i < end && isWs(b[i]!)) i++;
        if (i >= end || b[i] !== 0x22) return false;
        i = skipString(b, i, end);
        if (i < 0) return false;
        while (i < end && isWs(b[i]!)) i++;
        if (b[i] !== 0x3a) return false;
        i++;
        expect = 0;
      }
    }
  }
}
