// Converts Kusto.Language query operators (the part after `|`, and operators that start a query such as `union`,
// `range` and `evaluate`) into the engine's AST.
import type { Expr, JoinKey, MvExpandItem, NamePattern, ParsePart, QueryOp, UnionSource } from './ast';
import type { KustoNode } from './kustoLanguage';
import { kindName } from './kustoParser';
import {
  child,
  firstTokenText,
  items,
  namedParameters,
  operatorKeyword,
  required,
  simpleName,
  text,
  unsupported,
} from './syntaxHelpers';
import { convertExpr, convertExprList } from './syntaxToAst';
import { KqlError, type KqlType } from './types';

export const SUPPORTED_OPERATORS = [
  'where',
  'filter',
  'project',
  'project-away',
  'project-keep',
  'project-rename',
  'project-reorder',
  'extend',
  'summarize',
  'order by',
  'sort by',
  'take',
  'limit',
  'top',
  'distinct',
  'count',
  'print',
  'join',
  'lookup',
  'union',
  'search',
  'render',
  'mv-expand',
  'mv-apply',
  'make-series',
  'invoke',
  'parse',
  'evaluate',
  'serialize',
  'sample',
  'as',
  'getschema',
  'range',
  'datatable',
  'externaldata',
] as const;

export function unsupportedOperator(name: string, pos: number): KqlError {
  return new KqlError(
    'unsupported',
    `The '${name}' operator is not supported by the sandbox (supported: ${SUPPORTED_OPERATORS.join(', ')})`,
    pos,
  );
}

const TYPE_NAMES: Record<string, KqlType> = {
  string: 'string',
  long: 'long',
  int: 'int',
  int32: 'int',
  int64: 'long',
  real: 'real',
  double: 'real',
  decimal: 'real',
  bool: 'bool',
  boolean: 'bool',
  datetime: 'datetime',
  date: 'datetime',
  timespan: 'timespan',
  time: 'timespan',
  dynamic: 'dynamic',
  guid: 'guid',
  uuid: 'guid',
  uniqueid: 'guid',
};

/** The scalar type a type expression names (`string`, `typeof(long)`, ...). */
export function typeOf(node: KustoNode): KqlType {
  const kind = kindName(node);
  if (kind === 'TypeOfLiteralExpression') {
    const [first] = items(child(node, 'Types'));
    if (first) return typeOf(first);
  }
  const keyword = kind === 'PrimitiveTypeExpression' ? text(child(node, 'Type')) : firstTokenText(node);
  const type = TYPE_NAMES[keyword.toLowerCase()];
  if (!type) throw unsupported(`The type '${keyword}'`, node.TextStart);
  return type;
}

/** `(Name: type, ...)` column declarations (datatable, externaldata, tabular function parameters). */
export function columnDeclarations(list: KustoNode | null): { name: string; type: KqlType }[] {
  return items(list).map((c) => ({ name: simpleName(required(c, 'Name')), type: typeOf(required(c, 'Type')) }));
}

function namePatterns(node: KustoNode, operator: string): NamePattern[] {
  return items(child(node, 'Expressions')).map((e) => {
    if (kindName(e) !== 'NameReference')
      throw unsupported(`An expression in '${operator}' (only column names)`, e.TextStart);
    return { pattern: simpleName(e), pos: e.TextStart };
  });
}

function parameterValue(node: KustoNode, name: string): string | undefined {
  return namedParameters(child(node, 'Parameters')).find((p) => p.name === name)?.value;
}

/** `$left.A` / `$right.B`: which side and the column. */
function sideColumn(node: KustoNode): { side: 'left' | 'right'; name: string } | null {
  if (kindName(node) !== 'PathExpression') return null;
  const target = required(node, 'Expression');
  const selector = required(node, 'Selector');
  const side = simpleName(target).toLowerCase();
  if ((side !== '$left' && side !== '$right') || kindName(selector) !== 'NameReference') return null;
  return { side: side === '$left' ? 'left' : 'right', name: simpleName(selector) };
}

