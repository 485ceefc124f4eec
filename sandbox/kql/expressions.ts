// Compiles scalar expressions to typed closures, resolving names (columns first, then let variables, as
// Kusto.Language's binder does) and reporting unknown names and type errors in the service's words.
import type { Expr, StringPredicate } from './ast';
import { AGGREGATES, AGGREGATE_PREFIXES } from './aggregates';
import type { Budget } from './budget';
import { constant, type Compiled, type FunctionContext } from './compiled';
import { addTicks, diffTicks } from './datetime';
import { isKnownKustoFunction } from './kustoParser';
import { compileMatchesRegex, SCALAR_FUNCTIONS } from './scalarFunctions';
import { callEnv, functionResult } from './statements';
import { compileRegex, hasTerm, stringPredicate } from './stringOps';
import { KqlError, type KqlColumn, type KqlTable, type KqlType } from './types';
import {
  coerce,
  compareNonNull,
  isNumericType,
  toBool,
  toDynamic,
  toKqlString,
  toReal,
  valueKey,
  type Row,
} from './values';

/** A compiled tabular expression: its schema and a (memoised by the caller where needed) row producer. */
export interface Plan {
  columns: KqlColumn[];
  rows(): Row[];
}

export type LetBinding =
  | { kind: 'scalar'; compiled: Compiled }
  | { kind: 'tabular'; plan: Plan }
  /** A user-defined function with the environment it was declared in (its closure). */
  | { kind: 'function'; lambda: Extract<Expr, { k: 'lambda' }>; env: QueryEnv; tabular: boolean };

export interface TimeWindow {
  start: string;
  end: string;
}

/** Compile state: query-wide facts plus the names in scope (a function body gets its own `lets`). */
export interface QueryEnv {
  now: string;
  tables: ReadonlyMap<string, KqlTable>;
  lets: Map<string, LetBinding>;
  /** Next N for generated `ColumnN` names (query-wide, as in Kusto.Language). */
  columnCounter: { next: number };
  window: TimeWindow | undefined;
  budget: Budget;
  /** Answers `externaldata` from local files (never the network). */
  externalData: ExternalDataReader;
  compileTabular(expr: Expr, nextOperator: string | null): Plan;
  /** The same environment with other names in scope (function bodies, mv-apply subqueries). */
  scoped(lets: Map<string, LetBinding>): QueryEnv;
  /** How deeply user-defined function calls nest here. */
  callDepth?: number;
}

/** Reads the rows of an `externaldata` URL from a local fixture: its text, or null when there is none. */
export type ExternalDataReader = (url: string) => string | null;

/** Names visible to an expression: the input row's columns, and the operator name used in messages. */
export interface Scope {
  columns: ReadonlyMap<string, KqlType>;
  operator: string | null;
}

export function semanticError(scope: Scope | null, message: string, pos: number): KqlError {
  const prefix = scope?.operator ? `'${scope.operator}' operator: ` : '';
  return new KqlError('semantic', prefix + message, pos);
}

export const SUPPORTED_FUNCTIONS = [
  ...Object.keys(SCALAR_FUNCTIONS),
  'column_ifexists',
  'pack_all',
  'datetime',
  'dynamic',
  'toscalar',
  'materialize',
].sort();

function operatorNotDefined(scope: Scope, op: string, l: KqlType, r: KqlType, pos: number): KqlError {
  return semanticError(scope, `The operator '${op}' is not defined for the operand types ${l} and ${r}.`, pos);
}

/** True when the expression denotes a table: a pipe, print, materialize, or a name bound to a table or tabular let
 * (and not shadowed by a column). */
export function isTabular(expr: Expr, scope: Scope | null, env: QueryEnv): boolean {
  switch (expr.k) {
    case 'pipe':
    case 'print':
    case 'materialize':
    case 'source':
    case 'datatable':
    case 'externaldata':
      return true;
    case 'paren':
      return isTabular(expr.expr, scope, env);
    case 'name': {
      if (scope?.columns.has(expr.name)) return false;
      const bound = env.lets.get(expr.name);
      if (bound) return bound.kind === 'tabular' || (bound.kind === 'function' && bound.tabular);
      return env.tables.has(expr.name);
    }
    case 'call': {
      const bound = env.lets.get(expr.name);
      return bound?.kind === 'function' && bound.tabular;
    }
    default:
      return false;
  }
}

