// NCRONTAB as the Functions timer trigger reads it (NCrontab with seconds), evaluated in UTC with cron-parser.
// Differences from cron-parser's own dialect that matter here:
// - day of week is 0-6 with 0 = Sunday (no 7), and names match on their first three letters ("Mon", "monday");
// - when both day of month and day of week are restricted, a day must match BOTH (NCrontab checks the day of week
//   after finding a matching day of month); classic cron, and cron-parser, accept either;
// - only `*`, numbers, names, `a-b`, `/step` and lists exist (no `L`, `W`, `#`, `?`, `H`);
// - a 5-field expression is taken as having no seconds field (the host does the same).
import { CronExpressionParser } from 'cron-parser';

const MONTHS = ['jan', 'feb', 'mar', 'apr', 'may', 'jun', 'jul', 'aug', 'sep', 'oct', 'nov', 'dec'];
const DAYS = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'];
const FIELDS = [
  { name: 'second', min: 0, max: 59 },
  { name: 'minute', min: 0, max: 59 },
  { name: 'hour', min: 0, max: 23 },
  { name: 'day', min: 1, max: 31 },
  { name: 'month', min: 1, max: 12, names: MONTHS, nameBase: 1 },
  { name: 'day-of-week', min: 0, max: 6, names: DAYS, nameBase: 0 },
] as const;
const ITEM = /^(\*|(\d+)(?:-(\d+))?)(?:\/(\d+))?$/;
/** A day-of-month that never meets a restricted day of week would loop forever; 28 years cover every calendar. */
const MAX_DAY_SKIPS = 28 * 366;

export interface NcrontabSchedule {
  /** The normalised 6-field expression. */
  readonly expression: string;
  /** First occurrence strictly after `after`. */
  next(after: Date): Date;
  /** Last occurrence strictly before `before`. */
  prev(before: Date): Date;
}

function normaliseField(raw: string, index: number): { text: string; values: Set<number> } {
  const spec = FIELDS[index]!;
  const named = raw.replace(/[a-z]+/gi, (word) => {
    const names = 'names' in spec ? spec.names : undefined;
    const i = names && word.length >= 3 ? names.indexOf(word.slice(0, 3).toLowerCase()) : -1;
    if (!('nameBase' in spec) || i < 0) throw new Error(`invalid ${spec.name} field "${raw}"`);
    return String(i + spec.nameBase);
  });
  const values = new Set<number>();
  for (const item of named.split(',')) {
    const m = ITEM.exec(item);
    if (!m) throw new Error(`invalid ${spec.name} field "${raw}"`);
    const [, whole, from, to, step] = m;
    let lo: number = spec.min;
    let hi: number = spec.max;
    if (whole !== '*') {
      lo = Number(from);
      // NCrontab reads "a/n" as "a-max/n".
      hi = to !== undefined ? Number(to) : step !== undefined ? spec.max : lo;
    }
    const inc = step === undefined ? 1 : Number(step);
    if (lo < spec.min || hi > spec.max || lo > hi || inc < 1) {
      throw new Error(`${spec.name} field "${raw}" is out of range ${spec.min}-${spec.max}`);
    }
    for (let v = lo; v <= hi; v += inc) values.add(v);
  }
  return { text: named, values };
}

/**
 * Parse an NCRONTAB expression (6 fields with seconds, or 5 without).
 * @throws {Error} on syntax errors or out-of-range values, naming the field
 */
export function parseNcrontab(expression: string): NcrontabSchedule {
  let parts = expression.trim().split(/\s+/);
  if (parts.length === 5) parts = ['0', ...parts];
  if (parts.length !== 6) throw new Error(`"${expression}" is not a valid NCRONTAB expression (6 fields expected)`);
  const fields = parts.map((p, i) => normaliseField(p, i));
  const dow = fields[5]!.values;
  const anyDay = dow.size === 7;
  // Day of week is applied here, so cron-parser only ever sees a wildcard there (and its OR rule never applies).
  const base = [...fields.slice(0, 5).map((f) => f.text), '*'].join(' ');
  const normalised = [...fields.slice(0, 5).map((f) => f.text), fields[5]!.text].join(' ');
  try {
    CronExpressionParser.parse(base, { tz: 'UTC' });
  } catch (err) {
    throw new Error(`"${expression}" is not a valid NCRONTAB expression: ${(err as Error).message}`, { cause: err });
  }

  const step = (from: Date, forward: boolean): Date => {
    let cursor = from;
    for (let i = 0; i < MAX_DAY_SKIPS; i++) {
      const expr = CronExpressionParser.parse(base, { currentDate: cursor, tz: 'UTC' });
      const hit = (forward ? expr.next() : expr.prev()).toDate();
      if (anyDay || dow.has(hit.getUTCDay())) return hit;
      // Skip the rest of that day, as NCrontab does, instead of walking every second of it.
      const day = Date.UTC(hit.getUTCFullYear(), hit.getUTCMonth(), hit.getUTCDate());
      cursor = new Date(forward ? day + 86_400_000 - 1 : day);
    }
    throw new Error(`"${expression}" never occurs`);
  };

  return {
    expression: normalised,
    next: (after) => step(after, true),
    prev: (before) => step(before, false),
  };
}