function joinKeys(clause: KustoNode | null, operator: string, pos: number): JoinKey[] {
  if (!clause || kindName(clause) !== 'JoinOnClause')
    throw unsupported(`'${operator}' without an 'on' clause (for example 'join ... where')`, clause?.TextStart ?? pos);
  const keys: JoinKey[] = [];
  const add = (e: KustoNode): void => {
    const kind = kindName(e);
    if (kind === 'AndExpression') {
      add(required(e, 'Left'));
      add(required(e, 'Right'));
      return;
    }
    if (kind === 'ParenthesizedExpression') return add(required(e, 'Expression'));
    if (kind === 'NameReference') {
      keys.push({ left: simpleName(e), right: simpleName(e), pos: e.TextStart });
      return;
    }
    if (kind === 'EqualExpression') {
      const a = sideColumn(required(e, 'Left'));
      const b = sideColumn(required(e, 'Right'));
      if (a && b && a.side !== b.side) {
        const [l, r] = a.side === 'left' ? [a, b] : [b, a];
        keys.push({ left: l.name, right: r.name, pos: e.TextStart });
        return;
      }
    }
    throw unsupported(`This '${operator}' condition (use 'Col' or '$left.A == $right.B')`, e.TextStart);
  };
  for (const e of items(child(clause, 'Expressions'))) add(e);
  return keys;
}

const JOIN_KINDS: Record<string, string> = {
  innerunique: 'innerunique',
  inner: 'inner',
  leftouter: 'leftouter',
  rightouter: 'rightouter',
  fullouter: 'fullouter',
  outer: 'leftouter',
  leftanti: 'leftanti',
  anti: 'leftanti',
  leftantisemi: 'leftanti',
  rightanti: 'rightanti',
  rightantisemi: 'rightanti',
  leftsemi: 'leftsemi',
  semi: 'leftsemi',
  rightsemi: 'rightsemi',
};

function mvItems(node: KustoNode): MvExpandItem[] {
  return items(child(node, 'Expressions')).map((item) => {
    const e = required(item, 'Expression');
    const toTypeOf = child(item, 'ToTypeOf');
    const toType = toTypeOf ? typeOf(required(toTypeOf, 'TypeOf')) : null;
    if (kindName(e) === 'SimpleNamedExpression') {
      return {
        name: simpleName(required(e, 'Name')),
        expr: convertExpr(required(e, 'Expression')),
        toType,
        pos: e.TextStart,
      };
    }
    return { name: null, expr: convertExpr(e), toType, pos: e.TextStart };
  });
}

function bagAsArray(node: KustoNode): boolean {
  return (parameterValue(node, 'bagexpansion') ?? parameterValue(node, 'kind') ?? 'bag').toLowerCase() === 'array';
}

function parseParts(node: KustoNode): ParsePart[] {
  return items(child(node, 'Patterns')).map((p): ParsePart => {
    switch (kindName(p)) {
      case 'StringLiteralExpression':
      case 'CompoundStringLiteralExpression': {
        const lit = convertExpr(p);
        return { k: 'text', value: lit.k === 'literal' ? String(lit.value ?? '') : '' };
      }
      case 'NameAndTypeDeclaration':
        return {
          k: 'column',
          name: simpleName(required(p, 'Name')),
          type: typeOf(required(p, 'Type')),
          pos: p.TextStart,
        };
      case 'NameDeclaration':
        return { k: 'column', name: simpleName(p), type: 'string', pos: p.TextStart };
      case 'StarExpression':
        return { k: 'skip' };
      default:
        throw unsupported(`This 'parse' pattern element '${firstTokenText(p)}'`, p.TextStart);
    }
  });
}

/** search's predicate: a bare string is a term looked for in every column (`$term`), `Col:"x"` is `Col has "x"`;
 * and/or/not combine them; anything else is an ordinary expression. */
