// Microsoft's Kusto.Language parser (npm @kusto/language-service-next, a Bridge.NET build of the .NET library that
// defines the global `Kusto.Language`), loaded on first use only: about 0.3 s and 30 MB, for `riposte validate`,
// the tests and the sandbox, never for the Function App (nothing under functions/ or shared/ imports this).
import { createRequire } from 'node:module';

/** The part of the library's API used here (the `.d.ts` beside the library has all of it). */
export interface KustoList<T> {
  Count: number;
  getItem(i: number): T;
}
export interface KustoDiagnostic {
  Message: string;
  Start: number;
  Length: number;
  /** Error, Warning, Suggestion, Information or Hidden. */
  Severity: string;
  Code: string;
}
export interface KustoNode {
  Kind: number;
  IsToken: boolean;
  ChildCount: number;
  TextStart: number;
  End: number;
  LiteralValue?: unknown;
  GetChild(i: number): KustoNode | null;
  [k: string]: unknown;
}
export interface KustoCode {
  Syntax: KustoNode;
  GetDiagnostics(): KustoList<KustoDiagnostic>;
}
export interface KustoLanguage {
  KustoCode: { Parse(text: string): KustoCode; ParseAndAnalyze(text: string, globals: unknown): KustoCode };
  GlobalState: {
    Default: {
      WithDatabase(db: unknown): unknown;
      GetFunction(n: string): unknown;
      GetAggregate(n: string): unknown;
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

export function toArray<T>(list: KustoList<T>): T[] {
  const out: T[] = [];
  for (let i = 0; i < list.Count; i++) out.push(list.getItem(i));
  return out;
}

export interface AnalyzedDiagnostic {
  severity: 'error' | 'warning';
  /** Kusto's own code, e.g. KS142. */
  code: string;
  message: string;
  /** Offset and length in the analysed text (UTF-16 code units). */
  start: number;
  length: number;
}

/**
 * Kusto's diagnostics for `text` against `globals`: its errors (syntax and semantic) and its warnings (the semantic
 * pass's and the built-in analyzers', e.g. a join without a kind), in text order. Suggestions and information are
 * left out: they are style advice, not problems.
 */
export function analyzeKql(text: string, globals: unknown): AnalyzedDiagnostic[] {
  const service = new (kustoLanguage().Editor.KustoCodeService.$ctor1)(text, globals);
  const out: AnalyzedDiagnostic[] = [];
  const seen = new Set<string>();
  for (const d of [...toArray(service.GetDiagnostics(true)), ...toArray(service.GetAnalyzerDiagnostics(true))]) {
    const severity = d.Severity === 'Error' ? 'error' : d.Severity === 'Warning' ? 'warning' : undefined;
    if (!severity) continue;
    const key = `${d.Start}:${d.Length}:${d.Code}:${d.Message}`;
    if (seen.has(key)) continue;
    seen.add(key);
    out.push({ severity, code: d.Code, message: d.Message, start: d.Start, length: d.Length });
  }
  return out.sort((a, b) => a.start - b.start || (a.severity === b.severity ? 0 : a.severity === 'error' ? -1 : 1));
}
