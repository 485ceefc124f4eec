// Defender resolves a bare name in the arguments of its documented invoke functions against the piped table's
// columns (`DeviceFileEvents | invoke FileProfile(InitiatingProcessSHA256)`, as hunters write it), which a
// Kusto.Language function declaration cannot express: Kusto reports such a name as unknown (KS142) where Defender
// runs the query. This drops exactly those diagnostics: KS142, inside the parentheses of `invoke <documented
// function>(...)`, for a name that is a column of a hunting table. Any other problem there stays.
import { huntingSchema } from '../../shared/queries/huntingSchema';
import type { AnalyzedDiagnostic } from './kusto';

let columns: Set<string> | undefined;
let invoked: Set<string> | undefined;

function argumentSpans(text: string): [number, number][] {
  invoked ??= new Set(
    huntingSchema()
      .functions.filter((f) => f.invocation === 'invoke')
      .map((f) => f.name.toLowerCase()),
  );
  return [...text.matchAll(/invoke\s+(\w+)\s*\(([^)]*)\)/gi)]
    .filter((m) => invoked?.has((m[1] ?? '').toLowerCase()))
    .map((m) => [m.index + m[0].indexOf('('), m.index + m[0].length]);
}

/** True for a KS142 that only Kusto raises: a column name in a documented invoke function's arguments. */
export function isPipedColumnArgument(
  text: string,
  d: Pick<AnalyzedDiagnostic, 'code' | 'message' | 'start'>,
): boolean {
  if (d.code !== 'KS142') return false;
  const name = /The name '([^']+)' does not refer/.exec(d.message)?.[1];
  if (name === undefined) return false;
  columns ??= new Set(huntingSchema().tables.flatMap((t) => t.columns.map((c) => c.name)));
  return columns.has(name) && argumentSpans(text).some(([start, end]) => d.start >= start && d.start < end);
}

/** Kusto's diagnostics for `text` without the ones Defender does not raise (see above). */
export function withoutPipedColumnArguments<T extends Pick<AnalyzedDiagnostic, 'code' | 'message' | 'start'>>(
  text: string,
  diagnostics: T[],
): T[] {
  return diagnostics.filter((d) => !isPipedColumnArgument(text, d));
}
