// Building blocks for scalar functions: the definition shape, argument access and type checks.
import type { Compiled, FunctionContext } from './compiled';
import type { KqlType } from './types';
import { isNumericType, toKqlString, toLong, toReal, type Row } from './values';

export interface ScalarFunction {
  minArgs: number;
  maxArgs: number;
  /** How a projection names an unnamed call (Kusto's ResultNameKind): 'first' = like its first argument,
   * 'nameAndFirst' = `<function>_<first argument>`; otherwise `ColumnN`. */
  resultName?: 'first' | 'nameAndFirst';
  compile(args: Compiled[], fx: FunctionContext): Compiled;
}

export function arg(args: Compiled[], i: number): Compiled {
  const a = args[i];
  if (!a) throw new Error(`missing argument ${i}`);
  return a;
}

export function expect(fx: FunctionContext, fn: string, a: Compiled, index: number, allowed: readonly KqlType[]): void {
  if (a.type !== 'dynamic' && !allowed.includes(a.type)) {
    fx.fail(
      `${fn}(): argument ${index + 1} has type '${a.type}', expected ${allowed.map((t) => `'${t}'`).join(' or ')}`,
    );
  }
}

/** The type that values of all `types` promote to (iff, case, coalesce), or null when they do not mix. */
export function commonType(types: readonly KqlType[]): KqlType | null {
  const first = types[0];
  if (!first) return null;
  if (types.every((t) => t === first)) return first;
  if (types.every(isNumericType)) return types.includes('real') ? 'real' : 'long';
  if (types.every((t) => t === 'string' || t === 'guid')) return 'string';
  // Kusto.Language accepts branches of different types (iff(c, 1, "a")); their common type is dynamic.
  return 'dynamic';
}

export function unary(type: KqlType, a: Compiled, f: (v: unknown) => unknown): Compiled {
  const ev = a.ev;
  return { type, ev: (row: Row) => f(ev(row)) };
}

/** A text argument: any type converts as tostring() does (Kusto.Language accepts tolower(5), split(12345, "3")). */
export const strings = (_fx: FunctionContext, _fn: string, a: Compiled, _i: number) => {
  const ev = a.ev;
  const type = a.type;
  return (row: Row) => toKqlString(ev(row), type);
};

export const longArg = (fx: FunctionContext, fn: string, a: Compiled, i: number) => {
  expect(fx, fn, a, i, ['long', 'int', 'real']);
  const ev = a.ev;
  const type = a.type;
  return (row: Row) => toLong(ev(row), type);
};

export const realArg = (fx: FunctionContext, fn: string, a: Compiled, i: number) => {
  expect(fx, fn, a, i, ['long', 'int', 'real']);
  const ev = a.ev;
  const type = a.type;
  return (row: Row) => toReal(ev(row), type);
};

/** A function of one string argument returning `type`. */
export function stringFunction(
  fn: string,
  type: KqlType,
  f: (s: string) => unknown,
  resultName?: 'first',
): ScalarFunction {
  return {
    minArgs: 1,
    maxArgs: 1,
    ...(resultName ? { resultName } : {}),
    compile: (args, fx) => {
      const s = strings(fx, fn, arg(args, 0), 0);
      return { type, ev: (row) => f(s(row)) };
    },
  };
}

/** Any argument as text (tostring semantics). */
export function textOf(a: Compiled): (row: Row) => string {
  const ev = a.ev;
  const type = a.type;
  return (row) => toKqlString(ev(row), type);
}