export function compileExpr(expr: Expr, scope: Scope, env: QueryEnv): Compiled {
  switch (expr.k) {
    case 'literal':
      return constant(expr.type, expr.value);
    case 'name':
      return compileName(expr.name, expr.pos, scope, env);
    case 'paren':
      return compileExpr(expr.expr, scope, env);
    case 'binary':
      return fold(compileBinary(expr, scope, env));
    case 'strop':
      return fold(compileStringPredicate(expr.pred, expr.left, expr.right, scope, env));
    case 'list':
      return compileList(expr, scope, env);
    case 'between':
      return fold(compileBetween(expr, scope, env));
    case 'unary':
      return fold(compileUnary(expr, scope, env));
    case 'call':
      return compileCall(expr, scope, env);
    case 'member':
    case 'index':
      return fold(compileAccess(expr, scope, env));
    case 'toscalar':
      return compileToScalar(expr.query, env);
    case 'assign':
      throw semanticError(scope, `Unexpected assignment to '${expr.name}' here`, expr.pos);
    case 'star':
      throw semanticError(scope, "'*' is not allowed here", expr.pos);
    case 'ordered':
      throw semanticError(scope, "'asc'/'desc' is only allowed in 'order by' and 'top'", expr.pos);
    default:
      throw semanticError(scope, 'A scalar expression was expected here, not a tabular one', expr.pos);
  }
}

/** Evaluates a call or operator once when all its inputs are constants (e.g. `ago(1d)` in a where clause). */
function fold(c: Compiled, inputsConstant?: boolean): Compiled {
  if (inputsConstant === false || c.constant) return c;
  if (inputsConstant === true) return constant(c.type, c.ev({}));
  return c;
}

function compileName(name: string, pos: number, scope: Scope, env: QueryEnv): Compiled {
  const type = scope.columns.get(name);
  if (type !== undefined) {
    if (type === 'string') return { type, ev: (row) => (row[name] as string | undefined | null) ?? '' };
    return { type, ev: (row) => row[name] ?? null };
  }
  const bound = env.lets.get(name);
  if (bound?.kind === 'scalar') return bound.compiled;
  if (bound?.kind === 'tabular' || env.tables.has(name)) {
    throw semanticError(
      scope,
      `'${name}' is a tabular expression; use it with 'in' or toscalar() in a scalar context`,
      pos,
    );
  }
  throw semanticError(scope, `Failed to resolve scalar expression named '${name}'`, pos);
}

function functionContext(scope: Scope, env: QueryEnv, pos: number): FunctionContext {
  return {
    now: env.now,
    fail: (message: string) => {
      throw semanticError(scope, message, pos);
    },
  };
}

function compileCall(expr: Extract<Expr, { k: 'call' }>, scope: Scope, env: QueryEnv): Compiled {
  const user = env.lets.get(expr.name);
  if (user?.kind === 'function') {
    if (user.tabular)
      throw semanticError(scope, `'${expr.name}' returns a table; use it where a table is expected`, expr.pos);
    const inner = callEnv(expr.name, user, expr.args, { scope, env, pos: expr.pos });
    return compileExpr(
      functionResult(expr.name, user, scope, expr.pos),
      { columns: new Map(), operator: scope.operator },
      inner,
    );
  }
  const special = rowFunction(expr, scope, env);
  if (special) return special;
  const fn = SCALAR_FUNCTIONS[expr.name];
  if (!fn) {
    if (AGGREGATES[expr.name]) {
      throw semanticError(scope, `The aggregate function '${expr.name}' can only be used in 'summarize'`, expr.pos);
    }
    if (isKnownKustoFunction(expr.name)) {
      throw new KqlError(
        'unsupported',
        `The '${expr.name}' function is not supported by the sandbox (supported: ${SUPPORTED_FUNCTIONS.join(', ')})`,
        expr.pos,
      );
    }
    throw semanticError(scope, `Unknown function: '${expr.name}'.`, expr.pos);
  }
  if (expr.args.length < fn.minArgs || expr.args.length > fn.maxArgs) {
    const expected = fn.minArgs === fn.maxArgs ? `${fn.minArgs}` : `${fn.minArgs} to ${fn.maxArgs}`;
    throw semanticError(scope, `${expr.name}(): expects ${expected} arguments, got ${expr.args.length}`, expr.pos);
  }
  const args = expr.args.map((a) => compileExpr(a, scope, env));
  const compiled = fn.compile(args, functionContext(scope, env, expr.pos));
  return fold(
    compiled,
    args.every((a) => a.constant),
  );
}