function searchPredicate(node: KustoNode): Expr {
  const kind = kindName(node);
  // `search *`: every row.
  if (kind === 'StarExpression') return { k: 'literal', pos: node.TextStart, type: 'bool', value: true };
  if (kind === 'StringLiteralExpression' || kind === 'CompoundStringLiteralExpression') {
    const e = convertExpr(node);
    return { k: 'call', pos: e.pos, name: '$term', args: [e] };
  }
  if (kind === 'ParenthesizedExpression')
    return { k: 'paren', pos: node.TextStart, expr: searchPredicate(required(node, 'Expression')) };
  if (kind === 'AndExpression' || kind === 'OrExpression')
    return {
      k: 'binary',
      pos: node.TextStart,
      op: kind === 'AndExpression' ? 'and' : 'or',
      left: searchPredicate(required(node, 'Left')),
      right: searchPredicate(required(node, 'Right')),
    };
  if (kind === 'SearchExpression')
    return {
      k: 'strop',
      pos: node.TextStart,
      pred: { kind: 'has', negated: false, caseSensitive: false },
      left: convertExpr(required(node, 'Left')),
      right: convertExpr(required(node, 'Right')),
    };
  return convertExpr(node);
}

function unionSources(node: KustoNode): UnionSource[] {
  return items(child(node, 'Expressions')).map((e): UnionSource => {
    const name = kindName(e) === 'NameReference' ? child(e, 'Name') : null;
    if (name && kindName(name) === 'WildcardedName')
      return { k: 'wildcard', pos: e.TextStart, pattern: text(child(name, 'Pattern')) || simpleName(e) };
    return { k: 'table', pos: e.TextStart, expr: convertExpr(e) };
  });
}

/** Operators that may start a query (no input): union, range, evaluate, print (handled with expressions). */
export function convertSourceOperator(node: KustoNode): QueryOp | null {
  switch (kindName(node)) {
    case 'UnionOperator':
    case 'SearchOperator':
    case 'RangeOperator':
    case 'EvaluateOperator':
      return convertOperator(node);
    default:
      return null;
  }
}

