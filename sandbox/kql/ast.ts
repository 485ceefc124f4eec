// The engine's own syntax tree: a typed, plain-object copy of the parts of the Kusto.Language tree the sandbox
// supports, so the compiler never touches the untyped Bridge.NET objects.
import type { KqlType } from './types';

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
  | (At & { k: 'ordered'; expr: Expr; desc?: boolean; nullsFirst?: boolean })
  | (At & { k: 'toscalar'; query: Expr })
  | (At & { k: 'materialize'; query: Expr })
  | (At & { k: 'pipe'; input: Expr; op: QueryOp })
  | (At & { k: 'print'; exprs: Expr[] });

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
  | (At & { k: 'count' });

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
      return op.keyword;
    default:
      return op.k;
  }
}
