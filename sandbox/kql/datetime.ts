// Datetime and timespan values. A datetime is held as its canonical text `YYYY-MM-DDTHH:MM:SS.fffffffZ` (UTC,
// 100 ns ticks): that text sorts like the instant it names, is the wire format of the hunting API, and keeps all
// seven fractional digits, which a JS number of ticks since 1970 (about 1.8e16) cannot. A timespan is a number of
// 100 ns ticks (exact up to about 28 years).

export const TICKS_PER_MS = 10_000;
export const TICKS_PER_SECOND = 10_000_000;
export const TICKS_PER_MINUTE = 60 * TICKS_PER_SECOND;
export const TICKS_PER_HOUR = 60 * TICKS_PER_MINUTE;
export const TICKS_PER_DAY = 24 * TICKS_PER_HOUR;

/** Milliseconds from 0001-01-01 (Kusto's tick origin) to 1970-01-01. */
const MS_FROM_YEAR_ONE_TO_UNIX = 62_135_596_800_000;
const MIN_MS = -MS_FROM_YEAR_ONE_TO_UNIX;
const MAX_MS = 253_402_300_799_999; // 9999-12-31T23:59:59.999Z

const FOUR_DIGITS = Array.from({ length: 10_000 }, (_, i) => String(i).padStart(4, '0'));

/** Builds the canonical text from whole milliseconds since 1970 and the 0..9999 ticks below them. */
export function datetimeFromParts(ms: number, subTicks: number): string | null {
  if (!Number.isFinite(ms) || ms < MIN_MS || ms > MAX_MS) return null;
  return `${new Date(ms).toISOString().slice(0, 23)}${FOUR_DIGITS[subTicks] ?? String(subTicks).padStart(4, '0')}Z`;
}

export function datetimeFromDate(d: Date): string | null {
  return datetimeFromParts(d.getTime(), 0);
}

/** Splits canonical text into whole milliseconds since 1970 and the remaining ticks. */
function digitsAt(text: string, from: number, to: number): number {
  let n = 0;
  for (let i = from; i < to; i++) n = n * 10 + (text.charCodeAt(i) - 48);
  return n;
}

export function datetimeToParts(dt: string): { ms: number; subTicks: number } {
  const digits = (from: number, to: number) => digitsAt(dt, from, to);
  const year = digits(0, 4);
  let dayStart = Date.UTC(year, digits(5, 7) - 1, digits(8, 10));
  if (year < 100) {
    const date = new Date(0); // Date.UTC maps years 0-99 to 1900-1999
    date.setUTCFullYear(year, digits(5, 7) - 1, digits(8, 10));
    dayStart = date.getTime();
  }
  const ms = dayStart + digits(11, 13) * 3_600_000 + digits(14, 16) * 60_000 + digits(17, 19) * 1000 + digits(20, 23);
  return { ms, subTicks: digits(23, 27) };
}

export function isCanonicalDatetime(v: string): boolean {
  return (
    v.length === 28 && v.charCodeAt(27) === 90 /* Z */ && v.charCodeAt(19) === 46 /* . */ && v.charCodeAt(10) === 84
  );
}

export function addTicks(dt: string, ticks: number): string | null {
  const { ms, subTicks } = datetimeToParts(dt);
  const total = subTicks + Math.round(ticks);
  const carryMs = Math.floor(total / TICKS_PER_MS);
  return datetimeFromParts(ms + carryMs, total - carryMs * TICKS_PER_MS);
}

/** a - b in ticks. */
export function diffTicks(a: string, b: string): number {
  const pa = datetimeToParts(a);
  const pb = datetimeToParts(b);
  return (pa.ms - pb.ms) * TICKS_PER_MS + (pa.subTicks - pb.subTicks);
}

/** Rounds down to a multiple of `ticks` counted from 0001-01-01, as Kusto's bin() does (so 7d bins start on Mondays). */
export function binDatetime(dt: string, ticks: number): string | null {
  if (!(ticks > 0)) return null;
  const { ms, subTicks } = datetimeToParts(dt);
  if (ticks % TICKS_PER_MS === 0) {
    const size = ticks / TICKS_PER_MS;
    const sinceYearOne = ms + MS_FROM_YEAR_ONE_TO_UNIX;
    return datetimeFromParts(Math.floor(sinceYearOne / size) * size - MS_FROM_YEAR_ONE_TO_UNIX, 0);
  }
  // Sub-millisecond bin sizes need exact tick arithmetic beyond 2^53.
  const total = BigInt(ms + MS_FROM_YEAR_ONE_TO_UNIX) * 10_000n + BigInt(subTicks);
  const size = BigInt(Math.round(ticks));
  const binned = total - (((total % size) + size) % size);
  const binnedMs = binned / 10_000n;
  return datetimeFromParts(Number(binnedMs) - MS_FROM_YEAR_ONE_TO_UNIX, Number(binned - binnedMs * 10_000n));
}

const ISO_LIKE =
  /^(\d{4})-(\d{1,2})-(\d{1,2})(?:[T ](\d{1,2}):(\d{2})(?::(\d{2})(?:\.(\d{1,7})\d*)?)?)?\s*(Z|UTC|GMT|[+-]\d{2}:?\d{2})?$/i;

/** Parses the datetime forms Kusto accepts in `datetime(...)` and `todatetime()`: ISO 8601 (UTC unless an offset is
 * given), with `T` or a space, and, as a fallback, RFC 822/850 text with a zone. */