export function convertOperator(node: KustoNode): QueryOp {
  const pos = node.TextStart;
  const kind = kindName(node);
  switch (kind) {
    case 'FilterOperator':
      return {
        k: 'where',
        pos,
        keyword: text(child(node, 'Keyword')).toLowerCase() || 'where',
        condition: convertExpr(required(node, 'Condition')),
      };
    case 'ProjectOperator':
      return { k: 'project', pos, exprs: convertExprList(child(node, 'Expressions')) };
    case 'ProjectAwayOperator':
      return { k: 'project-away', pos, names: namePatterns(node, 'project-away') };
    case 'ProjectKeepOperator':
      return { k: 'project-keep', pos, names: namePatterns(node, 'project-keep') };
    case 'ProjectReorderOperator':
      return { k: 'project-reorder', pos, names: namePatterns(node, 'project-reorder') };
    case 'ProjectRenameOperator':
      return {
        k: 'project-rename',
        pos,
        renames: items(child(node, 'Expressions')).map((e) => {
          const source = kindName(e) === 'SimpleNamedExpression' ? required(e, 'Expression') : null;
          if (!source || kindName(source) !== 'NameReference')
            throw unsupported("This form of 'project-rename' (use NewName = OldName)", e.TextStart);
          return { to: simpleName(required(e, 'Name')), from: simpleName(source), pos: source.TextStart };
        }),
      };
    case 'ExtendOperator':
      return { k: 'extend', pos, exprs: convertExprList(child(node, 'Expressions')) };
    case 'SummarizeOperator': {
      const by = child(node, 'ByClause');
      if (by && child(by, 'BinClause')) throw unsupported("A 'summarize ... by ... bin=' clause", pos);
      return {
        k: 'summarize',
        pos,
        aggregates: convertExprList(child(node, 'Aggregates')),
        by: by ? convertExprList(child(by, 'Expressions')) : [],
      };
    }
    case 'SortOperator':
      return {
        k: 'sort',
        pos,
        keyword: text(child(node, 'Keyword')).toLowerCase() || 'sort',
        keys: convertExprList(child(node, 'Expressions')),
      };
    case 'TakeOperator':
      return {
        k: 'take',
        pos,
        keyword: text(child(node, 'Keyword')).toLowerCase() || 'take',
        count: convertExpr(required(node, 'Expression')),
      };
    case 'TopOperator':
      return {
        k: 'top',
        pos,
        count: convertExpr(required(node, 'Expression')),
        key: convertExpr(required(node, 'ByExpression')),
      };
    case 'DistinctOperator':
      return { k: 'distinct', pos, exprs: convertExprList(child(node, 'Expressions')) };
    case 'CountOperator': {
      const as = child(node, 'AsIdentifier');
      return { k: 'count', pos, as: as ? simpleName(required(as, 'Name')) : null };
    }
    case 'JoinOperator':
    case 'LookupOperator': {
      const operator = kind === 'JoinOperator' ? 'join' : 'lookup';
      const requested = (
        parameterValue(node, 'kind') ?? (operator === 'join' ? 'innerunique' : 'leftouter')
      ).toLowerCase();
      const joinKind = JOIN_KINDS[requested];
      if (!joinKind || (operator === 'lookup' && joinKind !== 'inner' && joinKind !== 'leftouter'))
        throw new KqlError('semantic', `'${operator}' operator: unknown kind '${requested}'`, pos);
      return {
        k: operator,
        pos,
        kind: joinKind,
        right: convertExpr(required(node, 'Expression')),
        keys: joinKeys(child(node, operator === 'join' ? 'ConditionClause' : 'LookupClause'), operator, pos),
      };
    }
    case 'UnionOperator': {
      const withsource = parameterValue(node, 'withsource') ?? parameterValue(node, 'with_source') ?? null;
      const unionKind = (parameterValue(node, 'kind') ?? 'outer').toLowerCase();
      return {
        k: 'union',
        pos,
        kind: unionKind === 'inner' ? 'inner' : 'outer',
        withsource,
        isfuzzy: (parameterValue(node, 'isfuzzy') ?? 'false').toLowerCase() === 'true',
        sources: unionSources(node),
      };
    }
    case 'RenderOperator':
      return { k: 'render', pos };
    case 'SearchOperator': {
      const inClause = child(node, 'InClause');
      return {
        k: 'search',
        pos,
        caseSensitive: (parameterValue(node, 'kind') ?? '').toLowerCase() === 'case_sensitive',
        sources: inClause ? unionSources(inClause) : null,
        predicate: searchPredicate(required(node, 'Condition')),
      };
    }
    case 'AsOperator':
      return { k: 'as', pos, name: simpleName(required(node, 'Name')) };
    case 'SerializeOperator':
      return { k: 'serialize', pos, exprs: convertExprList(child(node, 'Expressions')) };
    case 'SampleOperator':
      return { k: 'sample', pos, count: convertExpr(required(node, 'Expression')) };
    case 'GetSchemaOperator':
      return { k: 'getschema', pos };
    case 'MvExpandOperator': {
      const limit = child(node, 'RowLimitClause');
      return {
        k: 'mv-expand',
        pos,
        legacy: operatorKeyword(node) === 'mvexpand',
        bagAsArray: bagAsArray(node),
        items: mvItems(node),
        itemIndex: parameterValue(node, 'with_itemindex') ?? null,
        limit: limit ? convertExpr(required(limit, 'RowLimit')) : null,
      };
    }
    case 'MvApplyOperator': {
      const subquery = required(required(node, 'Subquery'), 'Expression');
      return {
        k: 'mv-apply',
        pos,
        bagAsArray: bagAsArray(node),
        items: mvItems(node),
        itemIndex: parameterValue(node, 'with_itemindex') ?? null,
        subquery: convertSubquery(subquery),
      };
    }
    case 'MakeSeriesOperator':
      return convertMakeSeries(node);
    case 'InvokeOperator':
      return { k: 'invoke', pos, call: convertExpr(required(node, 'Function')) };
    case 'EvaluateOperator':
      return { k: 'evaluate', pos, call: convertExpr(required(node, 'FunctionCall')) };
    case 'ParseOperator':
    case 'ParseWhereOperator': {
      const mode = (parameterValue(node, 'kind') ?? 'simple').toLowerCase();
      if (mode !== 'simple' && mode !== 'regex' && mode !== 'relaxed')
        throw new KqlError('semantic', `'parse' operator: unknown kind '${mode}'`, pos);
      return {
        k: 'parse',
        pos,
        keyword: kind === 'ParseWhereOperator' ? 'parse-where' : 'parse',
        mode,
        flags: parameterValue(node, 'flags') ?? '',
        source: convertExpr(required(node, 'Expression')),
        parts: parseParts(node),
      };
    }
    case 'RangeOperator':
      return {
        k: 'range',
        pos,
        name: simpleName(required(node, 'Name')),
        from: convertExpr(required(node, 'From')),
        to: convertExpr(required(node, 'To')),
        step: convertExpr(required(node, 'Step')),
      };
    default:
      throw unsupportedOperator(operatorKeyword(node), pos);
  }
}

