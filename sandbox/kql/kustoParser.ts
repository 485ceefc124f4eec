// Loads Microsoft's Kusto.Language parser (a Bridge.NET build that defines the global `Kusto.Language`) once per
// process, lazily, because loading takes about 0.3 s. Exposes only the few members the engine reads, typed loosely.
import { createRequire } from 'node:module';

/** A node or token of the Kusto.Language syntax tree. Named children are read with the helpers in syntaxToAst.ts. */
export interface KustoElement {
  readonly Kind: number;
  readonly IsToken: boolean;
  readonly IsMissing: boolean;
  readonly ChildCount: number;
  readonly TextStart: number;
  readonly Width: number;
  GetChild(index: number): KustoElement | null;
  readonly [property: string]: unknown;
}

interface KustoDiagnostic {
  readonly Message: string;
  readonly Start: number;
  readonly Length: number;
  readonly Severity: string;
}

interface KustoList<T> {
  readonly Count: number;
  getItem(index: number): T;
}

interface KustoCode {
  readonly Syntax: KustoElement;
  GetDiagnostics(): KustoList<KustoDiagnostic>;
}

interface KustoFunctionSymbol {
  readonly Name: string;
}

/** Constructors of Kusto.Language symbols (Bridge.NET names), for building a database of the sandbox's tables. */
interface KustoSymbols {
  TableSymbol: {
    $ctor7: new (name: string, columns: string, description: null) => unknown;
    $ctor4: new (name: string, columns: unknown[]) => unknown;
  };
  ColumnSymbol: new (
    name: string,
    type: unknown,
    description: null,
    original: null,
    source: null,
    examples: null,
  ) => unknown;
  ScalarTypes: Record<
    'Bool' | 'DateTime' | 'Decimal' | 'Dynamic' | 'Guid' | 'Int' | 'Long' | 'Real' | 'String' | 'TimeSpan',
    unknown
  >;
  FunctionSymbol: {
    $ctor16: new (name: string, parameters: string, body: string, description: null) => unknown;
  };
  DatabaseSymbol: { ctor: new (name: string, members: unknown[]) => unknown };
}

interface KustoLanguage {
  KustoCode: { Parse(text: string): KustoCode; ParseAndAnalyze(text: string, globals: unknown): KustoCode };
  Symbols: KustoSymbols;
  GlobalState: {
    Default: {
      GetFunction(name: string): KustoFunctionSymbol | null;
      GetAggregate(name: string): KustoFunctionSymbol | null;
      WithDatabase(database: unknown): unknown;
    };
  };
  Syntax: { SyntaxKind: Record<string, number | unknown> };
}

interface Loaded {
  language: KustoLanguage;
  kindNames: Map<number, string>;
}

let loaded: Loaded | undefined;

function load(): Loaded {
  if (loaded) return loaded;
  const req = createRequire(__filename);
  req('@kusto/language-service-next/bridge.min.js');
  req('@kusto/language-service-next/Kusto.Language.Bridge.min.js');
  const language = (globalThis as unknown as { Kusto: { Language: KustoLanguage } }).Kusto.Language;
  const kindNames = new Map<number, string>();
  for (const [name, value] of Object.entries(language.Syntax.SyntaxKind)) {
    if (typeof value === 'number') kindNames.set(value, name);
  }
  loaded = { language, kindNames };
  return loaded;
}

/** The loaded Kusto.Language namespace (for semantic analysis in kustoSemantics.ts). */
export function kustoLanguage(): KustoLanguage {
  return load().language;
}

export interface SyntaxProblem {
  message: string;
  offset: number;
}

export interface ParsedQuery {
  root: KustoElement;
  /** The first syntax error, if any. */
  error?: SyntaxProblem;
}

/** Parses without a schema (syntax only). */
export function parseKusto(text: string): ParsedQuery {
  const code = load().language.KustoCode.Parse(text);
  const diagnostics = code.GetDiagnostics();
  for (let i = 0; i < diagnostics.Count; i++) {
    const d = diagnostics.getItem(i);
    if (d.Severity === 'Error') return { root: code.Syntax, error: { message: d.Message, offset: d.Start } };
  }
  return { root: code.Syntax };
}

/** The SyntaxKind name of an element, e.g. 'FilterOperator', 'HasExpression', 'StringLiteralToken'. */
export function kindName(element: KustoElement): string {
  return load().kindNames.get(element.Kind) ?? `Kind${element.Kind}`;
}

/** True when `name` is an aggregation function that Kusto knows. */
export function isKnownKustoAggregate(name: string): boolean {
  return load().language.GlobalState.Default.GetAggregate(name) !== null;
}

/** True when `name` is a scalar or aggregate function that Kusto knows (so the sandbox can say "unsupported"). */
export function isKnownKustoFunction(name: string): boolean {
  const state = load().language.GlobalState.Default;
  return state.GetFunction(name) !== null || state.GetAggregate(name) !== null;
}
