// Microsoft's Kusto.Language for `riposte validate`, the tests and scripts: the loader and types are the sandbox's
// (sandbox/kql/kustoLanguage.ts, which imports nothing of the app), never loaded by the Function App (nothing under
// functions/ or shared/ imports this).
import { kustoLanguage, toArray } from '../../sandbox/kql/kustoLanguage';

export {
  databaseGlobals,
  syntaxKindName,
  kustoLanguage,
  KustoUnavailableError,
  toArray,
  type KustoDiagnostic,
  type KustoLanguage,
  type KustoList,
  type KustoNode,
} from '../../sandbox/kql/kustoLanguage';

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
