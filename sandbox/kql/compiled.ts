// A compiled scalar expression: its static KQL type and a closure that evaluates it on one row.
import type { KqlType } from './types';
import type { Row } from './values';

export type Evaluator = (row: Row) => unknown;

export interface Compiled {
  type: KqlType;
  ev: Evaluator;
  /** Set when the value does not depend on the row (literals, lets, folded calls). */
  constant?: boolean;
}

export function constant(type: KqlType, value: unknown): Compiled {
  return { type, ev: () => value, constant: true };
}

/** Errors found while compiling a function call; `fail` throws a semantic KqlError at the call site. */
export interface FunctionContext {
  /** ctx.now as canonical datetime text. */
  now: string;
  fail(message: string): never;
}
