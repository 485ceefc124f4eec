// The bridge to the KQL engine (sandbox/kql): runs a hunting query over the sandbox's tables and turns the result
// into wire values; KQL failures come back as a message for a 400.
import { apiTypeName, runKql, type KqlTable, type KqlType } from './kql';
import { kustoDatetime } from './timeFormat';

export type HuntingTables = Map<string, KqlTable>;

export const MAX_HUNTING_ROWS = 100_000;

export type HuntingOutcome =
  | {
      ok: true;
      schema: { name: string; type: string }[];
      rows: Record<string, unknown>[];
      truncated: boolean;
      elapsedMs: number;
    }
  | { ok: false; kind: 'syntax' | 'semantic' | 'unsupported'; message: string };

function isKqlError(e: unknown): e is Error & { kind: 'syntax' | 'semantic' | 'unsupported' } {
  return e instanceof Error && ['syntax', 'semantic', 'unsupported'].includes((e as { kind?: string }).kind ?? '');
}

function wireValue(v: unknown, type: KqlType): unknown {
  // Kusto writes datetimes with seven fractional digits (the runHuntingQuery and advanced-hunting examples).
  if (v instanceof Date || (type === 'datetime' && typeof v === 'string')) return kustoDatetime(v);
  if (typeof v === 'bigint') return Number.isSafeInteger(Number(v)) ? Number(v) : v.toString();
  return v;
}

/** @throws whatever the engine throws that is not a KqlError (a sandbox bug: the caller answers 500). */
export function runHunting(
  query: string,
  tables: ReadonlyMap<string, KqlTable>,
  now: Date,
  timeWindow: { start: Date; end: Date } | undefined,
): HuntingOutcome {
  const started = performance.now();
  try {
    const result = runKql(query, { tables, now, ...(timeWindow ? { timeWindow } : {}), maxRows: MAX_HUNTING_ROWS });
    const rows = result.rows.map((row) => {
      const out: Record<string, unknown> = {};
      for (const c of result.columns) out[c.name] = wireValue(row[c.name], c.type);
      return out;
    });
    return {
      ok: true,
      schema: result.columns.map((c) => ({ name: c.name, type: apiTypeName(c.type) })),
      rows,
      truncated: result.truncated,
      elapsedMs: performance.now() - started,
    };
  } catch (e) {
    if (isKqlError(e)) return { ok: false, kind: e.kind, message: e.message };
    throw e;
  }
}