/** Functions that read the row's schema: column_ifexists(name, default) and pack_all([ignore_null_empty]). */
function rowFunction(expr: Extract<Expr, { k: 'call' }>, scope: Scope, env: QueryEnv): Compiled | null {
  if (expr.name === 'column_ifexists') {
    const [nameArg, fallback] = expr.args;
    if (!nameArg || !fallback || expr.args.length !== 2)
      throw semanticError(scope, 'column_ifexists(): expects a column name and a default value', expr.pos);
    const name = compileExpr(nameArg, scope, env);
    if (!name.constant || name.type !== 'string')
      throw semanticError(scope, 'column_ifexists(): the column name must be a string constant', nameArg.pos);
    const column = String(name.ev({}));
    if (scope.columns.has(column)) return compileName(column, expr.pos, scope, env);
    return compileExpr(fallback, scope, env);
  }
  if (expr.name === 'pack_all') {
    const skipEmpty = expr.args[0] ? toBool(compileExpr(expr.args[0], scope, env).ev({})) === true : false;
    const columns = [...scope.columns.entries()].filter(([n]) => !n.startsWith('\u0001'));
    return {
      type: 'dynamic',
      ev: (row) => {
        const bag: Record<string, unknown> = {};
        for (const [name, type] of columns) {
          const v = row[name];
          if (skipEmpty && (v === null || v === undefined || v === '')) continue;
          bag[name] = toDynamic(v ?? null, type);
        }
        return bag;
      },
    };
  }
  return null;
}

function compileUnary(expr: Extract<Expr, { k: 'unary' }>, scope: Scope, env: QueryEnv): Compiled {
  const operand = compileExpr(expr.operand, scope, env);
  if (!isNumericType(operand.type) && operand.type !== 'timespan' && operand.type !== 'dynamic') {
    throw semanticError(
      scope,
      `The operator '${expr.op}' is not defined for the operand type ${operand.type}.`,
      expr.pos,
    );
  }
  if (expr.op === '+') return operand;
  const ev = operand.ev;
  const type = operand.type === 'dynamic' ? 'real' : operand.type;
  const from = operand.type;
  return fold(
    {
      type,
      ev: (row) => {
        const v = toReal(ev(row), from === 'timespan' ? 'long' : from);
        return v === null ? null : -v;
      },
    },
    operand.constant,
  );
}

function compileAccess(expr: Extract<Expr, { k: 'member' | 'index' }>, scope: Scope, env: QueryEnv): Compiled {
  const target = compileExpr(expr.target, scope, env);
  if (target.type !== 'dynamic') {
    throw semanticError(scope, `Member access needs a dynamic value, not ${target.type} (use parse_json())`, expr.pos);
  }
  const get = target.ev;
  if (expr.k === 'member') {
    const member = expr.member;
    return fold({ type: 'dynamic', ev: (row) => lookup(get(row), member) }, target.constant);
  }
  const index = compileExpr(expr.index, scope, env);
  const at = index.ev;
  return fold({ type: 'dynamic', ev: (row) => lookup(get(row), at(row)) }, target.constant && index.constant);
}

function lookup(container: unknown, key: unknown): unknown {
  if (container === null || typeof container !== 'object') return null;
  if (Array.isArray(container)) {
    if (typeof key !== 'number' || !Number.isInteger(key)) return null;
    return container[key < 0 ? container.length + key : key] ?? null;
  }
  if (typeof key !== 'string') return null;
  return Object.prototype.hasOwnProperty.call(container, key)
    ? ((container as Record<string, unknown>)[key] ?? null)
    : null;
}

function compileToScalar(query: Expr, env: QueryEnv): Compiled {
  const plan = env.compileTabular(query, null);
  const first = plan.columns[0];
  if (!first) throw new KqlError('semantic', 'toscalar(): the expression has no columns', query.pos);
  let computed = false;
  let value: unknown = null;
  return {
    type: first.type,
    ev: () => {
      if (!computed) {
        value = plan.rows()[0]?.[first.name] ?? null;
        computed = true;
      }
      return value;
    },
  };
}

