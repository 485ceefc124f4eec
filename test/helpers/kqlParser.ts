// Test access to Microsoft's Kusto.Language parser, loaded once per process through cli/kql/kusto.ts (the loader
// `riposte validate` and the sandbox use, sandbox/kql/kustoLanguage.ts). Never used by shared/. The hunting schema comes from the one schema data file
// (schemas/hunting/advanced-hunting-schema.json) through cli/kql/huntingGlobals.ts.
import { huntingGlobals } from '../../cli/kql/huntingGlobals';
import { kustoLanguage, syntaxKindName, type KustoNode } from '../../cli/kql/kusto';

export interface KqlDiagnostic {
  message: string;
  start: number;
  length: number;
  severity: string;
}

/** A decoded literal value: string, number (int/real/bool as boolean), bigint (long, timespan ticks), Date, list. */
export type KqlValue = string | number | boolean | bigint | Date | null | KqlValue[] | { ticks: bigint };

export interface LetLiteral {
  name: string;
  /** SyntaxKind name of the bound expression, e.g. StringLiteralExpression, DynamicExpression. */
  kind: string;
  /** The parser's decoded value; undefined when the expression is not a literal form this helper knows. */
  value: KqlValue | undefined;
  /** The expression's source text. */
  text: string;
}

/** A column list in Kusto schema syntax, e.g. `(Timestamp:datetime, DeviceName:string)`. */
export interface KqlTableSchema {
  name: string;
  columns: string;
}

type Node = KustoNode;
interface List<T> {
  Count: number;
  getItem(i: number): T;
}

function kindOf(node: Node): string {
  return syntaxKindName(node.Kind);
}

function toList(list: List<{ Message: string; Start: number; Length: number; Severity: string }>): KqlDiagnostic[] {
  const out: KqlDiagnostic[] = [];
  for (let i = 0; i < list.Count; i++) {
    const d = list.getItem(i);
    out.push({ message: d.Message, start: d.Start, length: d.Length, severity: d.Severity });
  }
  return out;
}

/** Syntax diagnostics (no schema); empty means the text parses. */
export function kqlDiagnostics(text: string): KqlDiagnostic[] {
  return toList(kustoLanguage().KustoCode.Parse(text).GetDiagnostics());
}

const globalsCache = new Map<string, unknown>();

/** Diagnostics against the whole advanced hunting schema (every table and documented function). */
export function kqlHuntingDiagnostics(text: string): KqlDiagnostic[] {
  return toList(kustoLanguage().KustoCode.ParseAndAnalyze(text, huntingGlobals()).GetDiagnostics());
}

/** Diagnostics with the given tables in scope: unknown tables, columns, functions and type errors are reported. */
export function kqlSemanticDiagnostics(text: string, tables: readonly KqlTableSchema[]): KqlDiagnostic[] {
  const K = kustoLanguage();
  const key = tables.map((t) => t.name).join(',');
  let globals = globalsCache.get(key);
  if (!globals) {
    const symbols = tables.map((t) => new K.Symbols.TableSymbol.$ctor7(t.name, t.columns, null));
    globals = K.GlobalState.Default.WithDatabase(new K.Symbols.DatabaseSymbol.ctor('hunting', symbols));
    globalsCache.set(key, globals);
  }
  return toList(K.KustoCode.ParseAndAnalyze(text, globals).GetDiagnostics());
}

/** Number of statements (`let`s plus the query) at the top level. */
export function kqlStatementCount(text: string): number {
  return parseKql(text).statementCount;
}

/** Bridge.NET boxes ints, reals, bools and dates as `{ v }`, and longs as System.Int64 objects. */
function unbox(value: unknown): unknown {
  if (value !== null && typeof value === 'object') {
    const o = value as { $boxed?: boolean; v?: unknown; T?: { $$name?: string } };
    if (o.$boxed) return o.v;
    if (o.T?.$$name === 'System.Int64') return BigInt(String(value));
  }
  return value;
}

