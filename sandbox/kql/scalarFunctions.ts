// The scalar functions the sandbox evaluates, with Kusto's result types and result-column naming.
import { constant, type Compiled, type FunctionContext } from './compiled';
import { arg, commonType, expect, longArg, strings, unary, type ScalarFunction } from './functionHelpers';
import { addTicks, binDatetime, diffTicks, TICKS_PER_DAY } from './datetime';
import { IP_FUNCTIONS } from './ipFunctions';
import { DATE_FUNCTIONS } from './scalarDates';
import { DYNAMIC_FUNCTIONS } from './scalarDynamic';
import { MATH_FUNCTIONS } from './scalarMath';
import { STRING_FUNCTIONS } from './scalarStrings';
import { compileRegex } from './stringOps';
import type { KqlType } from './types';
import {
  coerce,
  parseJsonValue,
  toBool,
  toDatetime,
  toDynamic,
  toInt,
  toKqlString,
  toLong,
  toReal,
  toTimespan,
  type Row,
} from './values';

function conversion(type: KqlType, convert: (v: unknown, from: KqlType) => unknown): ScalarFunction {
  return {
    minArgs: 1,
    maxArgs: 1,
    resultName: 'first',
    compile: (args) => {
      const a = arg(args, 0);
      return unary(type, a, (v) => convert(v, a.type));
    },
  };
}

function isEmptyValue(v: unknown): boolean {
  return v === null || v === undefined || v === '';
}

function branches(
  fx: FunctionContext,
  fn: string,
  values: Compiled[],
): { type: KqlType; evs: ((row: Row) => unknown)[] } {
  const type = commonType(values.map((v) => v.type));
  if (!type)
    fx.fail(`${fn}(): the result arguments must have the same type (found ${values.map((v) => v.type).join(', ')})`);
  return {
    type,
    evs: values.map((v) => {
      const ev = v.ev;
      const from = v.type;
      return (row: Row) => coerce(ev(row), from, type);
    }),
  };
}

function bin(args: Compiled[], fx: FunctionContext, fn: string): Compiled {
  const value = arg(args, 0);
  const size = arg(args, 1);
  if (!size.constant) fx.fail(`${fn}(): the bin size must be a constant`);
  const sizeValue = size.ev({});
  const v = value.ev;
  if (value.type === 'datetime' || value.type === 'timespan') {
    const ticks = toTimespan(sizeValue, size.type);
    if (ticks === null || ticks <= 0) fx.fail(`${fn}(): the bin size must be a positive timespan`);
    if (value.type === 'datetime') {
      return {
        type: 'datetime',
        ev: (row) => {
          const d = v(row) as string | null;
          return d === null ? null : binDatetime(d, ticks);
        },
      };
    }
    return {
      type: 'timespan',
      ev: (row) => {
        const t = v(row) as number | null;
        return t === null ? null : Math.floor(t / ticks) * ticks;
      },
    };
  }
  expect(fx, fn, value, 0, ['long', 'int', 'real', 'datetime', 'timespan']);
  const step = toReal(sizeValue, size.type);
  if (step === null || !(step > 0)) fx.fail(`${fn}(): the bin size must be a positive number`);
  const type: KqlType = value.type === 'dynamic' ? 'real' : value.type === 'int' ? 'int' : value.type;
  const from = value.type;
  return {
    type,
    ev: (row) => {
      const n = toReal(v(row), from);
      return n === null || Number.isNaN(n) ? null : Math.floor(n / step) * step;
    },
  };
}