const COMPARISONS = new Set(['==', '!=', '<', '<=', '>', '>=', '=~', '!~']);

function compileBinary(expr: Extract<Expr, { k: 'binary' }>, scope: Scope, env: QueryEnv): Compiled {
  const left = compileExpr(expr.left, scope, env);
  const right = compileExpr(expr.right, scope, env);
  const bothConstant = Boolean(left.constant && right.constant);
  const result = (c: Compiled) => fold(c, bothConstant);
  if (expr.op === 'and' || expr.op === 'or') {
    for (const side of [left, right]) {
      if (side.type !== 'bool' && side.type !== 'dynamic')
        throw operatorNotDefined(scope, expr.op, left.type, right.type, expr.pos);
    }
    const l = left.ev;
    const r = right.ev;
    if (expr.op === 'and') {
      return result({
        type: 'bool',
        ev: (row) => {
          const a = toBool(l(row));
          if (a === false) return false;
          const b = toBool(r(row));
          if (b === false) return false;
          return a === null || b === null ? null : true;
        },
      });
    }
    return result({
      type: 'bool',
      ev: (row) => {
        const a = toBool(l(row));
        if (a === true) return true;
        const b = toBool(r(row));
        if (b === true) return true;
        return a === null || b === null ? null : false;
      },
    });
  }
  if (expr.op === 'matches regex') {
    const l = left.ev;
    const t = left.type;
    if (!right.constant) {
      // A pattern from a column or an expression: compiled per distinct value (compileRegex caches them).
      const r = right.ev;
      const rt = right.type;
      return result({
        type: 'bool',
        ev: (row) => {
          const pattern = r(row);
          if (pattern === null || pattern === undefined) return null;
          try {
            return compileRegex(toKqlString(pattern, rt)).test(toKqlString(l(row), t));
          } catch {
            return null;
          }
        },
      });
    }
    const regex = compileMatchesRegex(functionContext(scope, env, expr.pos), right);
    return result({ type: 'bool', ev: (row) => regex.test(toKqlString(l(row), t)) });
  }
  if (COMPARISONS.has(expr.op)) return result(compileComparison(expr.op, left, right, scope, expr.pos));
  return result(compileArithmetic(expr.op, left, right, scope, expr.pos));
}

/** The type both sides of a comparison are converted to, or null when they cannot be compared. */
function comparisonDomain(l: KqlType, r: KqlType): KqlType | null {
  if (l === 'dynamic') return r;
  if (r === 'dynamic') return l;
  if (isNumericType(l) && isNumericType(r)) return l === r ? l : 'real';
  if ((l === 'string' || l === 'guid') && (r === 'string' || r === 'guid')) return l === r ? l : 'string';
  return l === r ? l : null;
}

function converter(from: KqlType, to: KqlType): ((v: unknown) => unknown) | null {
  if (from === to || (isNumericType(from) && isNumericType(to))) return null;
  return (v) => coerce(v, from, to);
}

/** `==`/`!=` between types that do not compare (RemotePort == "443", IsAzureADJoined == 1): Kusto.Language accepts
 * them, so the sandbox converts the string (or bool) side to the other side's type and compares; a value that does
 * not convert compares as null. */
function mixedEquality(op: string, left: Compiled, right: Compiled): Compiled {
  const target = left.type === 'string' || left.type === 'bool' ? right.type : left.type;
  const l = converter(left.type, target);
  const r = converter(right.type, target);
  const le = left.ev;
  const re = right.ev;
  const negate = op === '!=';
  return {
    type: 'bool',
    ev: (row) => {
      const a = l ? l(le(row)) : le(row);
      const b = r ? r(re(row)) : re(row);
      if (a === null || a === undefined || b === null || b === undefined) return null;
      return (compareNonNull(a, b, target) === 0) !== negate;
    },
  };
}

