// Wire → domain for both backends. Tolerant by design: the legacy API sometimes omits null keys and sometimes sends
// them (defender-api.md §1.3), and either API may add enum members; only a missing id is an error.
import { AppError } from '../errors';
import { classificationFromWire, determinationFromWire, severityFromWire, statusFromWire } from './enums';
import type { HuntingColumn, HuntingResult, Incident, IncidentComment } from './types';

type Wire = Record<string, unknown>;

const asRecord = (v: unknown): Wire => (typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Wire) : {});
const str = (v: unknown): string | null => (typeof v === 'string' ? v : typeof v === 'number' ? String(v) : null);
const strings = (v: unknown): string[] => (Array.isArray(v) ? v.filter((t): t is string => typeof t === 'string') : []);

function idOf(v: unknown, backend: string): string {
  const id = str(v);
  if (id === null || id === '')
    throw new AppError('DEFENDER_HTTP', `The ${backend} API returned an incident without an id`);
  return id;
}

function comments(v: unknown, byKey: string, timeKey: string): IncidentComment[] {
  if (!Array.isArray(v)) return [];
  return v.map((c) => {
    const w = asRecord(c);
    return { comment: str(w.comment) ?? '', createdBy: str(w[byKey]), createdDateTime: str(w[timeKey]) };
  });
}

/** Graph `microsoft.graph.security.incident` → Incident. */
export function mapGraphIncident(wire: unknown): Incident {
  const w = asRecord(wire);
  return {
    id: idOf(w.id, 'Graph'),
    displayName: str(w.displayName) ?? '',
    status: statusFromWire(w.status),
    severity: severityFromWire(w.severity),
    classification: classificationFromWire(w.classification),
    determination: determinationFromWire(w.determination),
    assignedTo: str(w.assignedTo),
    tags: strings(w.customTags),
    systemTags: strings(w.systemTags),
    createdDateTime: str(w.createdDateTime) ?? '',
    lastUpdateDateTime: str(w.lastUpdateDateTime) ?? '',
    webUrl: str(w.incidentWebUrl),
    redirectIncidentId: str(w.redirectIncidentId),
    description: str(w.description),
    comments: graphComments(w.comments),
  };
}

/** Graph `alertComment` list (incident.comments, or the POST …/comments response's `value`). */
export const graphComments = (v: unknown): IncidentComment[] => comments(v, 'createdByDisplayName', 'createdDateTime');

/** Legacy Defender XDR `/api/incidents` entity → Incident. */
export function mapLegacyIncident(wire: unknown): Incident {
  const w = asRecord(wire);
  return {
    id: idOf(w.incidentId, 'legacy Defender'),
    displayName: str(w.incidentName) ?? '',
    status: statusFromWire(w.status),
    severity: severityFromWire(w.severity),
    classification: classificationFromWire(w.classification),
    determination: determinationFromWire(w.determination),
    assignedTo: str(w.assignedTo),
    tags: strings(w.tags),
    systemTags: strings(w.systemTags),
    createdDateTime: str(w.createdTime) ?? '',
    lastUpdateDateTime: str(w.lastUpdateTime) ?? '',
    webUrl: str(w.incidentUri),
    redirectIncidentId: str(w.redirectIncidentId),
    description: str(w.description),
    comments: comments(w.comments, 'createdBy', 'createdTime'),
  };
}

/** Reads a key regardless of its case (Graph sends schema/results, legacy Schema/Results, an old Graph sample Name/Type). */
function pick(w: Wire, key: string): unknown {
  if (key in w) return w[key];
  const lower = key.toLowerCase();
  const found = Object.keys(w).find((k) => k.toLowerCase() === lower);
  return found === undefined ? undefined : w[found];
}

/** Hunting response of either backend → HuntingResult. Row objects are passed through untouched. */
export function mapHuntingResult(wire: unknown): HuntingResult {
  const w = asRecord(wire);
  const schemaRaw = pick(w, 'schema');
  const rowsRaw = pick(w, 'results');
  if (!Array.isArray(schemaRaw) && !Array.isArray(rowsRaw)) {
    throw new AppError('DEFENDER_HTTP', 'The hunting API returned a body without schema or results');
  }
  const schema: HuntingColumn[] = (Array.isArray(schemaRaw) ? schemaRaw : []).map((c) => {
    const col = asRecord(c);
    return { name: str(pick(col, 'name')) ?? '', type: str(pick(col, 'type')) ?? '' };
  });
  const rows = (Array.isArray(rowsRaw) ? rowsRaw : []).map(asRecord);
  const stats = pick(w, 'stats');
  const result: HuntingResult = { schema, rows };
  if (stats && typeof stats === 'object' && !Array.isArray(stats)) result.stats = stats as Record<string, unknown>;
  return result;
}
