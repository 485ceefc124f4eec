// Checks KQL as Defender will run it, with Microsoft's Kusto.Language against the Advanced Hunting schema, and
// reports each of Kusto's errors and warnings at its line and column in the file the user wrote:
// - a plain query (a `.kql` file without Riposte's header) is analysed as it is;
// - a library query (the `// ---` YAML header, typed parameters) is analysed as the library binds it: one
//   `let <param> = <literal>;` line per parameter, valued with its example (else its default, else its type's null),
//   then the body; positions in the body map back to the file's lines;
// - a workflow's hunt step binds a library query with the step's literal parameter values (a template gets the
//   parameter's example), and a scheduled workflow's hunt also gets the window the legacy API writes into the query.
import { InputError } from '../../shared/errors';
import { encodeKqlLiteral, nullLiteral } from '../../shared/queries/encodeLiteral';
import type { QueryDefinition, QueryParamDef } from '../../shared/queries/types';
import { windowInQuery } from '../../shared/queries/windowInQuery';
import { huntingGlobals } from './huntingGlobals';
import { withoutPipedColumnArguments } from './invokeArguments';
import { analyzeKql } from './kusto';

export interface KqlFinding {
  /** The file the position is in, as shown to the user. */
  file: string;
  /** 1-based line and column (UTF-16 code units) where Kusto's diagnostic starts, and where it ends. */
  line: number;
  column: number;
  endLine: number;
  endColumn: number;
  severity: 'error' | 'warning';
  /** Kusto's code (KS142...), or RIPOSTE for a problem Riposte finds around the query (a window that cannot apply). */
  code: string;
  /** Kusto's own message. */
  message: string;
  /** How the query was put together when it is not the file alone, e.g. "bound by workflows/x.yaml steps[0] (hunt)". */
  context?: string;
}

/** 1-based line and column of `offset` in `text`. */
export function positionAt(text: string, offset: number): { line: number; column: number } {
  let line = 1;
  let lineStart = 0;
  const end = Math.min(Math.max(offset, 0), text.length);
  for (let i = text.indexOf('\n'); i !== -1 && i < end; i = text.indexOf('\n', i + 1)) {
    line++;
    lineStart = i + 1;
  }
  return { line, column: end - lineStart + 1 };
}

/** A plain query file (no header), analysed as written. */
export function checkPlainQuery(file: string, text: string): KqlFinding[] {
  return withoutPipedColumnArguments(text, analyzeKql(text, huntingGlobals())).map((d) => {
    const start = positionAt(text, d.start);
    const end = positionAt(text, d.start + d.length);
    return {
      file,
      line: start.line,
      column: start.column,
      endLine: end.line,
      endColumn: end.column,
      severity: d.severity,
      code: d.code,
      message: d.message,
    };
  });
}

/** The literal a parameter is bound with for analysis: the given value, else its example, else default, else null. */
function literalFor(p: QueryParamDef, given: unknown): string {
  for (const value of [given, p.example, p.default]) {
    if (value === undefined || value === null) continue;
    try {
      return encodeKqlLiteral(p, value);
    } catch (e) {
      if (!(e instanceof InputError)) throw e;
    }
  }
  return nullLiteral(p);
}

/** The `let` lines the library would bind, one per parameter, and the body after them. */
export function bindForAnalysis(def: QueryDefinition, values: Record<string, unknown> = {}): string {
  const lets = def.params.map((p) => `let ${p.name} = ${literalFor(p, values[p.name])};`);
  return lets.length > 0 ? `${lets.join('\n')}\n${def.body}` : def.body;
}

/**
 * Analyses a bound library query (`text` is the `let` lines of `def`'s parameters, possibly other `let` lines
 * before them such as the legacy window, then `def.body`) and maps every diagnostic in the body to the query file.
 * A diagnostic before the body (in a bound value or a window line) is reported at the body's first line, saying so.
 */
function mapToQueryFile(def: QueryDefinition, file: string, text: string, context?: string): KqlFinding[] {
  const bodyStart = text.length - def.body.length;
  const firstLine = def.bodyLine ?? 1;
  return withoutPipedColumnArguments(text, analyzeKql(text, huntingGlobals())).map((d) => {
    const inBody = d.start >= bodyStart;
    const start = inBody ? positionAt(def.body, d.start - bodyStart) : { line: 1, column: 1 };
    const end = inBody ? positionAt(def.body, d.start - bodyStart + d.length) : start;
    const added = inBody ? '' : (text.slice(0, bodyStart).split('\n')[positionAt(text, d.start).line - 1] ?? '');
    return {
      file,
      line: firstLine + start.line - 1,
      column: start.column,
      endLine: firstLine + end.line - 1,
      endColumn: end.column,
      severity: d.severity,
      code: d.code,
      message: inBody ? d.message : `${d.message} (in the line Riposte adds before the query: ${added.trim()})`,
      ...(context !== undefined ? { context } : {}),
    };
  });
}

/** A library query, bound with its examples (else defaults) the way the library binds values. */
export function checkLibraryQuery(def: QueryDefinition, file: string): KqlFinding[] {
  return mapToQueryFile(def, file, bindForAnalysis(def));
}

/** A fixed one-hour window, only to write the legacy API's filter into a query for analysis. */
const SAMPLE_WINDOW = { start: '2026-01-01T00:00:00Z', end: '2026-01-01T01:00:00Z' };

/**
 * A hunt step's query bound with the step's literal values; with `scheduled`, also as the legacy API receives it
 * (the run's window written into the query), where a query that cannot take the window is reported as an error.
 */
export function checkHuntStep(
  def: QueryDefinition,
  file: string,
  values: Record<string, unknown>,
  options: { context: string; scheduled: boolean; workflowFile: string },
): KqlFinding[] {
  const bound = bindForAnalysis(def, values);
  const findings = mapToQueryFile(def, file, bound, options.context);
  if (!options.scheduled) return findings;
  let windowed: string;
  try {
    windowed = windowInQuery(bound, SAMPLE_WINDOW);
  } catch (e) {
    if (!(e instanceof InputError)) throw e;
    return [
      ...findings,
      {
        file: options.workflowFile,
        line: 1,
        column: 1,
        endLine: 1,
        endColumn: 1,
        severity: 'error',
        code: 'RIPOSTE',
        message: `on DEFENDER_API=legacy this scheduled hunt cannot run: ${e.message}`,
        context: options.context,
      },
    ];
  }
  if (windowed === bound) return findings;
  const legacy = `${options.context}, with the legacy API's window`;
  return [...findings, ...mapToQueryFile(def, file, windowed, legacy)];
}
