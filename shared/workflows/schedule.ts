// Schedules and durations in workflow files: 6-field NCRONTAB (the Functions timer format, UTC) and the ISO-8601
// durations of the `window` block.
import { CronExpressionParser } from 'cron-parser';
import { DURATION_PATTERN } from './workflowSchema';

/** @returns a problem message, or undefined when the NCRONTAB expression is valid. */
export function checkNcrontab(expr: string): string | undefined {
  const fields = expr.trim().split(/\s+/);
  if (fields.length !== 6) {
    return `must be NCRONTAB with 6 fields '{second} {minute} {hour} {day} {month} {day-of-week}', e.g. '0 */15 * * * *'; got ${fields.length} field${fields.length === 1 ? '' : 's'}`;
  }
  try {
    CronExpressionParser.parse(expr, { tz: 'UTC' });
    return undefined;
  } catch (e) {
    return `is not a valid NCRONTAB expression: ${(e as Error).message}`;
  }
}

/** The next occurrence after `from`, in UTC. */
export function nextOccurrence(expr: string, from: Date): Date {
  return CronExpressionParser.parse(expr, { tz: 'UTC', currentDate: from }).next().toDate();
}

const DURATION = new RegExp(DURATION_PATTERN);

/** 'PT5M' → 300000. Days are 24 h (UTC). @returns undefined for anything else. */
export function parseDuration(text: string): number | undefined {
  if (!DURATION.test(text)) return undefined;
  const m = /^P(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+)S)?)?$/.exec(text);
  if (!m) return undefined;
  const [d, h, min, s] = [m[1], m[2], m[3], m[4]].map((x) => Number(x ?? 0)) as [number, number, number, number];
  return (((d * 24 + h) * 60 + min) * 60 + s) * 1000;
}
