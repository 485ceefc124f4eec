// Microsoft's Kusto.Language (npm @kusto/language-service-next, a Bridge.NET build of the .NET library that defines
// the global `Kusto.Language`), loaded once per process on first use: about 0.3 s and 30 MB. The one loader for the
// sandbox's evaluator and for `riposte validate` (cli/kql/kusto.ts); it imports nothing of the app, so the sandbox
// stays independent of shared/. Never loaded by the Function App.
import { createRequire } from 'node:module';

/** The part of the library's API used here (the `.d.ts` beside the library has all of it). */
export interface KustoList<T> {
  readonly Count: number;
  getItem(index: number): T;
}

export interface KustoDiagnostic {
  readonly Message: string;
  readonly Start: number;
  readonly Length: number;
  /** Error, Warning, Suggestion, Information or Hidden. */
  readonly Severity: string;
  readonly Code: string;
}

/** A node or token of the syntax tree. Named children are read with the helpers in syntaxToAst.ts. */
export interface KustoNode {
  readonly Kind: number;
  readonly IsToken: boolean;
  readonly IsMissing: boolean;
  readonly ChildCount: number;
  readonly TextStart: number;
  readonly Width: number;
  readonly End: number;
  readonly LiteralValue?: unknown;
  GetChild(index: number): KustoNode | null;
  readonly [property: string]: unknown;
}

export interface KustoCode {
  readonly Syntax: KustoNode;
  GetDiagnostics(): KustoList<KustoDiagnostic>;
}

interface KustoFunctionSymbol {
  readonly Name: string;
}

export interface KustoLanguage {
  KustoCode: { Parse(text: string): KustoCode; ParseAndAnalyze(text: string, globals: unknown): KustoCode };
  GlobalState: {
    Default: {
      WithDatabase(database: unknown): unknown;
      GetFunction(name: string): KustoFunctionSymbol | null;
      GetAggregate(name: string): KustoFunctionSymbol | null;
    };
  };
  Symbols: {
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
    FunctionSymbol: { $ctor16: new (name: string, parameters: string, body: string, description: null) => unknown };
    DatabaseSymbol: { ctor: new (name: string, members: unknown[]) => unknown };
  };
  Editor: {
    KustoCodeService: {
      $ctor1: new (
        text: string,
        globals: unknown,
      ) => {
        GetDiagnostics(waitForAnalysis: boolean): KustoList<KustoDiagnostic>;
        GetAnalyzerDiagnostics(waitForAnalysis: boolean): KustoList<KustoDiagnostic>;
      };
    };
  };
  Syntax: { SyntaxKind: Record<string, unknown>; SyntaxFacts: { Keywords: unknown } };
}

/** Thrown when the library is not installed (it is a dev dependency: `npm ci` installs it). */
export class KustoUnavailableError extends Error {
  constructor(cause: unknown) {
    super(
      "Microsoft's KQL parser (@kusto/language-service-next) is not installed; run `npm ci` in the Riposte folder (it is a development dependency)",
      { cause },
    );
    this.name = 'KustoUnavailableError';
  }
}

let language: KustoLanguage | undefined;
let kindNames: Map<number, string> | undefined;

/** The `Kusto.Language` namespace, loading the library on the first call. */
export function kustoLanguage(): KustoLanguage {
  if (!language) {
    const req = createRequire(__filename);
    try {
      req('@kusto/language-service-next/bridge.min.js');
      req('@kusto/language-service-next/Kusto.Language.Bridge.min.js');
    } catch (e) {
      throw new KustoUnavailableError(e);
    }
    language = (globalThis as unknown as { Kusto: { Language: KustoLanguage } }).Kusto.Language;
  }
  return language;
}

/** The SyntaxKind name of a node's Kind, e.g. 'FilterOperator', 'HasExpression', 'StringLiteralToken'. */
export function syntaxKindName(kind: number): string {
  if (!kindNames) {
    kindNames = new Map();
    for (const [name, value] of Object.entries(kustoLanguage().Syntax.SyntaxKind)) {
      if (typeof value === 'number') kindNames.set(value, name);
    }
  }
  return kindNames.get(kind) ?? `Kind${kind}`;
}

export function toArray<T>(list: KustoList<T>): T[] {
  const out: T[] = [];
  for (let i = 0; i < list.Count; i++) out.push(list.getItem(i));
  return out;
}

export interface DatabaseTable {
  name: string;
  columns: readonly { name: string; type: string }[];
}

/** A function as Kusto.Language declares one: its parameter list and a body that gives its output's types. */
export interface FunctionDeclaration {
  name: string;
  parameters: string;
  body: string;
}

/**
 * Kusto's global state with one database, `hunting`, holding these tables and functions. Symbols are built directly
 * (no schema text for Kusto to parse: with 65 tables that made the first query take seconds); a column type Kusto
 * has no scalar for is dynamic.
 */
export function databaseGlobals(tables: Iterable<DatabaseTable>, functions: Iterable<FunctionDeclaration>): unknown {
  const K = kustoLanguage();
  const T = K.Symbols.ScalarTypes;
  const scalar: Record<string, unknown> = {
    bool: T.Bool,
    datetime: T.DateTime,
    decimal: T.Decimal,
    dynamic: T.Dynamic,
    guid: T.Guid,
    int: T.Int,
    long: T.Long,
    real: T.Real,
    string: T.String,
    timespan: T.TimeSpan,
  };
  const members: unknown[] = [...tables].map(
    (t) =>
      new K.Symbols.TableSymbol.$ctor4(
        t.name,
        t.columns.map((c) => new K.Symbols.ColumnSymbol(c.name, scalar[c.type] ?? T.Dynamic, null, null, null, null)),
      ),
  );
  for (const f of functions) members.push(new K.Symbols.FunctionSymbol.$ctor16(f.name, f.parameters, f.body, null));
  return K.GlobalState.Default.WithDatabase(new K.Symbols.DatabaseSymbol.ctor('hunting', members));
}
