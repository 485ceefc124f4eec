// What a hunting call sends for a time window on each API: Graph takes it as the Timespan parameter; the legacy API
// has none, so the window goes into the query (windowInQuery). One place, used by the hunt step and the HTTP
// hunting endpoint, so both APIs see the same window for the same request.
import { parseHuntingTimespan, type HuntingWindow } from './huntingTimespan';
import { windowInQuery } from './windowInQuery';

export interface HuntingSpan {
  /** A caller's Timespan text (Graph forms); validated the same way for both APIs. */
  timespan?: string | undefined;
  /** A scheduled run's window, used when no timespan is given. */
  window?: HuntingWindow | undefined;
}

export interface HuntingRequest {
  query: string;
  /** Only for Graph: the legacy client never receives one. */
  timespan?: string;
}

/**
 * @param now - the instant a duration-only or start-only timespan ends at.
 * @throws {InputError} on field `timespan` for a timespan the parser refuses or a query the window cannot go into.
 */
export function huntingRequest(
  backend: 'graph' | 'legacy',
  query: string,
  span: HuntingSpan,
  now: Date,
): HuntingRequest {
  const window = span.timespan !== undefined ? parseHuntingTimespan(span.timespan, now) : span.window;
  if (!window) return { query };
  if (backend === 'graph') return { query, timespan: span.timespan ?? `${window.start}/${window.end}` };
  return { query: windowInQuery(query, window) };
}
