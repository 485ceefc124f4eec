// Shared by the query tests: where the shipped queries live, and ways to derive values and definitions from them.
import { join } from 'node:path';
import type { QueryDefinition, QueryParamDef } from '../../shared/queries';

export const QUERY_DIR = join(__dirname, '..', '..', 'queries');

/** Each parameter's header `example`. */
export function exampleValues(def: QueryDefinition): Record<string, unknown> {
  return Object.fromEntries(def.params.filter((p) => p.example !== undefined).map((p) => [p.name, p.example]));
}

/** String-valued parameters (strings and lists of strings): the ones an injection could target. */
export function stringParams(def: QueryDefinition): QueryParamDef[] {
  return def.params.filter((p) => p.type === 'string' || (p.type === 'dynamic' && p.items === 'string'));
}

/** The definition without string patterns, length caps and list minimums, so any payload reaches the encoder. */
export function withoutStringConstraints(def: QueryDefinition): QueryDefinition {
  return {
    ...def,
    params: def.params.map((p) => {
      const { pattern: _pattern, minItems: _minItems, ...rest } = p;
      return stringParams(def).includes(p) ? { ...rest, maxLength: 1_000_000 } : p;
    }),
  };
}

/** The `let` block of a bound query: everything before the body. */
export function letBlock(bound: string, def: QueryDefinition): string {
  return bound.slice(0, bound.length - def.body.length);
}
