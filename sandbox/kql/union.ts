// union (union-operator.md): tables by name, wildcards (`Device*Events`), tabular expressions, `withsource=`,
// `kind=inner|outer` and `isfuzzy=`. With kind=outer a column that comes with different types from different
// inputs is split into one column per type, named `<Column>_<type>`, as Kusto does.
import type { Expr, QueryOp } from './ast';
import { semanticError, type Plan, type QueryEnv, type Scope } from './expressions';
import type { KqlColumn, KqlType } from './types';
import type { Row } from './values';

type UnionOp = Extract<QueryOp, { k: 'union' }>;

interface Input {
  plan: Plan;
  /** The value of the withsource column for this input's rows. */
  source: string;
}

function wildcard(pattern: string): RegExp {
  const body = pattern
    .split('*')
    .map((p) => p.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'))
    .join('.*');
  return new RegExp(`^${body}$`);
}

function sourceName(expr: Expr, fallback: string): string {
  if (expr.k === 'name') return expr.name;
  if (expr.k === 'paren') return sourceName(expr.expr, fallback);
  return fallback;
}

/** True when a name resolves to a table or tabular let (fuzzy unions skip the others). */
function resolvable(expr: Expr, env: QueryEnv): boolean {
  if (expr.k !== 'name') return true;
  const bound = env.lets.get(expr.name);
  return bound ? bound.kind === 'tabular' || bound.kind === 'function' : env.tables.has(expr.name);
}

export function union(input: { plan: Plan; expr: Expr } | null, op: UnionOp, env: QueryEnv, scope: Scope): Plan {
  const inputs: Input[] = [];
  let argument = 0;
  if (input) inputs.push({ plan: input.plan, source: sourceName(input.expr, `union_arg${argument++}`) });
  for (const source of op.sources) {
    if (source.k === 'wildcard') {
      const regex = wildcard(source.pattern);
      const names = [...env.tables.keys()].filter((n) => regex.test(n)).sort();
      if (names.length === 0 && !op.isfuzzy)
        throw semanticError(scope, `Failed to resolve table expression named '${source.pattern}'`, source.pos);
      for (const name of names) {
        inputs.push({ plan: env.compileTabular({ k: 'name', pos: source.pos, name }, null), source: name });
        argument++;
      }
      continue;
    }
    if (op.isfuzzy && !resolvable(source.expr, env)) {
      argument++;
      continue;
    }
    inputs.push({
      plan: env.compileTabular(source.expr, null),
      source: sourceName(source.expr, `union_arg${argument}`),
    });
    argument++;
  }
  if (inputs.length === 0) throw semanticError(scope, 'None of the union inputs could be resolved', op.pos);

  const columns = unionColumns(
    inputs.map((i) => i.plan.columns),
    op.kind,
  );
  const withsource = op.withsource;
  const outColumns: KqlColumn[] = withsource
    ? [{ name: withsource, type: 'string' }, ...columns.map((c) => ({ name: c.name, type: c.type }))]
    : columns.map((c) => ({ name: c.name, type: c.type }));
  return {
    columns: outColumns,
    rows: () => {
      const out: Row[] = [];
      inputs.forEach((input, i) => {
        const rows = input.plan.rows();
        env.budget.spend(rows.length, op.pos);
        for (const row of rows) {
          const o: Row = {};
          if (withsource) o[withsource] = input.source;
          for (const c of columns) {
            const from = c.sources[i];
            o[c.name] = from === undefined ? null : (row[from] ?? null);
          }
          out.push(o);
        }
      });
      return out;
    },
  };
}

interface UnionColumn {
  name: string;
  type: KqlType;
  /** Per input: the input column that feeds this output column, if any. */
  sources: (string | undefined)[];
}

function unionColumns(inputs: readonly (readonly KqlColumn[])[], kind: 'inner' | 'outer'): UnionColumn[] {
  const typesByName = new Map<string, KqlType[]>();
  for (const columns of inputs) {
    for (const c of columns) {
      const types = typesByName.get(c.name) ?? [];
      if (!types.includes(c.type)) types.push(c.type);
      typesByName.set(c.name, types);
    }
  }
  const out = new Map<string, UnionColumn>();
  inputs.forEach((columns, i) => {
    for (const c of columns) {
      const split = (typesByName.get(c.name) ?? []).length > 1;
      const name = split ? `${c.name}_${c.type}` : c.name;
      let column = out.get(name);
      if (!column) {
        column = { name, type: c.type, sources: [] };
        out.set(name, column);
      }
      column.sources[i] = c.name;
    }
  });
  const all = [...out.values()];
  if (kind === 'outer') return all;
  return all.filter((c) => inputs.every((_, i) => c.sources[i] !== undefined));
}
