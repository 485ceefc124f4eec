// Runtime values and conversions. Representation by KQL type: string → JS string ('' is Kusto's empty/null string);
// long/int/real → number | null; bool → boolean | null; datetime → canonical text | null (datetime.ts);
// timespan → ticks | null; guid → lowercase text | null; dynamic → a JSON value (null, number, string, boolean,
// array, object), with datetimes inside it as text.
import {
  datetimeToDisplayString,
  formatTimespan,
  isCanonicalDatetime,
  normalizeDatetime,
  parseDatetimeText,
  parseTimespanText,
} from './datetime';
import { KqlError, type KqlType } from './types';

export type Row = Record<string, unknown>;

export function isNumericType(t: KqlType): boolean {
  return t === 'long' || t === 'int' || t === 'real';
}

/** Kusto's tostring(). */
export function toKqlString(v: unknown, type: KqlType): string {
  if (v === null || v === undefined) return '';
  switch (type) {
    case 'string':
    case 'guid':
      return String(v);
    case 'datetime':
      return datetimeToDisplayString(String(v));
    case 'timespan':
      return formatTimespan(Number(v));
    case 'dynamic':
      return typeof v === 'string' ? v : JSON.stringify(v);
    case 'real':
      return formatReal(Number(v));
    default:
      return String(v);
  }
}

function formatReal(n: number): string {
  if (Number.isNaN(n)) return 'NaN';
  if (n === Infinity) return 'Infinity';
  if (n === -Infinity) return '-Infinity';
  return String(n);
}

export function toLong(v: unknown, type: KqlType): number | null {
  if (v === null || v === undefined) return null;
  if (type === 'timespan') return Math.trunc(Number(v));
  if (typeof v === 'number') return Number.isFinite(v) ? Math.trunc(v) : null;
  if (typeof v === 'boolean') return v ? 1 : 0;
  if (typeof v === 'string') {
    const t = v.trim();
    if (!/^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$/.test(t)) return null;
    const n = Number(t);
    return Number.isFinite(n) ? Math.trunc(n) : null;
  }
  return null;
}

export function toInt(v: unknown, type: KqlType): number | null {
  const n = toLong(v, type);
  return n === null ? null : n | 0;
}

export function toReal(v: unknown, type: KqlType): number | null {
  if (v === null || v === undefined) return null;
  if (typeof v === 'number') return v;
  if (type === 'datetime' || type === 'timespan') return null;
  if (typeof v === 'boolean') return v ? 1 : 0;
  if (typeof v === 'string') {
    const t = v.trim().toLowerCase();
    if (t === 'nan') return NaN;
    if (t === 'inf' || t === '+inf' || t === 'infinity') return Infinity;
    if (t === '-inf' || t === '-infinity') return -Infinity;
    if (!/^[+-]?(\d+(\.\d*)?|\.\d+)([e][+-]?\d+)?$/.test(t)) return null;
    return Number(t);
  }
  return null;
}

export function toBool(v: unknown): boolean | null {
  if (v === null || v === undefined) return null;
  if (typeof v === 'boolean') return v;
  if (typeof v === 'number') return v !== 0;
  if (typeof v === 'string') {
    const t = v.trim().toLowerCase();
    if (t === 'true' || t === '1') return true;
    if (t === 'false' || t === '0') return false;
  }
  return null;
}

export function toDatetime(v: unknown, type: KqlType): string | null {
  if (v === null || v === undefined) return null;
  if (type === 'datetime') return v as string;
  if (typeof v === 'string') return isCanonicalDatetime(v) ? v : parseDatetimeText(v);
  if (v instanceof Date) return normalizeDatetime(v);
  return null;
}

export function toTimespan(v: unknown, type: KqlType): number | null {
  if (v === null || v === undefined) return null;
  if (type === 'timespan') return v as number;
  if (typeof v === 'string') return parseTimespanText(v);
  if (typeof v === 'number' && (type === 'long' || type === 'int' || type === 'dynamic')) return Math.trunc(v);
  return null;
}

