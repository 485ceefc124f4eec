// search (search-operator.md): `search [kind=case_sensitive] [in (T1, T2, ...)] Predicate` over the listed tables
// (all tables when none are listed; the piped input when there is one). The rows come out as a union with a
// `$table` column naming each row's table; a bare string term matches a row when any string column has it.
import type { Expr, QueryOp } from './ast';
import { compileExpr, semanticError, type Plan, type QueryEnv, type Scope } from './expressions';
import type { KqlColumn } from './types';
import { union } from './union';
import { toBool } from './values';

type SearchOp = Extract<QueryOp, { k: 'search' }>;

/** The predicate with each `$term` call replaced by `has` over every string column. */
function expandTerms(e: Expr, columns: readonly KqlColumn[], caseSensitive: boolean): Expr {
  switch (e.k) {
    case 'call': {
      if (e.name !== '$term') return e;
      const [term] = e.args;
      const strings = columns.filter((c) => c.type === 'string');
      if (!term || strings.length === 0) return { k: 'literal', pos: e.pos, type: 'bool', value: false };
      return strings
        .map((c): Expr => ({
          k: 'strop',
          pos: e.pos,
          pred: { kind: 'has', negated: false, caseSensitive },
          left: { k: 'name', pos: e.pos, name: c.name },
          right: term,
        }))
        .reduce((a, b) => ({ k: 'binary', pos: e.pos, op: 'or', left: a, right: b }));
    }
    case 'binary':
      return {
        ...e,
        left: expandTerms(e.left, columns, caseSensitive),
        right: expandTerms(e.right, columns, caseSensitive),
      };
    case 'paren':
      return { ...e, expr: expandTerms(e.expr, columns, caseSensitive) };
    default:
      return e;
  }
}

export function search(input: Plan | null, op: SearchOp, env: QueryEnv): Plan {
  const scope0: Scope = { columns: new Map(), operator: 'search' };
  const plan =
    input ??
    union(
      null,
      {
        k: 'union',
        pos: op.pos,
        kind: 'outer',
        withsource: '$table',
        isfuzzy: false,
        sources:
          op.sources ??
          [...env.tables.keys()]
            .sort()
            .map((name) => ({ k: 'table', pos: op.pos, expr: { k: 'name', pos: op.pos, name } })),
      },
      env,
      scope0,
    );
  const scope: Scope = { columns: new Map(plan.columns.map((c) => [c.name, c.type])), operator: 'search' };
  const predicate = expandTerms(op.predicate, plan.columns, op.caseSensitive);
  const c = compileExpr(predicate, scope, env);
  if (c.type !== 'bool' && c.type !== 'dynamic')
    throw semanticError(scope, `The search predicate must be of type bool, not ${c.type}`, op.predicate.pos);
  const ev = c.ev;
  return { columns: plan.columns, rows: () => plan.rows().filter((row) => toBool(ev(row)) === true) };
}