function compileComparison(op: string, left: Compiled, right: Compiled, scope: Scope, pos: number): Compiled {
  const domain = comparisonDomain(left.type, right.type);
  if (domain === null && (op === '==' || op === '!=')) return mixedEquality(op, left, right);
  if (domain === null) throw operatorNotDefined(scope, op, left.type, right.type, pos);
  const caseInsensitive = op === '=~' || op === '!~';
  if (caseInsensitive && domain !== 'string' && domain !== 'guid' && domain !== 'dynamic') {
    throw operatorNotDefined(scope, op, left.type, right.type, pos);
  }
  const lc = converter(left.type, domain);
  const rc = converter(right.type, domain);
  const l = lc ? (row: Row) => lc(left.ev(row)) : left.ev;
  const r = rc ? (row: Row) => rc(right.ev(row)) : right.ev;
  if (caseInsensitive) {
    const negate = op === '!~';
    return {
      type: 'bool',
      ev: (row) => (toKqlString(l(row), domain).toLowerCase() === toKqlString(r(row), domain).toLowerCase()) !== negate,
    };
  }
  if (domain === 'string' && (op === '==' || op === '!=')) {
    const negate = op === '!=';
    return { type: 'bool', ev: (row) => (l(row) === r(row)) !== negate };
  }
  const test = comparisonTest(op);
  return {
    type: 'bool',
    ev: (row) => {
      const a = l(row);
      const b = r(row);
      if (a === null || a === undefined || b === null || b === undefined) return null;
      if (domain === 'dynamic' && (op === '==' || op === '!=')) return (valueKey(a) === valueKey(b)) === (op === '==');
      return test(compareNonNull(a, b, domain));
    },
  };
}

function comparisonTest(op: string): (c: number) => boolean {
  switch (op) {
    case '==':
      return (c) => c === 0;
    case '!=':
      return (c) => c !== 0;
    case '<':
      return (c) => c < 0;
    case '<=':
      return (c) => c <= 0;
    case '>':
      return (c) => c > 0;
    default:
      return (c) => c >= 0;
  }
}

type NumberOp = (a: number, b: number) => number | null;

function numberOp(op: string, integer: boolean): NumberOp {
  switch (op) {
    case '+':
      return (a, b) => a + b;
    case '-':
      return (a, b) => a - b;
    case '*':
      return (a, b) => a * b;
    case '/':
      return integer ? (a, b) => (b === 0 ? null : Math.trunc(a / b)) : (a, b) => a / b;
    default:
      return integer ? (a, b) => (b === 0 ? null : a % b) : (a, b) => a % b;
  }
}

function compileArithmetic(op: string, left: Compiled, right: Compiled, scope: Scope, pos: number): Compiled {
  const lt = left.type;
  const rt = right.type;
  const l = left.ev;
  const r = right.ev;
  const numeric = (t: KqlType) => isNumericType(t) || t === 'dynamic';
  const nums = (type: KqlType, f: NumberOp, lf: KqlType, rf: KqlType): Compiled => ({
    type,
    ev: (row) => {
      const a = toReal(l(row), lf);
      const b = toReal(r(row), rf);
      return a === null || b === null ? null : f(a, b);
    },
  });
  if (numeric(lt) && numeric(rt)) {
    const type: KqlType = lt === 'real' || rt === 'real' || (lt === 'dynamic' && rt === 'dynamic') ? 'real' : 'long';
    return nums(type, numberOp(op, type === 'long'), lt, rt);
  }
  // Datetimes and timespans: timespans are ticks, so most cases are number arithmetic on ticks.
  if (lt === 'datetime' && rt === 'datetime' && op === '-') {
    return {
      type: 'timespan',
      ev: (row) => {
        const a = l(row) as string | null;
        const b = r(row) as string | null;
        return a === null || b === null ? null : diffTicks(a, b);
      },
    };
  }
  if (
    (lt === 'datetime' && rt === 'timespan' && (op === '+' || op === '-')) ||
    (lt === 'timespan' && rt === 'datetime' && op === '+')
  ) {
    const [dt, ts] = lt === 'datetime' ? [l, r] : [r, l];
    const sign = op === '-' ? -1 : 1;
    return {
      type: 'datetime',
      ev: (row) => {
        const d = dt(row) as string | null;
        const t = ts(row) as number | null;
        return d === null || t === null ? null : addTicks(d, sign * t);
      },
    };
  }
  if (lt === 'timespan' && rt === 'timespan') {
    if (op === '/') return nums('real', (a, b) => a / b, 'long', 'long');
    if (op === '+' || op === '-' || op === '%') return nums('timespan', numberOp(op, true), 'long', 'long');
  }
  if (lt === 'timespan' && numeric(rt) && (op === '*' || op === '/')) {
    return nums(
      'timespan',
      (a, b) => (op === '*' ? Math.round(a * b) : b === 0 ? null : Math.round(a / b)),
      'long',
      rt,
    );
  }
  if (numeric(lt) && rt === 'timespan' && op === '*') return nums('timespan', (a, b) => Math.round(a * b), lt, 'long');
  throw operatorNotDefined(scope, op, lt, rt, pos);
}

