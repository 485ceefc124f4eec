// Incident list filters → OData $filter per backend, plus the part each backend cannot filter server-side.
// Graph filters assignedTo, classification, createdDateTime, determination, lastUpdateDateTime, severity, status
// (defender-api.md §2.2). Legacy filters only lastUpdateTime, createdTime, status, assignedTo, and the docs show no
// "or" (§1.3): severity and multi-status filters run client-side there.
import { InputError } from '../errors';
import { parseSeverity, parseStatus, severityToWire, statusToWire } from './enums';
import type { ApiBackend, Incident, IncidentFilter, IncidentStatus, Severity } from './types';

export interface NormalisedFilter {
  statuses: IncidentStatus[];
  severities: Severity[];
  assignedTo: string | undefined;
  createdSince: string | undefined;
  updatedSince: string | undefined;
  limit: number | undefined;
}

function list<T>(field: string, raw: unknown, parse: (v: unknown) => T | undefined): T[] {
  if (raw === undefined) return [];
  const values = Array.isArray(raw) ? raw : [raw];
  return values.map((v) => {
    const parsed = parse(v);
    if (parsed === undefined) throw new InputError(field, `${field} '${String(v)}' is not a known value`);
    return parsed;
  });
}

function instant(field: string, raw: unknown): string | undefined {
  if (raw === undefined) return undefined;
  const d = raw instanceof Date ? raw : typeof raw === 'string' ? new Date(raw) : undefined;
  if (!d || Number.isNaN(d.getTime())) throw new InputError(field, `${field} must be a date or an ISO-8601 timestamp`);
  return d.toISOString();
}

/** @throws {InputError} naming `filter.<field>` for unknown enum values, bad dates or a bad limit. */
export function normaliseFilter(filter: IncidentFilter = {}): NormalisedFilter {
  if (filter.limit !== undefined && !(Number.isInteger(filter.limit) && filter.limit > 0)) {
    throw new InputError('filter.limit', 'filter.limit must be a positive integer');
  }
  if (filter.assignedTo !== undefined && typeof filter.assignedTo !== 'string') {
    throw new InputError('filter.assignedTo', 'filter.assignedTo must be a string');
  }
  return {
    statuses: [...new Set(list('filter.status', filter.status, parseStatus))],
    severities: [...new Set(list('filter.severity', filter.severity, parseSeverity))],
    assignedTo: filter.assignedTo,
    createdSince: instant('filter.createdSince', filter.createdSince),
    updatedSince: instant('filter.updatedSince', filter.updatedSince),
    limit: filter.limit,
  };
}

/** OData string literal: single quotes doubled. */
const literal = (s: string): string => `'${s.replace(/'/g, "''")}'`;

function anyOf(property: string, values: string[]): string {
  const terms = values.map((v) => `${property} eq ${literal(v)}`);
  return terms.length === 1 ? (terms[0] as string) : `(${terms.join(' or ')})`;
}

export interface IncidentQuery {
  /** `$filter` to send, if any. */
  filter: string | undefined;
  /** Conditions the server could not apply. */
  matches: (incident: Incident) => boolean;
}

const LEGACY_STATUSES: readonly IncidentStatus[] = ['active', 'inProgress', 'resolved', 'redirected'];

export function buildIncidentQuery(f: NormalisedFilter, backend: ApiBackend): IncidentQuery {
  const terms: string[] = [];
  const local: Array<(i: Incident) => boolean> = [];
  const statusLocally = (): void => {
    const set = new Set(f.statuses);
    local.push((i) => set.has(i.status));
  };
  if (backend === 'graph') {
    if (f.statuses.length)
      terms.push(
        anyOf(
          'status',
          f.statuses.map((s) => statusToWire(s, 'graph')),
        ),
      );
    if (f.severities.length)
      terms.push(
        anyOf(
          'severity',
          f.severities.map((s) => severityToWire(s, 'graph')),
        ),
      );
    if (f.assignedTo !== undefined) terms.push(`assignedTo eq ${literal(f.assignedTo)}`);
    if (f.createdSince) terms.push(`createdDateTime ge ${f.createdSince}`);
    if (f.updatedSince) terms.push(`lastUpdateDateTime ge ${f.updatedSince}`);
  } else {
    const [only] = f.statuses;
    if (f.statuses.length === 1 && only !== undefined && LEGACY_STATUSES.includes(only)) {
      terms.push(`status eq ${literal(statusToWire(only, 'legacy'))}`);
    } else if (f.statuses.length) statusLocally();
    if (f.assignedTo !== undefined) terms.push(`assignedTo eq ${literal(f.assignedTo)}`);
    if (f.createdSince) terms.push(`createdTime ge ${f.createdSince}`);
    if (f.updatedSince) terms.push(`lastUpdateTime ge ${f.updatedSince}`);
    if (f.severities.length) {
      // Documented: "Severity cannot be filtered server-side" on /api/incidents.
      const set = new Set(f.severities);
      local.push((i) => set.has(i.severity));
    }
  }
  return { filter: terms.length ? terms.join(' and ') : undefined, matches: (i) => local.every((m) => m(i)) };
}
