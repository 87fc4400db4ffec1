import { readFile } from 'node:fs/promises';
import { ElfError } from '../errors.js';
import type { SendSummary } from './summary.js';

/**
 * Reads a summary written by `elf send --json` (one shard's), checking what merging needs: an
 * error names the file and says what is missing.
 */
export async function readSummaryFile(file: string): Promise<SendSummary> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (e) {
    throw new ElfError(`${file}: ${(e as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (e as Error).message}`, 'ELF_REPORT_INPUT');
  }
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch (e) {
    throw new ElfError(`${file}: not JSON (${(e as Error).message}); expected the output of \`elf send --json\``, 'ELF_REPORT_INPUT');
  }
  const s = v as Partial<SendSummary> | null;
  const missing = (['totals', 'perThing', 'timing', 'latencyHistogram', 'skippedLines', 'stopReason'] as const).filter((k) => !s || typeof s !== 'object' || s[k] === undefined);
  if (missing.length > 0) throw new ElfError(`${file}: not a summary of \`elf send --json\` (no ${missing.join(', ')})`, 'ELF_REPORT_INPUT');
  return s as SendSummary;
}