function compileStringPredicate(
  pred: StringPredicate,
  leftExpr: Expr,
  rightExpr: Expr,
  scope: Scope,
  env: QueryEnv,
): Compiled {
  const left = compileExpr(leftExpr, scope, env);
  const right = compileExpr(rightExpr, scope, env);
  const l = left.ev;
  const r = right.ev;
  const lt = left.type;
  const rt = right.type;
  // As in Kusto, string operators need text on both sides (`OSBuild has "5"` is an error).
  const textual = (t: KqlType) => t === 'string' || t === 'dynamic' || t === 'guid';
  if (!textual(lt) || !textual(rt)) {
    const name = `${pred.negated ? '!' : ''}${pred.kind}${pred.caseSensitive ? '_cs' : ''}`;
    throw operatorNotDefined(scope, name, lt, rt, rightExpr.pos < leftExpr.pos ? rightExpr.pos : leftExpr.pos);
  }
  if (right.constant) {
    const needle = toKqlString(r({}), rt);
    return fold({ type: 'bool', ev: (row) => stringPredicate(pred, toKqlString(l(row), lt), needle) }, left.constant);
  }
  return fold(
    { type: 'bool', ev: (row) => stringPredicate(pred, toKqlString(l(row), lt), toKqlString(r(row), rt)) },
    Boolean(left.constant && right.constant),
  );
}

function compileBetween(expr: Extract<Expr, { k: 'between' }>, scope: Scope, env: QueryEnv): Compiled {
  const value = compileExpr(expr.left, scope, env);
  const low = compileExpr(expr.low, scope, env);
  let high = compileExpr(expr.high, scope, env);
  const domain = value.type === 'dynamic' ? (low.type === 'dynamic' ? 'real' : low.type) : value.type;
  if (domain === 'datetime' && high.type === 'timespan') {
    const lo = low.ev;
    const span = high.ev;
    high = {
      type: 'datetime',
      ev: (row) => {
        const d = lo(row) as string | null;
        const t = span(row) as number | null;
        return d === null || t === null ? null : addTicks(d, t);
      },
    };
  }
  for (const bound of [low, high]) {
    if (
      comparisonDomain(domain, bound.type) === null ||
      !['long', 'int', 'real', 'datetime', 'timespan'].includes(domain)
    ) {
      throw operatorNotDefined(scope, expr.negated ? '!between' : 'between', value.type, bound.type, expr.pos);
    }
  }
  const conv = (c: Compiled) => {
    const f = converter(c.type, domain);
    const ev = c.ev;
    return f ? (row: Row) => f(ev(row)) : ev;
  };
  const v = conv(value);
  const lo = conv(low);
  const hi = conv(high);
  const negated = expr.negated;
  return {
    type: 'bool',
    ev: (row) => {
      const x = v(row);
      const a = lo(row);
      const b = hi(row);
      if (x === null || a === null || b === null) return null;
      const inside = compareNonNull(x, a, domain) >= 0 && compareNonNull(x, b, domain) <= 0;
      return inside !== negated;
    },
  };
}

/** Values of one list item of `in`/`has_any`: a dynamic array is flattened, a table gives its first column. */
interface ListSource {
  constant: boolean;
  values(row: Row): { value: unknown; type: KqlType }[];
}

function listSource(item: Expr, scope: Scope, env: QueryEnv): ListSource {
  if (isTabular(item, scope, env)) {
    const plan = env.compileTabular(item, null);
    const first = plan.columns[0];
    if (!first) throw semanticError(scope, 'The tabular expression in the list has no columns', item.pos);
    let cached: { value: unknown; type: KqlType }[] | undefined;
    return {
      constant: true,
      values: () => (cached ??= plan.rows().map((row) => ({ value: row[first.name] ?? null, type: first.type }))),
    };
  }
  const c = compileExpr(item, scope, env);
  const ev = c.ev;
  return {
    constant: Boolean(c.constant),
    values: (row) => {
      const v = ev(row);
      if (c.type === 'dynamic' && Array.isArray(v))
        return v.map((e: unknown) => ({ value: e, type: 'dynamic' as KqlType }));
      return [{ value: v, type: c.type }];
    },
  };
}

