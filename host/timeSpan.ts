// host.json durations are .NET TimeSpan strings: `[-][d.]hh:mm:ss[.fffffff]` (e.g. "00:05:00", "1.00:00:00",
// "00:00:00.500"). A few settings (queues.maxPollingInterval in older docs) also accept a plain number of milliseconds.

const TIME_SPAN = /^(-)?(?:(\d+)\.)?(\d{1,2}):(\d{1,2})(?::(\d{1,2})(?:\.(\d{1,7}))?)?$/;

/**
 * Parse a .NET TimeSpan string (or a number of milliseconds) into milliseconds.
 * @param value - e.g. "00:10:00", "1.02:03:04.5", 2000
 * @param name - setting name, for the error message
 * @throws {Error} when the value is not a TimeSpan
 */
export function parseTimeSpan(value: unknown, name = 'duration'): number {
  if (typeof value === 'number' && Number.isFinite(value)) return value;
  const m = typeof value === 'string' ? TIME_SPAN.exec(value.trim()) : null;
  if (!m) throw new Error(`${name}: expected a TimeSpan like "00:05:00", got ${JSON.stringify(value)}`);
  const [, neg, days, hours, minutes, seconds, fraction] = m;
  const h = Number(hours);
  const min = Number(minutes);
  const s = Number(seconds ?? 0);
  if (h > 23 || min > 59 || s > 59) throw new Error(`${name}: out-of-range TimeSpan ${JSON.stringify(value)}`);
  const ms =
    Number(days ?? 0) * 86_400_000 + h * 3_600_000 + min * 60_000 + s * 1000 + Number(`0.${fraction ?? '0'}`) * 1000;
  return neg ? -ms : Math.round(ms);
}

/** Format milliseconds as `hh:mm:ss` (days folded into hours), as the host prints timeouts. */
export function formatTimeSpan(ms: number): string {
  const total = Math.floor(ms / 1000);
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${pad(Math.floor(total / 3600))}:${pad(Math.floor((total % 3600) / 60))}:${pad(total % 60)}`;
}
