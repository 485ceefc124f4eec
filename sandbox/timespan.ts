// Graph runHuntingQuery `Timespan` (defender-api.md §2.1): an ISO-8601 interval, duration, or start time.
// Forms: "start/end", "P30D/end", "start/P30D", "P30D" (ending now), "start" (ending now).

const DURATION =
  /^P(?:(\d+(?:\.\d+)?)Y)?(?:(\d+(?:\.\d+)?)M)?(?:(\d+(?:\.\d+)?)W)?(?:(\d+(?:\.\d+)?)D)?(?:T(?:(\d+(?:\.\d+)?)H)?(?:(\d+(?:\.\d+)?)M)?(?:(\d+(?:\.\d+)?)S)?)?$/i;
const INSTANT = /^\d{4}-\d{2}-\d{2}(?:T\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?(?:Z|[+-]\d{2}:?\d{2})?$/i;

/** Milliseconds in an ISO-8601 duration (years as 365 days, months as 30), or undefined. */
export function parseDuration(text: string): number | undefined {
  const m = DURATION.exec(text.trim());
  if (!m || text.trim().toUpperCase() === 'P' || /T$/i.test(text.trim())) return undefined;
  const n = (i: number): number => Number(m[i] ?? 0);
  const days = n(1) * 365 + n(2) * 30 + n(3) * 7 + n(4);
  return ((days * 24 + n(5)) * 60 + n(6)) * 60_000 + n(7) * 1000;
}

function parseInstant(text: string): Date | undefined {
  const t = text.trim();
  if (!INSTANT.test(t)) return undefined;
  // A date-time without an offset is UTC, as the service treats it.
  const ms = Date.parse(/T/i.test(t) && !/(Z|[+-]\d{2}:?\d{2})$/i.test(t) ? `${t}Z` : t);
  return Number.isNaN(ms) ? undefined : new Date(ms);
}

export interface TimeWindow {
  start: Date;
  end: Date;
}

/** Parses a Timespan; undefined when it is not one of the accepted forms or ends before it starts. */
export function parseTimespan(text: string, now: Date): TimeWindow | undefined {
  const parts = text.split('/');
  let window: TimeWindow | undefined;
  if (parts.length === 1) {
    const d = parseDuration(parts[0] ?? '');
    if (d !== undefined) window = { start: new Date(now.getTime() - d), end: now };
    else {
      const start = parseInstant(parts[0] ?? '');
      if (start) window = { start, end: now };
    }
  } else if (parts.length === 2) {
    const [a = '', b = ''] = parts;
    const da = parseDuration(a);
    const db = parseDuration(b);
    const ia = parseInstant(a);
    const ib = parseInstant(b);
    if (ia && ib) window = { start: ia, end: ib };
    else if (da !== undefined && ib) window = { start: new Date(ib.getTime() - da), end: ib };
    else if (ia && db !== undefined) window = { start: ia, end: new Date(ia.getTime() + db) };
  }
  if (!window || window.start.getTime() > window.end.getTime()) return undefined;
  return window;
}

export const DEFAULT_TIMESPAN_MS = 30 * 86_400_000;