const BASE_FUNCTIONS: Record<string, ScalarFunction> = {
  ago: {
    minArgs: 1,
    maxArgs: 1,
    compile: (args, fx) => {
      const a = arg(args, 0);
      expect(fx, 'ago', a, 0, ['timespan']);
      const now = fx.now;
      return unary('datetime', a, (v) => {
        const t = toTimespan(v, a.type);
        return t === null ? null : addTicks(now, -t);
      });
    },
  },
  now: {
    minArgs: 0,
    maxArgs: 1,
    compile: (args, fx) => {
      const offset = args[0];
      if (!offset) return constant('datetime', fx.now);
      expect(fx, 'now', offset, 0, ['timespan']);
      const now = fx.now;
      return unary('datetime', offset, (v) => {
        const t = toTimespan(v, offset.type);
        return t === null ? null : addTicks(now, t);
      });
    },
  },
  todatetime: conversion('datetime', toDatetime),
  tostring: conversion('string', toKqlString),
  toint: conversion('int', toInt),
  tolong: conversion('long', toLong),
  todouble: conversion('real', toReal),
  toreal: conversion('real', toReal),
  tobool: conversion('bool', (v) => toBool(v)),
  toboolean: conversion('bool', (v) => toBool(v)),
  totimespan: conversion('timespan', toTimespan),
  totime: conversion('timespan', toTimespan),
  todynamic: conversion('dynamic', parseJsonValue),
  parse_json: conversion('dynamic', parseJsonValue),
  tolower: {
    minArgs: 1,
    maxArgs: 1,
    compile: (args, fx) => {
      const s = strings(fx, 'tolower', arg(args, 0), 0);
      return { type: 'string', ev: (row) => s(row).toLowerCase() };
    },
  },
  toupper: {
    minArgs: 1,
    maxArgs: 1,
    compile: (args, fx) => {
      const s = strings(fx, 'toupper', arg(args, 0), 0);
      return { type: 'string', ev: (row) => s(row).toUpperCase() };
    },
  },
  strcat: {
    minArgs: 1,
    maxArgs: 64,
    compile: (args) => {
      const parts = args.map((a) => {
        const ev = a.ev;
        const t = a.type;
        return (row: Row) => toKqlString(ev(row), t);
      });
      return { type: 'string', ev: (row) => parts.map((p) => p(row)).join('') };
    },
  },
  strlen: {
    minArgs: 1,
    maxArgs: 1,
    resultName: 'nameAndFirst',
    compile: (args, fx) => {
      const s = strings(fx, 'strlen', arg(args, 0), 0);
      return { type: 'long', ev: (row) => s(row).length };
    },
  },
  substring: {
    minArgs: 2,
    maxArgs: 3,
    compile: (args, fx) => {
      const s = strings(fx, 'substring', arg(args, 0), 0);
      const start = longArg(fx, 'substring', arg(args, 1), 1);
      const lengthArg = args[2];
      const length = lengthArg ? longArg(fx, 'substring', lengthArg, 2) : undefined;
      return {
        type: 'string',
        ev: (row) => {
          const text = s(row);
          let from = start(row);
          if (from === null) return '';
          if (from < 0) from = Math.max(0, text.length + from);
          const count = length ? length(row) : text.length;
          if (count === null || count < 0) return '';
          return text.substr(Math.min(from, text.length), count);
        },
      };
    },
  },
  split: {
    minArgs: 2,
    maxArgs: 3,
    resultName: 'first',
    compile: (args, fx) => {
      const s = strings(fx, 'split', arg(args, 0), 0);
      const delimiter = strings(fx, 'split', arg(args, 1), 1);
      const indexArg = args[2];
      const index = indexArg ? longArg(fx, 'split', indexArg, 2) : undefined;
      return {
        type: 'dynamic',
        ev: (row) => {
          const d = delimiter(row);
          const parts = d === '' ? [s(row)] : s(row).split(d);
          if (!index) return parts;
          const i = index(row);
          const part = i === null ? undefined : parts[i];
          return part === undefined ? [] : [part];
        },
      };
    },
  },
  array_length: {
    minArgs: 1,
    maxArgs: 1,
    compile: (args, fx) => {
      const a = arg(args, 0);
      expect(fx, 'array_length', a, 0, ['dynamic']);
      return unary('long', a, (v) => (Array.isArray(v) ? v.length : null));
    },
  },
  iff: { minArgs: 3, maxArgs: 3, compile: (args, fx) => conditional('iff', args, fx) },
  iif: { minArgs: 3, maxArgs: 3, compile: (args, fx) => conditional('iif', args, fx) },
  case: {
    minArgs: 3,
    maxArgs: 1001,
    compile: (args, fx) => {
      if (args.length % 2 === 0) fx.fail('case(): expects pairs of predicate and value followed by an else value');
      const conditions: ((row: Row) => unknown)[] = [];
      const values: Compiled[] = [];
      for (let i = 0; i + 1 < args.length; i += 2) {
        const c = arg(args, i);
        expect(fx, 'case', c, i, ['bool']);
        conditions.push(c.ev);
        values.push(arg(args, i + 1));
      }
      values.push(arg(args, args.length - 1));
      const { type, evs } = branches(fx, 'case', values);
      return {
        type,
        ev: (row) => {
          for (let i = 0; i < conditions.length; i++) {
            if ((conditions[i] as (r: Row) => unknown)(row) === true) return (evs[i] as (r: Row) => unknown)(row);
          }
          return (evs[evs.length - 1] as (r: Row) => unknown)(row);
        },
      };
    },
  },
  coalesce: {
    minArgs: 2,
    maxArgs: 64,
    compile: (args, fx) => {
      const { type, evs } = branches(fx, 'coalesce', args);
      return {
        type,
        ev: (row) => {
          for (const ev of evs) {
            const v = ev(row);
            if (!isEmptyValue(v) && !(typeof v === 'number' && Number.isNaN(v))) return v;
          }
          return type === 'string' ? '' : null;
        },
      };
    },
  },
  bin: { minArgs: 2, maxArgs: 2, resultName: 'first', compile: (args, fx) => bin(args, fx, 'bin') },
  floor: { minArgs: 2, maxArgs: 2, resultName: 'first', compile: (args, fx) => bin(args, fx, 'floor') },
  isempty: { minArgs: 1, maxArgs: 1, compile: (args) => unary('bool', arg(args, 0), isEmptyValue) },
  isnotempty: { minArgs: 1, maxArgs: 1, compile: (args) => unary('bool', arg(args, 0), (v) => !isEmptyValue(v)) },
  isnull: {
    minArgs: 1,
    maxArgs: 1,
    compile: (args) =>
      unary('bool', arg(args, 0), (v) => v === null || v === undefined || (typeof v === 'number' && Number.isNaN(v))),
  },
  isnotnull: {
    minArgs: 1,
    maxArgs: 1,
    compile: (args) =>
      unary(
        'bool',
        arg(args, 0),
        (v) => !(v === null || v === undefined || (typeof v === 'number' && Number.isNaN(v))),
      ),
  },
  not: {
    minArgs: 1,
    maxArgs: 1,
    compile: (args, fx) => {
      const a = arg(args, 0);
      expect(fx, 'not', a, 0, ['bool']);
      return unary('bool', a, (v) => {
        const b = toBool(v);
        return b === null ? null : !b;
      });
    },
  },
  extract: {
    minArgs: 3,
    maxArgs: 3,
    compile: (args, fx) => {
      const pattern = arg(args, 0);
      if (!pattern.constant) fx.fail('extract(): the regular expression must be a constant');
      const regex = regexOrFail(fx, 'extract', toKqlString(pattern.ev({}), pattern.type));
      const group = longArg(fx, 'extract', arg(args, 1), 1);
      const source = arg(args, 2);
      const ev = source.ev;
      const from = source.type;
      return {
        type: 'string',
        ev: (row) => {
          const m = regex.exec(toKqlString(ev(row), from));
          const g = group(row);
          return m && g !== null ? (m[g] ?? '') : '';
        },
      };
    },
  },
  replace_string: {
    minArgs: 3,
    maxArgs: 3,
    compile: (args, fx) => {
      const s = strings(fx, 'replace_string', arg(args, 0), 0);
      const lookup = strings(fx, 'replace_string', arg(args, 1), 1);
      const rewrite = strings(fx, 'replace_string', arg(args, 2), 2);
      return {
        type: 'string',
        ev: (row) => {
          const l = lookup(row);
          return l === '' ? s(row) : s(row).split(l).join(rewrite(row));
        },
      };
    },
  },
  indexof: {
    minArgs: 2,
    maxArgs: 2,
    compile: (args, fx) => {
      const s = strings(fx, 'indexof', arg(args, 0), 0);
      const lookup = strings(fx, 'indexof', arg(args, 1), 1);
      return { type: 'long', ev: (row) => s(row).indexOf(lookup(row)) };
    },
  },
  startofday: {
    minArgs: 1,
    maxArgs: 1,
    resultName: 'first',
    compile: (args, fx) => {
      const a = arg(args, 0);
      expect(fx, 'startofday', a, 0, ['datetime']);
      return unary('datetime', a, (v) => {
        const d = toDatetime(v, a.type);
        return d === null ? null : binDatetime(d, TICKS_PER_DAY);
      });
    },
  },
  pack_array: {
    minArgs: 1,
    maxArgs: 64,
    compile: (args) => {
      const parts = args.map((a) => {
        const ev = a.ev;
        const t = a.type;
        return (row: Row) => toDynamic(ev(row), t);
      });
      return { type: 'dynamic', ev: (row) => parts.map((p) => p(row)) };
    },
  },
  bag_pack: { minArgs: 2, maxArgs: 128, compile: (args, fx) => pack('bag_pack', args, fx) },
  pack: { minArgs: 2, maxArgs: 128, compile: (args, fx) => pack('pack', args, fx) },
  pack_dictionary: { minArgs: 2, maxArgs: 128, compile: (args, fx) => pack('pack_dictionary', args, fx) },
  todecimal: conversion('real', toReal),
  toguid: conversion('guid', (v, from) => coerce(v, from, 'guid')),
  parsejson: conversion('dynamic', parseJsonValue),
  ingestion_time: { minArgs: 0, maxArgs: 0, compile: () => constant('datetime', null) },
  bin_at: {
    minArgs: 3,
    maxArgs: 3,
    resultName: 'first',
    compile: (args, fx) => {
      const value = arg(args, 0);
      const size = arg(args, 1);
      const at = arg(args, 2);
      if (!at.constant) fx.fail('bin_at(): the fixed point must be a constant');
      const base = bin([value, size], fx, 'bin_at');
      const anchor = at.ev({});
      if (value.type === 'datetime') {
        const offset = binDatetime(anchor as string, toTimespan(size.ev({}), size.type) ?? 1);
        const shift = offset === null ? 0 : diffTicks(anchor as string, offset);
        return {
          type: 'datetime',
          ev: (row) => {
            const v = value.ev(row) as string | null;
            if (v === null) return null;
            const b = binDatetime(addTicks(v, -shift) as string, toTimespan(size.ev({}), size.type) ?? 1);
            return b === null ? null : addTicks(b, shift);
          },
        };
      }
      const step = toReal(size.ev({}), size.type) ?? 1;
      const a = toReal(anchor, at.type) ?? 0;
      return {
        type: base.type,
        ev: (row) => {
          const n = toReal(value.ev(row), value.type);
          return n === null ? null : Math.floor((n - a) / step) * step + a;
        },
      };
    },
  },
};

