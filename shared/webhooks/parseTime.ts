// Ticket timestamps → ISO-8601 UTC. ServiceNow stores `yyyy-MM-dd HH:mm:ss` in UTC with no zone; Jira writes
// offsets without a colon (`+0700`), which not every Date parser accepts, so both are normalised here.
import { InputError } from '../errors';

const DATE_TIME = /^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?(Z|[+-]\d{2}:?\d{2})?$/i;

/**
 * @param text - `2024-11-25 14:01:40` (UTC), `2024-11-25T14:01:40.123+0700`, `2024-11-25T14:01:40Z`, …
 * @throws {InputError} naming `where` when the text is not a real date-time.
 */
export function isoTime(text: string, where: string): string {
  const m = DATE_TIME.exec(text.trim());
  const fail = (): never => {
    throw new InputError(where, `${where} must be a date-time such as 2024-11-25 14:01:40 (UTC) or ISO 8601`);
  };
  if (!m) return fail();
  const [y, mo, d, h, mi, s] = [m[1], m[2], m[3], m[4], m[5], m[6] ?? '0'].map(Number) as [
    number,
    number,
    number,
    number,
    number,
    number,
  ];
  const ms = Number((m[7] ?? '0').padEnd(3, '0').slice(0, 3));
  const local = Date.UTC(y, mo - 1, d, h, mi, s, ms);
  const check = new Date(local);
  // Date.UTC rolls 2024-02-30 over to March; a real date reads back unchanged.
  if (
    check.getUTCFullYear() !== y ||
    check.getUTCMonth() !== mo - 1 ||
    check.getUTCDate() !== d ||
    h > 23 ||
    mi > 59 ||
    s > 59
  )
    return fail();
  const zone = (m[8] ?? 'Z').toUpperCase();
  let offsetMinutes = 0;
  if (zone !== 'Z') {
    const digits = zone.replace(':', '');
    const oh = Number(digits.slice(1, 3));
    const om = Number(digits.slice(3, 5));
    if (oh > 14 || om > 59) return fail();
    offsetMinutes = (digits[0] === '-' ? -1 : 1) * (oh * 60 + om);
  }
  return new Date(local - offsetMinutes * 60_000).toISOString();
}

/** Milliseconds since the epoch → ISO, for Jira's payload `timestamp`. */
export function isoFromMillis(ms: unknown, where: string): string {
  if (typeof ms !== 'number' || !Number.isFinite(ms) || Math.abs(ms) > 8.64e15) {
    throw new InputError(where, `${where} must be the event time in milliseconds since the epoch`);
  }
  return new Date(ms).toISOString();
}
