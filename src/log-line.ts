/**
 * Pure: a log record's fields as a few words on the message's line, for a terminal. pino-pretty
 * would print each field on its own line under its programmer's name (`awsLimits: false`); a user
 * reads `connecting (4 things, broker 127.0.0.1:8883 via stand-in, MQTT 3.1.1, QoS 1)`. JSON logs
 * (piped stderr) keep the fields as they are.
 */

const SKIP = new Set(['level', 'time', 'msg', 'pid', 'hostname']);
const MAX_LIST = 5;

/** fields that read better as a phrase than as "name value"; undefined leaves the field out */
const PHRASES: Record<string, (v: unknown, rec: Record<string, unknown>) => string | undefined> = {
  things: (v) => `${String(v)} things`,
  host: (v, rec) => `broker ${String(v)}${rec.port !== undefined ? `:${String(rec.port)}` : ''}`,
  port: (_v, rec) => (rec.host !== undefined ? undefined : `port ${String(_v)}`),
  via: (v) => `via ${String(v)}`,
  protocol: (v) => `MQTT ${String(v)}`,
  qos: (v) => `QoS ${String(v)}`,
  // the client applies AWS IoT's per-connection limits itself; nothing to say when it does not
  awsLimits: (v) => (v === true ? "AWS IoT's per-connection limits" : undefined),
  certificateId: (v) => `certificate ${String(v).slice(0, 12)}…`,
  clientId: (v) => `client ${String(v)}`,
  err: (v) => errorText(v),
  error: (v) => errorText(v),
};

function errorText(v: unknown): string {
  if (v && typeof v === 'object' && 'message' in v) return String((v as { message: unknown }).message);
  return String(v);
}

/** camelCase and snake_case to words: firstThing → first thing */
export function words(key: string): string {
  return key
    .replace(/_/g, ' ')
    .replace(/([a-z0-9])([A-Z])/g, '$1 $2')
    .toLowerCase();
}

function value(v: unknown): string {
  if (Array.isArray(v)) return v.length <= MAX_LIST ? v.map(value).join(', ') : `${v.slice(0, MAX_LIST).map(value).join(', ')} and ${v.length - MAX_LIST} more`;
  if (v !== null && typeof v === 'object') return JSON.stringify(v);
  return String(v);
}

function field(key: string, v: unknown, rec: Record<string, unknown>): string | undefined {
  if (v === undefined) return undefined;
  const phrase = PHRASES[key];
  if (phrase) return phrase(v, rec);
  if (v === true) return words(key);
  if (v === false) return `no ${words(key)}`;
  return `${words(key)} ${value(v)}`;
}

/** The message followed by its fields in words, on one line. */
export function humanLine(rec: Record<string, unknown>, messageKey = 'msg'): string {
  const parts: string[] = [];
  for (const [k, v] of Object.entries(rec)) {
    if (SKIP.has(k) || k === messageKey) continue;
    const p = field(k, v, rec);
    if (p !== undefined && p !== '') parts.push(p);
  }
  const msg = rec[messageKey] === undefined ? '' : String(rec[messageKey]);
  return parts.length === 0 ? msg : `${msg} (${parts.join(', ')})`;
}