/** A scalar value as it would appear inside a dynamic value. */
export function toDynamic(v: unknown, type: KqlType): unknown {
  if (v === null || v === undefined) return null;
  switch (type) {
    case 'timespan':
      return formatTimespan(Number(v));
    case 'real':
      return Number.isFinite(v) ? v : formatReal(Number(v));
    default:
      return v;
  }
}

/** Kusto's parse_json()/todynamic(): JSON text becomes a value; other text stays a string. */
export function parseJsonValue(v: unknown, type: KqlType): unknown {
  if (v === null || v === undefined) return null;
  if (type === 'dynamic') {
    if (typeof v !== 'string') return v;
  } else if (type !== 'string') {
    return toDynamic(v, type);
  }
  const s = v as string;
  let parsed: unknown;
  try {
    parsed = JSON.parse(s) as unknown;
  } catch {
    return s;
  }
  if (jsonDepth(s) > MAX_JSON_DEPTH)
    throw new KqlError(
      'unsupported',
      `The query exceeded the sandbox's limits (JSON nested more than ${MAX_JSON_DEPTH} levels deep)`,
    );
  return parsed;
}

/** Deeper values would overflow the stack when the answer is serialised (JSON.stringify recurses). */
const MAX_JSON_DEPTH = 1000;

/** The deepest nesting of arrays and objects in JSON text (brackets inside strings ignored). */
function jsonDepth(s: string): number {
  let depth = 0;
  let max = 0;
  let inString = false;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (inString) {
      if (c === 92) i++;
      else if (c === 34) inString = false;
    } else if (c === 34) inString = true;
    else if (c === 91 || c === 123) max = Math.max(max, ++depth);
    else if (c === 93 || c === 125) depth--;
  }
  return max;
}

/** Converts a value to the runtime representation of `to` (used when one comparison side is dynamic). */
export function coerce(v: unknown, from: KqlType, to: KqlType): unknown {
  if (from === to) return v;
  switch (to) {
    case 'string':
      return toKqlString(v, from);
    case 'guid':
      return v === null || v === undefined ? null : String(v).toLowerCase();
    case 'long':
      return toLong(v, from);
    case 'int':
      return toInt(v, from);
    case 'real':
      return toReal(v, from);
    case 'bool':
      return toBool(v);
    case 'datetime':
      return toDatetime(v, from);
    case 'timespan':
      return toTimespan(v, from);
    case 'dynamic':
      return toDynamic(v, from);
  }
}

/** Orders two non-null values of one type (strings ordinally, as Kusto does). */
export function compareNonNull(a: unknown, b: unknown, type: KqlType): number {
  if (type === 'dynamic') {
    if (typeof a === 'number' && typeof b === 'number') return a - b;
    const sa = toKqlString(a, 'dynamic');
    const sb = toKqlString(b, 'dynamic');
    return sa < sb ? -1 : sa > sb ? 1 : 0;
  }
  if (typeof a === 'number' && typeof b === 'number') {
    if (Number.isNaN(a)) return Number.isNaN(b) ? 0 : -1;
    if (Number.isNaN(b)) return 1;
    return a < b ? -1 : a > b ? 1 : 0;
  }
  if (typeof a === 'boolean' && typeof b === 'boolean') return a === b ? 0 : a ? 1 : -1;
  const sa = String(a);
  const sb = String(b);
  return sa < sb ? -1 : sa > sb ? 1 : 0;
}

export function isNullValue(v: unknown, type: KqlType): boolean {
  if (v === null || v === undefined) return true;
  return type === 'real' && Number.isNaN(v);
}

/** A primitive key that is equal for equal values (grouping, distinct, dcount, make_set). */
export function valueKey(v: unknown): unknown {
  if (v === undefined) return null;
  if (v !== null && typeof v === 'object') return `\u0000${JSON.stringify(v)}`;
  return v;
}

/** One string key for several values (group keys of summarize, distinct). */
export function compositeKey(values: readonly unknown[]): string {
  let key = '';
  for (const v of values) {
    if (v === null || v === undefined) key += 'n\u0001';
    else if (typeof v === 'object') key += `o${JSON.stringify(v)}\u0001`;
    else key += `${(typeof v)[0]}${String(v)}\u0001`;
  }
  return key;
}