export function parseDatetimeText(text: string): string | null {
  const t = text.trim();
  const m = ISO_LIKE.exec(t);
  if (m) {
    const [, y, mo, d, h, mi, s, frac, zone] = m;
    const year = Number(y);
    const month = Number(mo);
    const day = Number(d);
    const hour = Number(h ?? 0);
    const minute = Number(mi ?? 0);
    const second = Number(s ?? 0);
    if (month < 1 || month > 12 || day < 1 || day > 31 || hour > 23 || minute > 59 || second > 59) return null;
    const date = new Date(0);
    date.setUTCFullYear(year, month - 1, day);
    date.setUTCHours(hour, minute, second, 0);
    if (date.getUTCDate() !== day) return null; // e.g. 2023-02-30
    let ms = date.getTime();
    if (zone && /^[+-]/.test(zone)) {
      const digits = zone.replace(':', '');
      const offsetMinutes = Number(digits.slice(1, 3)) * 60 + Number(digits.slice(3, 5));
      ms -= (zone.startsWith('-') ? -1 : 1) * offsetMinutes * 60_000;
    }
    const fraction = (frac ?? '').padEnd(7, '0');
    ms += Number(fraction.slice(0, 3));
    return datetimeFromParts(ms, Number(fraction.slice(3)));
  }
  if (/[a-z]/i.test(t) && /(GMT|UTC|Z|[+-]\d{4})$/i.test(t)) {
    const ms = Date.parse(t);
    return Number.isNaN(ms) ? null : datetimeFromParts(ms, 0);
  }
  return null;
}

/** Converts a stored table value (Date, ISO string or canonical text) to canonical text. */
export function normalizeDatetime(v: unknown): string | null {
  if (v === null || v === undefined) return null;
  if (typeof v === 'string') return isCanonicalDatetime(v) ? v : parseDatetimeText(v);
  if (v instanceof Date) return datetimeFromDate(v);
  if (typeof v === 'number') return datetimeFromParts(v, 0);
  return null;
}

/** `2020-01-01T10:00:00Z`-style text with fractional digits only when needed (Kusto's tostring(datetime)). */
export function datetimeToDisplayString(dt: string): string {
  const frac = dt.slice(20, 27).replace(/0+$/, '');
  return `${dt.slice(0, 19)}${frac ? `.${frac}` : ''}Z`;
}

/** Kusto's timespan text: `[-][d.]hh:mm:ss[.fffffff]`. */
export function formatTimespan(ticks: number): string {
  const t = Math.round(Math.abs(ticks));
  const days = Math.floor(t / TICKS_PER_DAY);
  let rest = t - days * TICKS_PER_DAY;
  const hours = Math.floor(rest / TICKS_PER_HOUR);
  rest -= hours * TICKS_PER_HOUR;
  const minutes = Math.floor(rest / TICKS_PER_MINUTE);
  rest -= minutes * TICKS_PER_MINUTE;
  const seconds = Math.floor(rest / TICKS_PER_SECOND);
  const fraction = rest - seconds * TICKS_PER_SECOND;
  const two = (n: number) => String(n).padStart(2, '0');
  return (
    (ticks < 0 && t !== 0 ? '-' : '') +
    (days > 0 ? `${days}.` : '') +
    `${two(hours)}:${two(minutes)}:${two(seconds)}` +
    (fraction > 0 ? `.${String(fraction).padStart(7, '0')}` : '')
  );
}

const TIMESPAN_UNITS: Record<string, number> = {};
for (const [names, ticks] of [
  [['d', 'day', 'days'], TICKS_PER_DAY],
  [['h', 'hr', 'hrs', 'hour', 'hours'], TICKS_PER_HOUR],
  [['m', 'min', 'minute', 'minutes'], TICKS_PER_MINUTE],
  [['s', 'sec', 'second', 'seconds'], TICKS_PER_SECOND],
  [['ms', 'milli', 'millis', 'millisec', 'millisecond', 'milliseconds'], TICKS_PER_MS],
  [['micro', 'micros', 'microsec', 'microsecond', 'microseconds'], 10],
  [['nano', 'nanos', 'nanosec', 'nanosecond', 'nanoseconds'], 0.01],
  [['tick', 'ticks'], 1],
] as const) {
  for (const n of names) TIMESPAN_UNITS[n] = ticks;
}

const CLOCK = /^(-)?(?:(\d+)\.)?(\d{1,2}):(\d{1,2})(?::(\d{1,2})(?:\.(\d{1,7}))?)?$/;

/** Parses `1.5h`, `10 seconds`, `2` (days, as .NET TimeSpan.Parse), `1.02:03:04.5`, `-00:30:00`; null if invalid. */
export function parseTimespanText(text: string): number | null {
  const t = text.trim();
  if (/^-?\d+$/.test(t)) return Number(t) * TICKS_PER_DAY;
  const clock = CLOCK.exec(t);
  if (clock) {
    const [, neg, d, h, mi, s, f] = clock;
    if (Number(h) > 23 || Number(mi) > 59 || Number(s ?? 0) > 59) return null;
    const ticks =
      Number(d ?? 0) * TICKS_PER_DAY +
      Number(h) * TICKS_PER_HOUR +
      Number(mi) * TICKS_PER_MINUTE +
      Number(s ?? 0) * TICKS_PER_SECOND +
      Number((f ?? '').padEnd(7, '0'));
    return neg ? -ticks : ticks;
  }
  const m = /^(-?\d+(?:\.\d+)?(?:e[+-]?\d+)?)\s*([a-z]+)$/i.exec(t);
  if (m) {
    const unit = TIMESPAN_UNITS[(m[2] ?? '').toLowerCase()];
    if (unit !== undefined) return Math.round(Number(m[1]) * unit);
  }
  return null;
}
