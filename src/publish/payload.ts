/**
 * Pure payload shaping. A line is sent byte for byte unless the user asked for added fields; fields
 * are added only to JSON objects (anything else is sent unchanged).
 */
export interface PayloadOptions {
  /** field name for an ISO-8601 timestamp, e.g. "timestamp"; undefined = none */
  addTimestamp?: string;
  /** field name for the thing's name, e.g. "thing"; undefined = none */
  addThingName?: string;
}

export function needsShaping(opts: PayloadOptions): boolean {
  return opts.addTimestamp !== undefined || opts.addThingName !== undefined;
}

export function shapePayload(line: string, thing: string, nowMs: number, opts: PayloadOptions): string {
  if (!needsShaping(opts)) return line;
  const trimmed = line.trimStart();
  if (!trimmed.startsWith('{')) return line;
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch {
    return line;
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return line;
  const obj = value as Record<string, unknown>;
  if (opts.addThingName !== undefined) obj[opts.addThingName] = thing;
  if (opts.addTimestamp !== undefined) obj[opts.addTimestamp] = new Date(nowMs).toISOString();
  return JSON.stringify(obj);
}
