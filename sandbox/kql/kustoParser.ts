// Parsing with Microsoft's Kusto.Language (loaded by kustoLanguage.ts), exposing only the few members the engine
// reads.
import { kustoLanguage, syntaxKindName, toArray, type KustoNode } from './kustoLanguage';

export interface SyntaxProblem {
  message: string;
  offset: number;
}

export interface ParsedQuery {
  root: KustoNode;
  /** The first syntax error, if any. */
  error?: SyntaxProblem;
}

/** Parses without a schema (syntax only). */
export function parseKusto(text: string): ParsedQuery {
  const code = kustoLanguage().KustoCode.Parse(text);
  const error = toArray(code.GetDiagnostics()).find((d) => d.Severity === 'Error');
  return error ? { root: code.Syntax, error: { message: error.Message, offset: error.Start } } : { root: code.Syntax };
}

/** The SyntaxKind name of an element, e.g. 'FilterOperator', 'HasExpression', 'StringLiteralToken'. */
export function kindName(element: KustoNode): string {
  return syntaxKindName(element.Kind);
}

/** True when `name` is an aggregation function that Kusto knows. */
export function isKnownKustoAggregate(name: string): boolean {
  return kustoLanguage().GlobalState.Default.GetAggregate(name) !== null;
}

/** True when `name` is a scalar or aggregate function that Kusto knows (so the sandbox can say "unsupported"). */
export function isKnownKustoFunction(name: string): boolean {
  const state = kustoLanguage().GlobalState.Default;
  return state.GetFunction(name) !== null || state.GetAggregate(name) !== null;
}
