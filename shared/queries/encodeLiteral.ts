// Validation and encoding of one parameter value as a KQL literal. Values usually arrive as JSON (webhooks, HTTP),
// so each type accepts exactly one JSON shape and refuses look-alikes ("5" for an int, "true" for a bool).
import { InputError } from '../errors';
import { parseDatetimeLiteral } from './datetimeLiteral';
import { kqlStringLiteral } from './kqlStringLiteral';
import { formatTimespanLiteral, parseTimespanTicks } from './timespanLiteral';
import type { QueryParamDef } from './types';

/** Longest string accepted unless the header sets `maxLength`. */
export const DEFAULT_MAX_STRING_LENGTH = 4096;
/** Longest list accepted unless the header sets `maxItems`. */
export const DEFAULT_MAX_ITEMS = 1000;

const INT32_MIN = -2_147_483_648;
const INT32_MAX = 2_147_483_647;

const UNPAIRED_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

/** A short, JSON-escaped description of a value for error messages (never multi-line, never long). */
export function describeValue(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return `a list of ${value.length}`;
  if (value instanceof Date) return 'a Date';
  switch (typeof value) {
    case 'string':
      return value.length > 40
        ? `${JSON.stringify(value.slice(0, 40))}… (${value.length} characters)`
        : JSON.stringify(value);
    case 'number':
    case 'boolean':
    case 'bigint':
      return `${typeof value} ${String(value)}`;
    case 'undefined':
      return 'nothing';
    case 'object':
      return 'an object';
    default:
      return `a ${typeof value}`;
  }
}

function fail(field: string, problem: string): never {
  throw new InputError(field, `${field} ${problem}`);
}

const patternCache = new Map<string, RegExp>();

/** The header pattern as a whole-value match (`u` flag so `.` and classes see code points). */
export function compilePattern(pattern: string): RegExp {
  let re = patternCache.get(pattern);
  if (!re) {
    re = new RegExp(`^(?:${pattern})$`, 'u');
    patternCache.set(pattern, re);
  }
  return re;
}

function encodeString(field: string, def: QueryParamDef, value: unknown): string {
  if (typeof value !== 'string') fail(field, `must be a string (got ${describeValue(value)})`);
  const max = def.maxLength ?? DEFAULT_MAX_STRING_LENGTH;
  if (value.length > max) fail(field, `is too long: ${value.length} characters, at most ${max} allowed`);
  // NUL: no entity value needs it and C-string code downstream may truncate at it. Unpaired surrogates: not Unicode,
  // so the UTF-8 request body could not carry them faithfully. Both are refused rather than silently changed.
  const nul = value.indexOf('\u0000');
  if (nul >= 0) fail(field, `must not contain NUL (U+0000) characters (found at index ${nul})`);
  const lone = UNPAIRED_SURROGATE.exec(value);
  if (lone) fail(field, `contains an unpaired UTF-16 surrogate at index ${lone.index} (not valid Unicode)`);
  if (def.pattern !== undefined && !compilePattern(def.pattern).test(value)) {
    fail(field, `does not match the pattern this query requires: ${def.pattern} (got ${describeValue(value)})`);
  }
  return kqlStringLiteral(value);
}

function checkNumberBounds(field: string, def: QueryParamDef, value: number): void {
  if (typeof def.min === 'number' && value < def.min) fail(field, `must be at least ${def.min} (got ${value})`);
  if (typeof def.max === 'number' && value > def.max) fail(field, `must be at most ${def.max} (got ${value})`);
}

function integer(field: string, def: QueryParamDef, value: unknown, kind: 'int' | 'long'): number {
  if (typeof value !== 'number') fail(field, `must be an integer number (got ${describeValue(value)})`);
  if (!Number.isInteger(value)) fail(field, `must be a whole number (got ${describeValue(value)})`);
  if (kind === 'int' && (value < INT32_MIN || value > INT32_MAX)) {
    fail(field, `is out of range for int (${INT32_MIN} to ${INT32_MAX}; got ${value})`);
  }
  if (kind === 'long' && !Number.isSafeInteger(value)) {
    fail(field, `is out of the exactly representable range for long (±${Number.MAX_SAFE_INTEGER}; got ${value})`);
  }
  checkNumberBounds(field, def, value);
  return value === 0 ? 0 : value; // folds -0 into 0
}

function real(field: string, def: QueryParamDef, value: unknown): number {
  if (typeof value !== 'number') fail(field, `must be a number (got ${describeValue(value)})`);
  if (!Number.isFinite(value)) fail(field, `must be a finite number (got ${String(value)})`);
  checkNumberBounds(field, def, value);
  return value === 0 ? 0 : value;
}

function encodeBool(field: string, value: unknown): string {
  if (typeof value !== 'boolean') fail(field, `must be true or false (got ${describeValue(value)})`);
  return value ? 'true' : 'false';
}

