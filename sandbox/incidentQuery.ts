// `$filter`, `$top`, `$skip` for both incident lists: the filter schemas (which properties each API lets you filter
// on) and the paging rules (Graph $top ≤ 50, legacy $top ≤ 100).
import { parseClassification, parseDetermination, parseSeverity, parseStatus } from './incidents/enums';
import type { StoredIncident } from './incidents/model';
import { compileFilter, FilterError, parseFilter, type FilterSchema } from './odataFilter';

export const GRAPH_FILTER: FilterSchema<StoredIncident> = {
  properties: {
    status: { kind: 'enum', get: (i) => i.status, parse: (v) => parseStatus(v) },
    severity: { kind: 'enum', get: (i) => i.severity, parse: (v) => parseSeverity(v) },
    classification: { kind: 'enum', get: (i) => i.classification, parse: (v) => parseClassification(v) },
    determination: { kind: 'enum', get: (i) => i.determination, parse: (v) => parseDetermination(v) },
    assignedTo: { kind: 'string', get: (i) => i.assignedTo },
    createdDateTime: { kind: 'datetime', get: (i) => i.createdDateTime },
    lastUpdateDateTime: { kind: 'datetime', get: (i) => i.lastUpdateDateTime },
  },
  notFilterable: (name) =>
    `Invalid filter clause: Could not find a filterable property named '${name}' on type 'microsoft.graph.security.incident'. Filterable properties: assignedTo, classification, createdDateTime, determination, lastUpdateDateTime, severity, status.`,
};

export const LEGACY_FILTER: FilterSchema<StoredIncident> = {
  properties: {
    status: {
      kind: 'enum',
      get: (i) => (i.status === 'awaitingAction' ? 'active' : i.status),
      parse: (v) => parseStatus(v),
    },
    assignedTo: { kind: 'string', get: (i) => i.assignedTo },
    createdTime: { kind: 'datetime', get: (i) => i.createdDateTime },
    lastUpdateTime: { kind: 'datetime', get: (i) => i.lastUpdateDateTime },
  },
  notFilterable: (name) =>
    `Invalid OData URI query: The property '${name}' cannot be used in the $filter query option. Supported properties: lastUpdateTime, createdTime, status, assignedTo.`,
};

export type Paging = { ok: true; top: number | undefined; skip: number } | { ok: false; message: string };

function nonNegativeInt(name: string, raw: string): number | string {
  if (!/^\d+$/.test(raw.trim())) {
    return `Invalid value '${raw}' for ${name} query option found. The ${name} query option requires a non-negative integer value.`;
  }
  return Number(raw);
}

export function parsePaging(q: URLSearchParams, maxTop: number): Paging {
  const rawTop = q.get('$top');
  const rawSkip = q.get('$skip');
  let top: number | undefined;
  let skip = 0;
  if (rawTop !== null) {
    const t = nonNegativeInt('$top', rawTop);
    if (typeof t === 'string') return { ok: false, message: t };
    if (t > maxTop) {
      return {
        ok: false,
        message: `The limit of '${maxTop}' for Top query has been exceeded. The value from the incoming request is '${t}'.`,
      };
    }
    top = t;
  }
  if (rawSkip !== null) {
    const s = nonNegativeInt('$skip', rawSkip);
    if (typeof s === 'string') return { ok: false, message: s };
    skip = s;
  }
  return { ok: true, top, skip };
}

export type Filtered = { ok: true; items: StoredIncident[] } | { ok: false; message: string };

export function applyFilter(
  items: StoredIncident[],
  filter: string | null,
  schema: FilterSchema<StoredIncident>,
): Filtered {
  if (filter === null || filter.trim() === '') return { ok: true, items };
  try {
    const predicate = compileFilter(parseFilter(filter), schema);
    return { ok: true, items: items.filter(predicate) };
  } catch (e) {
    if (e instanceof FilterError) return { ok: false, message: e.message };
    throw e;
  }
}

/** A next-page link that keeps the caller's options and advances `$skip` ($ kept literal, as Graph writes it). */
export function nextLink(base: string, q: URLSearchParams, nextSkip: number): string {
  const parts: string[] = [];
  for (const [k, v] of q) {
    if (k === '$skip') continue;
    parts.push(`${k}=${encodeURIComponent(v)}`);
  }
  parts.push(`$skip=${nextSkip}`);
  return `${base}?${parts.join('&')}`;
}
