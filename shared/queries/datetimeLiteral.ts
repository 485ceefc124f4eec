// Strict ISO 8601 date-time parsing and the canonical KQL datetime literal (UTC, 7 fractional digits = 100 ns ticks).

export type Parsed<T> = { ok: true; value: T } | { ok: false; reason: string };

const ISO_DATETIME = /^(\d{4})-(\d{2})-(\d{2})(?:T(\d{2}):(\d{2})(?::(\d{2})(?:\.(\d+))?)?(Z|[+-]\d{2}:\d{2})?)?$/;

const pad = (n: number, width: number): string => String(n).padStart(width, '0');

/**
 * Parses `2026-11-25T10:00:00Z`, `2026-11-25T11:00:00.1234567+01:00`, `2026-11-25T10:00Z` or a date alone
 * (`2026-11-25`, midnight UTC) and returns the literal `datetime(2026-11-25T10:00:00.0000000Z)`.
 * A time without a zone is refused rather than guessed; so are impossible dates (Feb 30, 24:00, leap seconds) and
 * anything outside KQL's range (years 0001-9999 after conversion to UTC).
 */
export function parseDatetimeLiteral(text: string): Parsed<string> {
  const m = ISO_DATETIME.exec(text);
  if (!m) return { ok: false, reason: 'must be an ISO 8601 date-time like "2026-11-25T10:00:00Z"' };
  const [, y, mo, d, h = '00', mi = '00', s = '00', fraction = '', zone] = m;
  if (m[4] !== undefined && zone === undefined) {
    return { ok: false, reason: 'needs a time zone: end it with "Z" or an offset like "+01:00"' };
  }
  if (fraction.length > 7) {
    return { ok: false, reason: 'has more than 7 fractional-second digits (KQL datetimes have 100 ns resolution)' };
  }
  const year = Number(y);
  const month = Number(mo);
  const day = Number(d);
  const hour = Number(h);
  const minute = Number(mi);
  const second = Number(s);
  const date = new Date(0);
  date.setUTCFullYear(year, month - 1, day); // setUTCFullYear, not Date.UTC: Date.UTC maps years 0-99 to 1900-1999
  date.setUTCHours(hour, minute, second, 0);
  const calendarOk = date.getUTCFullYear() === year && date.getUTCMonth() === month - 1 && date.getUTCDate() === day;
  if (!calendarOk || hour > 23 || minute > 59 || second > 59) {
    return { ok: false, reason: 'is not a valid calendar date and time' };
  }
  let offsetMinutes = 0;
  if (zone !== undefined && zone !== 'Z') {
    const oh = Number(zone.slice(1, 3));
    const om = Number(zone.slice(4, 6));
    if (oh > 23 || om > 59) return { ok: false, reason: 'has an invalid UTC offset' };
    offsetMinutes = (zone.startsWith('-') ? -1 : 1) * (oh * 60 + om);
  }
  const utc = new Date(date.getTime() - offsetMinutes * 60_000);
  const utcYear = utc.getUTCFullYear();
  if (utcYear < 1 || utcYear > 9999)
    return { ok: false, reason: 'is outside the KQL datetime range (years 0001 to 9999)' };
  const text7 =
    `${pad(utcYear, 4)}-${pad(utc.getUTCMonth() + 1, 2)}-${pad(utc.getUTCDate(), 2)}` +
    `T${pad(utc.getUTCHours(), 2)}:${pad(utc.getUTCMinutes(), 2)}:${pad(utc.getUTCSeconds(), 2)}.${fraction.padEnd(7, '0')}Z`;
  return { ok: true, value: `datetime(${text7})` };
}
