// The Graph runHuntingQuery `Timespan` forms (defender-api.md §2.1: "start/end", "P30D/end", "start/P30D", "P30D",
// "start"), parsed into the window they denote. Both APIs accept exactly the same forms, so a timespan that works on
// Graph works on the legacy API (where Riposte writes the window into the query) and the other way round.
import { InputError } from '../errors';
import { parseDatetimeLiteral } from './datetimeLiteral';

/** A time window [start, end): ISO 8601 instants with a zone, as parseDatetimeLiteral accepts them. */
export interface HuntingWindow {
  start: string;
  end: string;
}

const ISO_DURATION =
  /^P(?:(\d+)Y)?(?:(\d+)M)?(?:(\d+)W)?(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+(?:\.\d{1,7})?)S)?)?$/i;

const FORMS = 'P7D, PT1H, 2026-01-01T00:00:00Z, start/end, P7D/end or start/P7D (instants with Z or an offset)';

function fail(text: string, why: string): never {
  throw new InputError('timespan', `timespan '${text}' ${why}; use ${FORMS}`);
}

/** Milliseconds in a duration of weeks, days, hours, minutes and seconds, or undefined when `part` is no duration. */
function durationMs(part: string, text: string): number | undefined {
  const m = ISO_DURATION.exec(part);
  if (!m || /^P$|T$/i.test(part)) return undefined;
  // A month or a year has no fixed length: the same timespan would mean different windows on the two APIs.
  if (m[1] !== undefined || m[2] !== undefined) fail(text, 'uses months or years, which have no fixed length');
  const n = (i: number): number => Number(m[i] ?? 0);
  return (((n(3) * 7 + n(4)) * 24 + n(5)) * 60 + n(6)) * 60_000 + Math.round(n(7) * 1000);
}

/** The instant's milliseconds, or undefined when `part` is not a date-time; a time without a zone is refused. */
function instantMs(part: string, text: string): number | undefined {
  if (!/^\d{4}-\d{2}-\d{2}/.test(part)) return undefined;
  const parsed = parseDatetimeLiteral(part);
  if (!parsed.ok) fail(text, `has an instant that ${parsed.reason}`);
  return Date.parse(parsed.value.slice('datetime('.length, -1));
}

const iso = (ms: number): string => new Date(ms).toISOString();

/**
 * Parses a Timespan into its window at `now` (a duration alone, or a start alone, ends at `now`).
 * @throws {InputError} on field `timespan` for anything else: months or years, a time without a zone, two
 * durations, an end before the start.
 */
export function parseHuntingTimespan(text: string, now: Date): HuntingWindow {
  if (typeof text !== 'string' || text.trim() === '') fail(String(text), 'is empty');
  const parts = text.split('/');
  if (parts.length > 2) fail(text, 'has more than two parts');
  const [a = '', b] = parts;
  const nowMs = now.getTime();
  let window: { start: number; end: number; startText?: string; endText?: string } | undefined;
  if (b === undefined) {
    const d = durationMs(a, text);
    const i = d === undefined ? instantMs(a, text) : undefined;
    if (d !== undefined) window = { start: nowMs - d, end: nowMs };
    else if (i !== undefined) window = { start: i, end: nowMs, startText: a };
  } else {
    const [da, db] = [durationMs(a, text), durationMs(b, text)];
    const ia = da === undefined ? instantMs(a, text) : undefined;
    const ib = db === undefined ? instantMs(b, text) : undefined;
    if (ia !== undefined && ib !== undefined) window = { start: ia, end: ib, startText: a, endText: b };
    else if (da !== undefined && ib !== undefined) window = { start: ib - da, end: ib, endText: b };
    else if (ia !== undefined && db !== undefined) window = { start: ia, end: ia + db, startText: a };
  }
  if (!window) fail(text, 'is not a duration, an instant or an interval');
  if (window.end < window.start) fail(text, 'ends before it starts');
  // Instants keep the caller's text (7 fractional digits survive); computed ends are exact to the millisecond.
  return { start: window.startText ?? iso(window.start), end: window.endText ?? iso(window.end) };
}