/** Every scalar function the sandbox evaluates. */
export const SCALAR_FUNCTIONS: Record<string, ScalarFunction> = {
  ...BASE_FUNCTIONS,
  ...STRING_FUNCTIONS,
  ...DATE_FUNCTIONS,
  ...MATH_FUNCTIONS,
  ...DYNAMIC_FUNCTIONS,
  ...IP_FUNCTIONS,
};

function regexOrFail(fx: FunctionContext, fn: string, pattern: string): RegExp {
  try {
    return compileRegex(pattern);
  } catch (e) {
    return fx.fail(`${fn}(): invalid regular expression '${pattern}': ${e instanceof Error ? e.message : String(e)}`);
  }
}

function conditional(fn: string, args: Compiled[], fx: FunctionContext): Compiled {
  const condition = arg(args, 0);
  expect(fx, fn, condition, 0, ['bool']);
  const { type, evs } = branches(fx, fn, [arg(args, 1), arg(args, 2)]);
  const [whenTrue, whenFalse] = evs as [(row: Row) => unknown, (row: Row) => unknown];
  const c = condition.ev;
  return { type, ev: (row) => (toBool(c(row)) === true ? whenTrue(row) : whenFalse(row)) };
}

function pack(fn: string, args: Compiled[], fx: FunctionContext): Compiled {
  if (args.length % 2 !== 0) fx.fail(`${fn}(): expects key and value pairs`);
  const pairs: [(row: Row) => string, (row: Row) => unknown][] = [];
  for (let i = 0; i < args.length; i += 2) {
    const value = arg(args, i + 1);
    const ev = value.ev;
    const t = value.type;
    pairs.push([strings(fx, fn, arg(args, i), i), (row: Row) => toDynamic(ev(row), t)]);
  }
  return {
    type: 'dynamic',
    ev: (row) => {
      const bag: Record<string, unknown> = {};
      for (const [k, v] of pairs) bag[k(row)] = v(row);
      return bag;
    },
  };
}

/** Regex matching for `matches regex` with a constant pattern, searched anywhere in the text. */
export function compileMatchesRegex(fx: FunctionContext, pattern: Compiled): RegExp {
  return regexOrFail(fx, 'matches regex', toKqlString(pattern.ev({}), pattern.type));
}
