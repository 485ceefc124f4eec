// Datetime functions (data-explorer/kusto/query/*-function.md): parts, boundaries (start/end of day, week, month,
// year; weeks start on Sunday), datetime_diff/datetime_add/datetime_part, format_datetime, unix time conversions.
import { arg, expect, longArg, realArg, strings, unary, type ScalarFunction } from './functionHelpers';
import type { Compiled, FunctionContext } from './compiled';
import {
  addTicks,
  datetimeFromParts,
  datetimeToParts,
  TICKS_PER_DAY,
  TICKS_PER_HOUR,
  TICKS_PER_MINUTE,
  TICKS_PER_MS,
  TICKS_PER_SECOND,
} from './datetime';
import type { KqlType } from './types';
import { toDatetime, toTimespan, type Row } from './values';

function dateArg(fx: FunctionContext, fn: string, a: Compiled, i: number): (row: Row) => string | null {
  expect(fx, fn, a, i, ['datetime']);
  const ev = a.ev;
  const type = a.type;
  return (row) => toDatetime(ev(row), type);
}

function utc(dt: string): Date {
  return new Date(datetimeToParts(dt).ms);
}

function fromDate(d: Date): string | null {
  return datetimeFromParts(d.getTime(), 0);
}

/** A datetime → value function. */
function datePart(
  fn: string,
  type: KqlType,
  f: (d: Date, dt: string) => unknown,
  resultName?: 'first',
): ScalarFunction {
  return {
    minArgs: 1,
    maxArgs: 1,
    ...(resultName ? { resultName } : {}),
    compile: (args, fx) => {
      const dt = dateArg(fx, fn, arg(args, 0), 0);
      return {
        type,
        ev: (row) => {
          const v = dt(row);
          return v === null ? null : f(utc(v), v);
        },
      };
    },
  };
}

type Unit =
  | 'year'
  | 'quarter'
  | 'month'
  | 'week'
  | 'day'
  | 'hour'
  | 'minute'
  | 'second'
  | 'millisecond'
  | 'microsecond'
  | 'nanosecond';

const UNIT_NAMES: Record<string, Unit> = {
  year: 'year',
  quarter: 'quarter',
  month: 'month',
  week: 'week',
  week_of_year: 'week',
  day: 'day',
  dayofyear: 'day',
  hour: 'hour',
  minute: 'minute',
  second: 'second',
  millisecond: 'millisecond',
  microsecond: 'microsecond',
  nanosecond: 'nanosecond',
};

function unitOf(fx: FunctionContext, fn: string, a: Compiled): Unit {
  if (!a.constant) fx.fail(`${fn}(): the period must be a constant`);
  const unit = UNIT_NAMES[String(a.ev({})).toLowerCase()];
  if (!unit) fx.fail(`${fn}(): unknown period '${String(a.ev({}))}'`);
  return unit;
}

const FIXED_TICKS: Partial<Record<Unit, number>> = {
  day: TICKS_PER_DAY,
  hour: TICKS_PER_HOUR,
  minute: TICKS_PER_MINUTE,
  second: TICKS_PER_SECOND,
  millisecond: TICKS_PER_MS,
  microsecond: 10,
  nanosecond: 0.01,
};

function ticksSinceEpoch(dt: string): number {
  const { ms, subTicks } = datetimeToParts(dt);
  return ms * TICKS_PER_MS + subTicks;
}

function startOfWeek(d: Date): Date {
  return new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate() - d.getUTCDay()));
}

/** datetime_diff: how many period boundaries lie between b and a (a - b). */
function periodsBetween(unit: Unit, a: string, b: string): number {
  const da = utc(a);
  const db = utc(b);
  switch (unit) {
    case 'year':
      return da.getUTCFullYear() - db.getUTCFullYear();
    case 'quarter':
      return (
        (da.getUTCFullYear() - db.getUTCFullYear()) * 4 +
        Math.floor(da.getUTCMonth() / 3) -
        Math.floor(db.getUTCMonth() / 3)
      );
    case 'month':
      return (da.getUTCFullYear() - db.getUTCFullYear()) * 12 + da.getUTCMonth() - db.getUTCMonth();
    case 'week':
      return Math.round((startOfWeek(da).getTime() - startOfWeek(db).getTime()) / (7 * 86_400_000));
    default: {
      const size = FIXED_TICKS[unit] as number;
      return Math.floor(ticksSinceEpoch(a) / size) - Math.floor(ticksSinceEpoch(b) / size);
    }
  }
}

