// The engine's own syntax tree: a typed, plain-object copy of the parts of the Kusto.Language tree the sandbox
// supports, so the compiler never touches the untyped Bridge.NET objects.
import type { KqlColumn, KqlType } from './types';

export type BinaryOp =
  '+' | '-' | '*' | '/' | '%' | '==' | '!=' | '=~' | '!~' | '<' | '<=' | '>' | '>=' | 'and' | 'or' | 'matches regex';

/** String predicates: `has`, `!contains_cs`, `startswith`, ... (negation and case sensitivity split out). */
export interface StringPredicate {
  kind: 'has' | 'hasprefix' | 'hassuffix' | 'contains' | 'startswith' | 'endswith';
  negated: boolean;
  caseSensitive: boolean;
}

export type ListOp = 'in' | '!in' | 'in~' | '!in~' | 'has_any' | 'has_all';

interface At {
  /** Offset of the node in the query text. */
  pos: number;
}

export type Expr =
  | (At & { k: 'literal'; type: KqlType; value: unknown })
  | (At & { k: 'name'; name: string })
  | (At & { k: 'star' })
  | (At & { k: 'binary'; op: BinaryOp; left: Expr; right: Expr })
  | (At & { k: 'strop'; pred: StringPredicate; left: Expr; right: Expr })
  | (At & { k: 'list'; op: ListOp; left: Expr; items: Expr[] })
  | (At & { k: 'between'; negated: boolean; left: Expr; low: Expr; high: Expr })
  | (At & { k: 'unary'; op: '-' | '+'; operand: Expr })
  | (At & { k: 'call'; name: string; args: Expr[] })
  | (At & { k: 'member'; target: Expr; member: string })
  | (At & { k: 'index'; target: Expr; index: Expr })
  | (At & { k: 'paren'; expr: Expr })
  | (At & { k: 'assign'; name: string; expr: Expr })
  /** `(a, b) = arg_max(...)`: names for the columns of a multi-column result. */
  | (At & { k: 'assignMany'; names: string[]; expr: Expr })
  | (At & { k: 'ordered'; expr: Expr; desc?: boolean; nullsFirst?: boolean })
  | (At & { k: 'toscalar'; query: Expr })
  | (At & { k: 'materialize'; query: Expr })
  | (At & { k: 'pipe'; input: Expr; op: QueryOp })
  | (At & { k: 'print'; exprs: Expr[] })
  /** An operator that starts a query: `union A, B`, `range x from 1 to 5 step 1`, `evaluate plugin(...)`. */
  | (At & { k: 'source'; op: QueryOp })
  | (At & { k: 'datatable'; columns: KqlColumn[]; values: Expr[] })
  | (At & { k: 'externaldata'; columns: KqlColumn[]; urls: Expr[]; format: string | null })
  /** A user-defined function: `let f = (a: string, b: long = 1) { ... }`. */
  | (At & { k: 'lambda'; params: FunctionParam[]; body: Statement[] });

export interface FunctionParam {
  name: string;
  /** A scalar type, or 'table' for a tabular parameter (`T: (*)` or `T: (Col: type, ...)`). */
  type: KqlType | 'table';
  defaultValue?: Expr;
  pos: number;
}

/** One `on` condition of join/lookup: `Col`, or `$left.A == $right.B`. */
export interface JoinKey {
  left: string;
  right: string;
  pos: number;
}

export type UnionSource = (At & { k: 'wildcard'; pattern: string }) | (At & { k: 'table'; expr: Expr });

export interface MvExpandItem {
  name: string | null;
  expr: Expr;
  toType: KqlType | null;
  pos: number;
}

export interface MakeSeriesAggregate {
  name: string | null;
  call: Expr;
  defaultValue: Expr | null;
  pos: number;
}

export type ParsePart =
  { k: 'text'; value: string } | { k: 'column'; name: string; type: KqlType; pos: number } | { k: 'skip' };

export type QueryOp =
  | (At & { k: 'where'; keyword: string; condition: Expr })
  | (At & { k: 'project'; exprs: Expr[] })
  | (At & { k: 'project-away'; names: NamePattern[] })
  | (At & { k: 'project-reorder'; names: NamePattern[] })
  | (At & { k: 'project-rename'; renames: { to: string; from: string; pos: number }[] })
  | (At & { k: 'extend'; exprs: Expr[] })
  | (At & { k: 'summarize'; aggregates: Expr[]; by: Expr[] })
  | (At & { k: 'sort'; keyword: string; keys: Expr[] })
  | (At & { k: 'take'; keyword: string; count: Expr })
  | (At & { k: 'top'; count: Expr; key: Expr })
  | (At & { k: 'distinct'; exprs: Expr[] })
  | (At & { k: 'count'; as: string | null })
  | (At & { k: 'join'; kind: string; right: Expr; keys: JoinKey[] })
  | (At & { k: 'lookup'; kind: string; right: Expr; keys: JoinKey[] })
  | (At & { k: 'union'; kind: 'inner' | 'outer'; withsource: string | null; isfuzzy: boolean; sources: UnionSource[] })
  | (At & { k: 'render' })
  /** `search [kind=case_sensitive] [in (T1, ...)] Predicate`; a bare string term in the predicate is a `$term` call. */
  | (At & { k: 'search'; caseSensitive: boolean; sources: UnionSource[] | null; predicate: Expr })
  | (At & { k: 'as'; name: string })
  | (At & { k: 'serialize'; exprs: Expr[] })
  | (At & { k: 'project-keep'; names: NamePattern[] })
  | (At & { k: 'sample'; count: Expr })
  | (At & { k: 'getschema' })
  | (At & {
      k: 'mv-expand';
      legacy: boolean;
      bagAsArray: boolean;
      items: MvExpandItem[];
      itemIndex: string | null;
      limit: Expr | null;
    })
  | (At & {
      k: 'make-series';
      aggregates: MakeSeriesAggregate[];
      on: Expr;
      from: Expr | null;
      to: Expr | null;
      step: Expr;
      by: Expr[];
    })
  | (At & { k: 'invoke'; call: Expr })
  | (At & { k: 'evaluate'; call: Expr })
  | (At & {
      k: 'parse';
      keyword: string;
      mode: 'simple' | 'regex' | 'relaxed';
      flags: string;
      source: Expr;
      parts: ParsePart[];
    })
  | (At & { k: 'range'; name: string; from: Expr; to: Expr; step: Expr })
  | (At & { k: 'top-nested'; levels: { count: Expr | null; of: Expr; aggregate: Expr; withOthers: Expr | null }[] })
  | (At & { k: 'mv-apply'; bagAsArray: boolean; items: MvExpandItem[]; itemIndex: string | null; subquery: Expr });

/** A column name or a wildcard pattern such as `Initiating*`. */
export interface NamePattern {
  pattern: string;
  pos: number;
}

/** `namePos` is the offset of the let's name (where Kusto reports a second declaration of it). */
export type Statement =
  (At & { k: 'let'; name: string; namePos: number; value: Expr }) | (At & { k: 'query'; body: Expr });

/** The operator name used in messages: 'where', 'project-away', 'order', ... */
export function operatorName(op: QueryOp): string {
  switch (op.k) {
    case 'where':
    case 'sort':
    case 'take':
    case 'parse':
      return op.keyword;
    default:
      return op.k;
  }
}