function decode(expr: Node): KqlValue | undefined {
  switch (kindOf(expr)) {
    case 'StringLiteralExpression':
      return expr.LiteralValue as string;
    case 'LongLiteralExpression': {
      const v = unbox(expr.LiteralValue);
      return typeof v === 'number' ? BigInt(v) : (v as bigint);
    }
    case 'IntLiteralExpression':
    case 'RealLiteralExpression':
    case 'BooleanLiteralExpression':
    case 'DateTimeLiteralExpression':
      return unbox(expr.LiteralValue) as KqlValue;
    case 'TimespanLiteralExpression': {
      const v = expr.LiteralValue as { ticks: unknown } | null;
      return v === null ? null : { ticks: BigInt(String(v.ticks)) };
    }
    case 'UnaryMinusExpression': {
      const inner = decode(expr['Expression'] as Node);
      if (typeof inner === 'bigint') return -inner;
      if (typeof inner === 'number') return -inner;
      return undefined;
    }
    case 'DynamicExpression': {
      const json = expr['Expression'] as Node;
      if (kindOf(json) !== 'JsonArrayExpression') return undefined;
      const values = json['Values'] as List<{ Element: Node }>;
      const out: KqlValue[] = [];
      for (let i = 0; i < values.Count; i++) {
        const item = decode(values.getItem(i).Element);
        if (item === undefined) return undefined;
        out.push(item);
      }
      return out;
    }
    default:
      return undefined;
  }
}

export interface ParsedKql {
  diagnostics: KqlDiagnostic[];
  /** Number of top-level statements (`let`s plus the query). */
  statementCount: number;
  /** Every top-level `let name = <expr>;`, with the parser's decoded value of its literal. */
  lets: LetLiteral[];
}

/** Parses once (syntax only) and reports diagnostics, statements and `let` literals. */
export function parseKql(text: string): ParsedKql {
  const code = kustoLanguage().KustoCode.Parse(text);
  const statements = code.Syntax['Statements'] as List<{ Element: Node }>;
  const lets: LetLiteral[] = [];
  for (let i = 0; i < statements.Count; i++) {
    const s = statements.getItem(i).Element;
    if (kindOf(s) !== 'LetStatement') continue;
    const expr = s['Expression'] as Node;
    const name = (s['Name'] as { SimpleName: string }).SimpleName;
    lets.push({ name, kind: kindOf(expr), value: decode(expr), text: text.slice(expr.TextStart, expr.End) });
  }
  return { diagnostics: toList(code.GetDiagnostics()), statementCount: statements.Count, lets };
}

/** Every top-level `let name = <expr>;` with the parser's decoded value of its literal. */
export function kqlLetLiterals(text: string): LetLiteral[] {
  return parseKql(text).lets;
}

export interface KqlToken {
  /** SyntaxKind name, e.g. IdentifierToken, WhereKeyword, StringLiteralToken. */
  kind: string;
  text: string;
}

/** Every token of the parse, in order (no trivia: comments and white space are not tokens). */
export function kqlTokens(text: string): KqlToken[] {
  const out: KqlToken[] = [];
  const walk = (node: Node | null): void => {
    if (!node) return;
    if (node.IsToken) {
      out.push({ kind: kindOf(node), text: node['Text'] as string });
      return;
    }
    for (let i = 0; i < node.ChildCount; i++) walk(node.GetChild(i));
  };
  walk(kustoLanguage().KustoCode.Parse(text).Syntax);
  return out;
}

/** Identifier-shaped keywords of the language (SyntaxFacts.Keywords). */
export function kqlKeywords(): string[] {
  const K = kustoLanguage();
  const enumerable = K.Syntax.SyntaxFacts.Keywords as { [k: string]: () => { moveNext(): boolean; Current: string } };
  const getEnumerator = Object.keys(Object.getPrototypeOf(enumerable) ?? {})
    .concat(Object.keys(enumerable))
    .find((k) => /GetEnumerator$/.test(k));
  if (!getEnumerator) throw new Error('Kusto.Language: SyntaxFacts.Keywords has no enumerator');
  const it = (enumerable[getEnumerator] as () => { moveNext(): boolean; Current: string }).call(enumerable);
  const out: string[] = [];
  while (it.moveNext()) out.push(it.Current);
  return out;
}

/** True when Kusto knows `name` as a scalar or aggregate function. */
export function isKqlFunction(name: string): boolean {
  const state = kustoLanguage().GlobalState.Default;
  return state.GetFunction(name) !== null || state.GetAggregate(name) !== null;
}