function convertMakeSeries(node: KustoNode): QueryOp {
  const pos = node.TextStart;
  const range = required(node, 'RangeClause');
  let from: Expr | null;
  let to: Expr | null;
  let step: Expr;
  if (kindName(range) === 'MakeSeriesFromToStepClause') {
    const f = child(range, 'MakeSeriesFromClause');
    const t = child(range, 'MakeSeriesToClause');
    from = f ? convertExpr(required(f, 'Expression')) : null;
    to = t ? convertExpr(required(t, 'Expression')) : null;
    step = convertExpr(required(required(range, 'MakeSeriesStepClause'), 'Expression'));
  } else {
    // `in range(start, stop, step)`
    const args = convertExprList(child(required(range, 'ArgumentList'), 'Expressions'));
    if (args.length !== 3) throw unsupported("This 'make-series ... in range(...)' form", range.TextStart);
    [from, to, step] = args as [Expr, Expr, Expr];
  }
  const by = child(node, 'ByClause');
  return {
    k: 'make-series',
    pos,
    aggregates: items(child(node, 'Aggregates')).map((a) => {
      const e = required(a, 'Expression');
      const d = child(a, 'DefaultExpression');
      const named = kindName(e) === 'SimpleNamedExpression';
      return {
        name: named ? simpleName(required(e, 'Name')) : null,
        call: convertExpr(named ? required(e, 'Expression') : e),
        defaultValue: d ? convertExpr(required(d, 'Expression')) : null,
        pos: a.TextStart,
      };
    }),
    on: convertExpr(required(required(node, 'OnClause'), 'Expression')),
    from,
    to,
    step,
    by: by ? convertExprList(child(by, 'Expressions')) : [],
  };
}

/** An mv-apply subquery: operators with an implicit input, e.g. `(where x > 1 | summarize ...)`. The implicit input
 * is the name '$input', bound by the evaluator to the expanded rows of one source row. */
function convertSubquery(node: KustoNode): Expr {
  const kind = kindName(node);
  if (kind === 'PipeExpression') {
    return {
      k: 'pipe',
      pos: node.TextStart,
      input: convertSubquery(required(node, 'Expression')),
      op: convertOperator(required(node, 'Operator')),
    };
  }
  if (kind.endsWith('Operator'))
    return {
      k: 'pipe',
      pos: node.TextStart,
      input: { k: 'name', pos: node.TextStart, name: '$input' },
      op: convertOperator(node),
    };
  return convertExpr(node);
}