function addPeriods(unit: Unit, amount: number, dt: string): string | null {
  const fixed = FIXED_TICKS[unit];
  if (fixed !== undefined) return addTicks(dt, amount * fixed);
  if (unit === 'week') return addTicks(dt, amount * 7 * TICKS_PER_DAY);
  const { ms, subTicks } = datetimeToParts(dt);
  const d = new Date(ms);
  const months = unit === 'year' ? amount * 12 : unit === 'quarter' ? amount * 3 : amount;
  const day = d.getUTCDate();
  d.setUTCDate(1);
  d.setUTCMonth(d.getUTCMonth() + months);
  const last = new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + 1, 0)).getUTCDate();
  d.setUTCDate(Math.min(day, last));
  return datetimeFromParts(d.getTime(), subTicks);
}

function isoWeek(d: Date): number {
  const t = new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate()));
  const day = t.getUTCDay() || 7;
  t.setUTCDate(t.getUTCDate() + 4 - day);
  const yearStart = Date.UTC(t.getUTCFullYear(), 0, 1);
  return Math.ceil(((t.getTime() - yearStart) / 86_400_000 + 1) / 7);
}

function dayOfYear(d: Date): number {
  return Math.floor((d.getTime() - Date.UTC(d.getUTCFullYear(), 0, 1)) / 86_400_000) + 1;
}

/** start/end-of functions with an optional offset (in periods). */
function boundary(fn: string, start: (d: Date, offset: number) => Date, end: boolean): ScalarFunction {
  return {
    minArgs: 1,
    maxArgs: 2,
    resultName: 'first',
    compile: (args, fx) => {
      const dt = dateArg(fx, fn, arg(args, 0), 0);
      const offset = args[1] ? longArg(fx, fn, args[1], 1) : () => 0;
      return {
        type: 'datetime',
        ev: (row) => {
          const v = dt(row);
          if (v === null) return null;
          const o = offset(row) ?? 0;
          if (!end) return fromDate(start(utc(v), o));
          const next = start(utc(v), o + 1);
          return datetimeFromParts(next.getTime() - 1, 9999);
        },
      };
    },
  };
}

const dayStart = (d: Date, o: number) => new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate() + o));
const weekStart = (d: Date, o: number) => {
  const s = startOfWeek(d);
  return new Date(s.getTime() + o * 7 * 86_400_000);
};
const monthStart = (d: Date, o: number) => new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + o, 1));
const yearStart = (d: Date, o: number) => new Date(Date.UTC(d.getUTCFullYear() + o, 0, 1));

const MONTHS = [
  'January',
  'February',
  'March',
  'April',
  'May',
  'June',
  'July',
  'August',
  'September',
  'October',
  'November',
  'December',
];
const DAYS = ['Sunday', 'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday'];

/** format_datetime's .NET-style specifiers (format-datetime-function.md). */
function formatDatetime(dt: string, format: string): string {
  const { ms, subTicks } = datetimeToParts(dt);
  const d = new Date(ms);
  const fraction = String(d.getUTCMilliseconds()).padStart(3, '0') + String(subTicks).padStart(4, '0');
  const hour = d.getUTCHours();
  const table: [RegExp, () => string][] = [
    [/^yyyy/, () => String(d.getUTCFullYear()).padStart(4, '0')],
    [/^yy/, () => String(d.getUTCFullYear() % 100).padStart(2, '0')],
    [/^MMMM/, () => MONTHS[d.getUTCMonth()] ?? ''],
    [/^MMM/, () => (MONTHS[d.getUTCMonth()] ?? '').slice(0, 3)],
    [/^MM/, () => String(d.getUTCMonth() + 1).padStart(2, '0')],
    [/^M/, () => String(d.getUTCMonth() + 1)],
    [/^dddd/, () => DAYS[d.getUTCDay()] ?? ''],
    [/^ddd/, () => (DAYS[d.getUTCDay()] ?? '').slice(0, 3)],
    [/^dd/, () => String(d.getUTCDate()).padStart(2, '0')],
    [/^d/, () => String(d.getUTCDate())],
    [/^HH/, () => String(hour).padStart(2, '0')],
    [/^H/, () => String(hour)],
    [/^hh/, () => String(hour % 12 || 12).padStart(2, '0')],
    [/^h/, () => String(hour % 12 || 12)],
    [/^mm/, () => String(d.getUTCMinutes()).padStart(2, '0')],
    [/^m/, () => String(d.getUTCMinutes())],
    [/^ss/, () => String(d.getUTCSeconds()).padStart(2, '0')],
    [/^s/, () => String(d.getUTCSeconds())],
    [/^tt/, () => (hour < 12 ? 'AM' : 'PM')],
  ];
  let out = '';
  let rest = format;
  outer: while (rest.length > 0) {
    const f = /^(f{1,7}|F{1,7})/.exec(rest);
    if (f) {
      const digits = fraction.slice(0, f[0].length);
      out += f[0][0] === 'F' ? digits.replace(/0+$/, '') : digits;
      rest = rest.slice(f[0].length);
      continue;
    }
    for (const [pattern, value] of table) {
      const m = pattern.exec(rest);
      if (m) {
        out += value();
        rest = rest.slice(m[0].length);
        continue outer;
      }
    }
    out += rest[0];
    rest = rest.slice(1);
  }
  return out;
}