function encodeDatetime(field: string, value: unknown): string {
  let text: string;
  if (value instanceof Date) {
    if (Number.isNaN(value.getTime())) fail(field, 'must be a valid date (got an invalid Date)');
    text = value.toISOString();
  } else if (typeof value === 'string') {
    text = value;
  } else {
    fail(field, `must be an ISO 8601 date-time string like "2026-11-25T10:00:00Z" (got ${describeValue(value)})`);
  }
  const parsed = parseDatetimeLiteral(text);
  if (!parsed.ok) fail(field, `${parsed.reason} (got ${describeValue(value)})`);
  return parsed.value;
}

/** Ticks of a header timespan bound; the header was validated at load, so a bad bound is a programming error. */
function boundTicks(bound: string): bigint {
  const parsed = parseTimespanTicks(bound);
  if (!parsed.ok) throw new Error(`Invalid timespan bound "${bound}": ${parsed.reason}`);
  return parsed.value;
}

function encodeTimespan(field: string, def: QueryParamDef, value: unknown): string {
  if (typeof value !== 'string') {
    fail(field, `must be a timespan string like "1d", "90m" or "PT1H" (got ${describeValue(value)})`);
  }
  const parsed = parseTimespanTicks(value);
  if (!parsed.ok) fail(field, `${parsed.reason} (got ${describeValue(value)})`);
  if (typeof def.min === 'string' && parsed.value < boundTicks(def.min)) {
    fail(field, `must be at least ${def.min} (got ${describeValue(value)})`);
  }
  if (typeof def.max === 'string' && parsed.value > boundTicks(def.max)) {
    fail(field, `must be at most ${def.max} (got ${describeValue(value)})`);
  }
  return formatTimespanLiteral(parsed.value);
}

/** A real as JSON-compatible text that stays a real (`2.0`, not `2`). */
function realText(value: number): string {
  const text = String(value);
  return /[.e]/.test(text) ? text : `${text}.0`;
}

function encodeList(field: string, def: QueryParamDef, value: unknown): string {
  if (!Array.isArray(value))
    fail(field, `must be a list of ${def.items ?? 'string'} values (got ${describeValue(value)})`);
  const maxItems = def.maxItems ?? DEFAULT_MAX_ITEMS;
  if (value.length > maxItems) fail(field, `has too many items: ${value.length}, at most ${maxItems} allowed`);
  if (def.minItems !== undefined && value.length < def.minItems) {
    fail(field, `needs at least ${def.minItems} item${def.minItems === 1 ? '' : 's'} (got ${value.length})`);
  }
  const encoded: string[] = [];
  // Index loop, not map: map skips holes in sparse arrays, which must fail like any other missing item.
  for (let i = 0; i < value.length; i++) {
    const itemField = `${field}[${i}]`;
    const item: unknown = value[i];
    switch (def.items ?? 'string') {
      case 'string':
        encoded.push(encodeString(itemField, def, item));
        break;
      case 'long':
        encoded.push(String(integer(itemField, def, item, 'long')));
        break;
      case 'real':
        encoded.push(realText(real(itemField, def, item)));
        break;
      case 'bool':
        encoded.push(encodeBool(itemField, item));
        break;
    }
  }
  return `dynamic([${encoded.join(', ')}])`;
}

/**
 * Validates `value` against the parameter's type and constraints and returns its KQL literal: a double-quoted
 * string (kqlStringLiteral), `int(5)`, `long(-5)`/`5`, `real(0.5)`, `true`, `datetime(...Z)`, a canonical timespan
 * (`90m`), or `dynamic([...])`.
 * @throws {InputError} with field `params.<name>` (or `params.<name>[i]` for a list item) when the value does not fit.
 */
export function encodeKqlLiteral(def: QueryParamDef, value: unknown): string {
  const field = `params.${def.name}`;
  switch (def.type) {
    case 'string':
      return encodeString(field, def, value);
    case 'int':
      return `int(${integer(field, def, value, 'int')})`;
    case 'long': {
      const n = integer(field, def, value, 'long');
      return n < 0 ? `long(${n})` : String(n);
    }
    case 'real':
      return `real(${String(real(field, def, value))})`;
    case 'bool':
      return encodeBool(field, value);
    case 'datetime':
      return encodeDatetime(field, value);
    case 'timespan':
      return encodeTimespan(field, def, value);
    case 'dynamic':
      return encodeList(field, def, value);
    default: {
      const unknownType: never = def.type; // definitions built by hand in JS could still carry a bad type
      throw new TypeError(`Unknown query parameter type "${String(unknownType)}" for ${field}`);
    }
  }
}

/** The literal bound for an optional parameter given no value and no default: the type's null (empty list). */
export function nullLiteral(def: QueryParamDef): string {
  switch (def.type) {
    case 'string':
      return '""'; // KQL has no null string; empty is its null
    case 'timespan':
      return 'time(null)';
    case 'dynamic':
      return 'dynamic([])'; // `x in (emptyList)` is simply false, which is what "no values" should mean
    default:
      return `${def.type}(null)`;
  }
}
