/**
 * parse_time(pattern, epochMillis[, timeZone]) of AWS IoT SQL: a Joda-Time pattern applied to an
 * instant in a time zone (UTC by default).
 * https://docs.aws.amazon.com/iot/latest/developerguide/iot-sql-functions.html#iot-sql-function-parse-time
 *
 * The time-zone arithmetic and the month/day names come from Node's ICU (Intl.DateTimeFormat); this
 * module only maps Joda's pattern letters (G y Y M d H h m s S E a Z z and 'quoted text') onto them.
 * An unknown zone or letter gives undefined (SQL Undefined).
 */

interface Fields {
  year: number;
  month: number;
  day: number;
  hour: number;
  minute: number;
  second: number;
  weekday: string;
  zoneShort: string;
  /** offset from UTC in minutes */
  offset: number;
}

const MONTHS = ['January', 'February', 'March', 'April', 'May', 'June', 'July', 'August', 'September', 'October', 'November', 'December'];

function fieldsOf(ms: number, timeZone: string): Fields | undefined {
  let parts: Intl.DateTimeFormatPart[];
  try {
    parts = new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
      weekday: 'long',
      timeZoneName: 'short',
    }).formatToParts(new Date(ms));
  } catch {
    return undefined;
  }
  const get = (t: string) => parts.find((p) => p.type === t)?.value ?? '';
  const f = { year: +get('year'), month: +get('month'), day: +get('day'), hour: +get('hour'), minute: +get('minute'), second: +get('second') };
  const local = Date.UTC(f.year, f.month - 1, f.day, f.hour, f.minute, f.second);
  const offset = Math.round((local - Math.floor(ms / 1000) * 1000) / 60_000);
  let zoneShort = get('timeZoneName');
  if (zoneShort === 'GMT' && timeZone.toUpperCase() === 'UTC') zoneShort = 'UTC';
  return { ...f, weekday: get('weekday'), zoneShort, offset };
}

const pad = (n: number, width: number) => String(Math.abs(n)).padStart(width, '0');

function offsetText(minutes: number, colon: boolean): string {
  if (minutes === 0 && !colon) return '+0000';
  const sign = minutes < 0 ? '-' : '+';
  const h = pad(Math.trunc(Math.abs(minutes) / 60), 2);
  const m = pad(Math.abs(minutes) % 60, 2);
  return colon ? `${sign}${h}:${m}` : `${sign}${h}${m}`;
}

function letter(c: string, n: number, f: Fields, ms: number): string | undefined {
  switch (c) {
    case 'G':
      return f.year > 0 ? 'AD' : 'BC';
    case 'y':
    case 'Y':
    case 'u':
      return n === 2 ? pad(f.year % 100, 2) : pad(f.year, n);
    case 'M':
      return n >= 4 ? MONTHS[f.month - 1] : n === 3 ? MONTHS[f.month - 1]!.slice(0, 3) : pad(f.month, n);
    case 'd':
      return pad(f.day, n);
    case 'H':
      return pad(f.hour, n);
    case 'h':
      return pad(f.hour % 12 === 0 ? 12 : f.hour % 12, n);
    case 'm':
      return pad(f.minute, n);
    case 's':
      return pad(f.second, n);
    case 'S':
      return pad(((ms % 1000) + 1000) % 1000, 3).slice(0, n).padEnd(n, '0');
    case 'E':
      return n >= 4 ? f.weekday : f.weekday.slice(0, 3);
    case 'a':
      return f.hour < 12 ? 'AM' : 'PM';
    case 'Z':
      return offsetText(f.offset, n >= 2);
    case 'z':
      return f.zoneShort;
    default:
      return undefined;
  }
}

export function parseTime(pattern: string, epochMillis: number, timeZone = 'UTC'): string | undefined {
  const f = fieldsOf(epochMillis, timeZone);
  if (!f) return undefined;
  let out = '';
  for (let i = 0; i < pattern.length; ) {
    const c = pattern[i]!;
    if (c === "'") {
      const end = pattern.indexOf("'", i + 1);
      if (end < 0) return undefined;
      out += end === i + 1 ? "'" : pattern.slice(i + 1, end);
      i = end + 1;
      continue;
    }
    if (!/[A-Za-z]/.test(c)) {
      out += c;
      i++;
      continue;
    }
    let n = 1;
    while (pattern[i + n] === c) n++;
    const text = letter(c, n, f, epochMillis);
    if (text === undefined) return undefined;
    out += text;
    i += n;
  }
  return out;
}