function unixTime(fn: string, ticksPerUnit: number): ScalarFunction {
  return {
    minArgs: 1,
    maxArgs: 1,
    compile: (args, fx) => {
      const value = realArg(fx, fn, arg(args, 0), 0);
      return {
        type: 'datetime',
        ev: (row) => {
          const n = value(row);
          if (n === null || !Number.isFinite(n)) return null;
          return addTicks('1970-01-01T00:00:00.0000000Z', n * ticksPerUnit);
        },
      };
    },
  };
}

export const DATE_FUNCTIONS: Record<string, ScalarFunction> = {
  datetime_diff: {
    minArgs: 3,
    maxArgs: 3,
    compile: (args, fx) => {
      const unit = unitOf(fx, 'datetime_diff', arg(args, 0));
      const a = dateArg(fx, 'datetime_diff', arg(args, 1), 1);
      const b = dateArg(fx, 'datetime_diff', arg(args, 2), 2);
      return {
        type: 'long',
        ev: (row) => {
          const x = a(row);
          const y = b(row);
          return x === null || y === null ? null : periodsBetween(unit, x, y);
        },
      };
    },
  },
  datetime_add: {
    minArgs: 3,
    maxArgs: 3,
    compile: (args, fx) => {
      const unit = unitOf(fx, 'datetime_add', arg(args, 0));
      const amount = longArg(fx, 'datetime_add', arg(args, 1), 1);
      const dt = dateArg(fx, 'datetime_add', arg(args, 2), 2);
      return {
        type: 'datetime',
        ev: (row) => {
          const n = amount(row);
          const d = dt(row);
          return n === null || d === null ? null : addPeriods(unit, n, d);
        },
      };
    },
  },
  datetime_part: {
    minArgs: 2,
    maxArgs: 2,
    compile: (args, fx) => {
      const part = String(arg(args, 0).ev({})).toLowerCase();
      const dt = dateArg(fx, 'datetime_part', arg(args, 1), 1);
      const read: Record<string, (d: Date, v: string) => number> = {
        year: (d) => d.getUTCFullYear(),
        quarter: (d) => Math.floor(d.getUTCMonth() / 3) + 1,
        month: (d) => d.getUTCMonth() + 1,
        week_of_year: (d) => isoWeek(d),
        day: (d) => d.getUTCDate(),
        dayofyear: (d) => dayOfYear(d),
        hour: (d) => d.getUTCHours(),
        minute: (d) => d.getUTCMinutes(),
        second: (d) => d.getUTCSeconds(),
        millisecond: (d) => d.getUTCMilliseconds(),
        microsecond: (d, v) => d.getUTCMilliseconds() * 1000 + Math.floor(datetimeToParts(v).subTicks / 10),
        nanosecond: (d, v) => d.getUTCMilliseconds() * 1_000_000 + datetimeToParts(v).subTicks * 100,
      };
      const f = read[part];
      if (!f) return fx.fail(`datetime_part(): unknown part '${part}'`);
      return {
        type: 'int',
        ev: (row) => {
          const v = dt(row);
          return v === null ? null : f(utc(v), v);
        },
      };
    },
  },
  format_datetime: {
    minArgs: 2,
    maxArgs: 2,
    compile: (args, fx) => {
      const dt = dateArg(fx, 'format_datetime', arg(args, 0), 0);
      const format = strings(fx, 'format_datetime', arg(args, 1), 1);
      return {
        type: 'string',
        ev: (row) => {
          const v = dt(row);
          return v === null ? '' : formatDatetime(v, format(row));
        },
      };
    },
  },
  hourofday: datePart('hourofday', 'int', (d) => d.getUTCHours()),
  dayofmonth: datePart('dayofmonth', 'int', (d) => d.getUTCDate()),
  dayofyear: datePart('dayofyear', 'int', (d) => dayOfYear(d)),
  weekofyear: datePart('weekofyear', 'int', (d) => isoWeek(d)),
  week_of_year: datePart('week_of_year', 'int', (d) => isoWeek(d)),
  monthofyear: datePart('monthofyear', 'int', (d) => d.getUTCMonth() + 1),
  getmonth: datePart('getmonth', 'int', (d) => d.getUTCMonth() + 1),
  getyear: datePart('getyear', 'int', (d) => d.getUTCFullYear()),
  dayofweek: datePart('dayofweek', 'timespan', (d) => d.getUTCDay() * TICKS_PER_DAY),
  startofday: boundary('startofday', dayStart, false),
  startofweek: boundary('startofweek', weekStart, false),
  startofmonth: boundary('startofmonth', monthStart, false),
  startofyear: boundary('startofyear', yearStart, false),
  endofday: boundary('endofday', dayStart, true),
  endofweek: boundary('endofweek', weekStart, true),
  endofmonth: boundary('endofmonth', monthStart, true),
  endofyear: boundary('endofyear', yearStart, true),
  unixtime_seconds_todatetime: unixTime('unixtime_seconds_todatetime', TICKS_PER_SECOND),
  unixtime_milliseconds_todatetime: unixTime('unixtime_milliseconds_todatetime', TICKS_PER_MS),
  unixtime_microseconds_todatetime: unixTime('unixtime_microseconds_todatetime', 10),
  unixtime_nanoseconds_todatetime: unixTime('unixtime_nanoseconds_todatetime', 0.01),
  make_datetime: {
    minArgs: 3,
    maxArgs: 7,
    compile: (args, fx) => {
      const parts = args.map((a, i) => realArg(fx, 'make_datetime', a, i));
      return {
        type: 'datetime',
        ev: (row) => {
          const v = parts.map((p) => p(row));
          if (v.some((x) => x === null)) return null;
          const [y, mo, d, h = 0, mi = 0, s = 0] = v as number[];
          const whole = Math.floor(s);
          const ms = Date.UTC(y as number, (mo as number) - 1, d, h, mi, whole);
          return datetimeFromParts(ms, 0) === null
            ? null
            : addTicks(datetimeFromParts(ms, 0) as string, (s - whole) * TICKS_PER_SECOND);
        },
      };
    },
  },
  make_timespan: {
    minArgs: 2,
    maxArgs: 5,
    compile: (args, fx) => {
      const parts = args.map((a, i) => realArg(fx, 'make_timespan', a, i));
      return {
        type: 'timespan',
        ev: (row) => {
          const v = parts.map((p) => p(row));
          if (v.some((x) => x === null)) return null;
          const n = v as number[];
          const [d, h, m, s] =
            n.length <= 3 ? [0, n[0] ?? 0, n[1] ?? 0, n[2] ?? 0] : [n[0] ?? 0, n[1] ?? 0, n[2] ?? 0, n[3] ?? 0];
          return Math.round(d * TICKS_PER_DAY + h * TICKS_PER_HOUR + m * TICKS_PER_MINUTE + s * TICKS_PER_SECOND);
        },
      };
    },
  },
  format_timespan: {
    minArgs: 2,
    maxArgs: 2,
    compile: (args, fx) => {
      const span = arg(args, 0);
      expect(fx, 'format_timespan', span, 0, ['timespan']);
      const format = strings(fx, 'format_timespan', arg(args, 1), 1);
      return unary('string', span, (v) => {
        const t = toTimespan(v, span.type);
        if (t === null) return '';
        const abs = Math.abs(t);
        const fields: Record<string, number> = {
          d: Math.floor(abs / TICKS_PER_DAY),
          h: Math.floor(abs / TICKS_PER_HOUR) % 24,
          m: Math.floor(abs / TICKS_PER_MINUTE) % 60,
          s: Math.floor(abs / TICKS_PER_SECOND) % 60,
        };
        return format({}).replace(/d+|h+|H+|m+|s+|f+/g, (tok) => {
          const key = tok[0]?.toLowerCase() ?? '';
          if (key === 'f')
            return String(abs % TICKS_PER_SECOND)
              .padStart(7, '0')
              .slice(0, tok.length);
          return String(fields[key] ?? 0).padStart(tok.length, '0');
        });
      });
    },
  },
};