function compileList(expr: Extract<Expr, { k: 'list' }>, scope: Scope, env: QueryEnv): Compiled {
  const left = compileExpr(expr.left, scope, env);
  const sources = expr.items.map((item) => listSource(item, scope, env));
  const allConstant = sources.every((s) => s.constant);
  const l = left.ev;
  const lt = left.type;
  const gather = (row: Row) => sources.flatMap((s) => s.values(row));

  if (expr.op === 'has_any' || expr.op === 'has_all') {
    const needlesOf = (row: Row) => gather(row).map((x) => toKqlString(x.value, x.type).toLowerCase());
    let fixed: string[] | undefined;
    const needles = allConstant ? (row: Row) => (fixed ??= needlesOf(row)) : needlesOf;
    const all = expr.op === 'has_all';
    return {
      type: 'bool',
      ev: (row) => {
        const haystack = toKqlString(l(row), lt).toLowerCase();
        const list = needles(row);
        return all ? list.every((n) => hasTerm(haystack, n)) : list.some((n) => hasTerm(haystack, n));
      },
    };
  }

  const caseInsensitive = expr.op === 'in~' || expr.op === '!in~';
  const negated = expr.op.startsWith('!');
  const domain: KqlType = caseInsensitive ? 'string' : lt === 'int' || lt === 'long' ? 'real' : lt;
  const key = (value: unknown, type: KqlType): unknown => {
    const v = type === domain || (isNumericType(type) && domain === 'real') ? value : coerce(value, type, domain);
    if (v === null || v === undefined) return undefined;
    if (caseInsensitive) return String(v).toLowerCase();
    return domain === 'dynamic' ? valueKey(v) : v;
  };
  const setOf = (row: Row) => new Set(gather(row).map((x) => key(x.value, x.type)));
  let fixed: Set<unknown> | undefined;
  const set = allConstant ? (row: Row) => (fixed ??= setOf(row)) : setOf;
  return {
    type: 'bool',
    ev: (row) => {
      const k = key(l(row), lt);
      if (k === undefined) return negated;
      return set(row).has(k) !== negated;
    },
  };
}

/** Kusto.Language's GetExpressionResultName: the column name a projection gives an unnamed expression. */
export function expressionResultName(
  expr: Expr,
  scope: Scope,
  env: QueryEnv,
  defaultName: string | null,
): string | null {
  switch (expr.k) {
    case 'paren':
    case 'ordered':
      return expressionResultName(expr.expr, scope, env, defaultName);
    case 'name':
      return expr.name;
    case 'assign':
      return expr.name;
    case 'member':
    case 'index': {
      if (!isDynamicTarget(expr.target, scope, env)) {
        return expr.k === 'member' ? expr.member : defaultName;
      }
      const left = expressionResultName(expr.target, scope, env, null);
      let right: string | null;
      if (expr.k === 'member') right = expr.member;
      else {
        const i = expr.index;
        right =
          i.k === 'literal' && ['string', 'long', 'int'].includes(i.type) && i.value !== null ? String(i.value) : null;
      }
      return left ? `${left}_${right ?? ''}` : right;
    }
    case 'call':
      return functionResultName(expr, scope, env, defaultName);
    default:
      return defaultName;
  }
}

function isDynamicTarget(target: Expr, scope: Scope, env: QueryEnv): boolean {
  try {
    return compileExpr(target, scope, env).type === 'dynamic';
  } catch {
    return true;
  }
}

function functionResultName(
  expr: Extract<Expr, { k: 'call' }>,
  scope: Scope,
  env: QueryEnv,
  defaultName: string | null,
): string | null {
  const first = expr.args[0];
  const prefix = AGGREGATE_PREFIXES[expr.name];
  if (prefix) return first ? `${prefix}_${expressionResultName(first, scope, env, defaultName) ?? ''}` : `${prefix}_`;
  const kind = SCALAR_FUNCTIONS[expr.name]?.resultName;
  if (kind === 'first') return first ? expressionResultName(first, scope, env, defaultName) : null;
  if (kind === 'nameAndFirst')
    return first ? `${expr.name}_${expressionResultName(first, scope, env, defaultName) ?? ''}` : `${expr.name}_`;
  return defaultName;
}
