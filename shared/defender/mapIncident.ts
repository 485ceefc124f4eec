// Wire → domain for both backends. Tolerant by design: the legacy API sometimes omits null keys and sometimes sends
// them (defender-api.md §1.3), and either API may add enum members; only a missing id is an error.
import { AppError } from '../errors';
import type { AlertEvidence } from './alertTypes';
import { graphEvidence, legacyEvidence, mergeEvidence } from './evidence';
import { classificationFromWire, determinationFromWire, severityFromWire, statusFromWire } from './enums';
import { str, strings } from './wireValues';
import type { AlertFile, HuntingColumn, HuntingResult, Incident, IncidentAlert, IncidentComment } from './types';

type Wire = Record<string, unknown>;

const asRecord = (v: unknown): Wire => (typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Wire) : {});

function idOf(v: unknown, backend: string): string {
  const id = str(v);
  if (id === null || id === '')
    throw new AppError('DEFENDER_HTTP', `The ${backend} API returned an incident without an id`);
  return id;
}

/** The first of `keys` that holds a string. */
const firstStr = (w: Wire, keys: readonly string[]): string | null =>
  keys.map((k) => str(w[k])).find((x) => x !== null) ?? null;

function comments(v: unknown, byKeys: readonly string[], timeKeys: readonly string[]): IncidentComment[] {
  if (!Array.isArray(v)) return [];
  return v.map((c) => {
    const w = asRecord(c);
    return { comment: str(w.comment) ?? '', createdBy: firstStr(w, byKeys), createdDateTime: firstStr(w, timeKeys) };
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
    ...withAlerts(w.alerts, mapGraphAlert),
  };
}

/** The incident's alerts and their evidence merged, when the API sent alerts. */
function withAlerts(
  raw: unknown,
  map: (wire: unknown) => IncidentAlert,
): { alerts?: IncidentAlert[]; evidence?: AlertEvidence } {
  if (!Array.isArray(raw)) return {};
  const alerts = raw.map(map);
  return { alerts, evidence: mergeEvidence(alerts.map((a) => a.evidence)) };
}

/**
 * Graph `alertComment` list (incident.comments, or the POST …/comments response's `value`). The alertComment
 * resource page names the fields createdByDisplayName/createdDateTime, while the incident GET, list and update
 * examples (microsoft-graph-docs-contrib api-reference/v1.0/api/security-incident-get.md) send createdBy/createdTime:
 * read both, the resource page's names first.
 */
export const graphComments = (v: unknown): IncidentComment[] =>
  comments(v, ['createdByDisplayName', 'createdBy'], ['createdDateTime', 'createdTime']);

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
    comments: comments(w.comments, ['createdBy'], ['createdTime']),
    ...withAlerts(w.alerts, mapLegacyAlert),
  };
}

/** Collects one alert's entities; blanks are dropped and repeats kept once. */
class AlertBuilder {
  private readonly sets = {
    devices: new Set<string>(),
    users: new Set<string>(),
    ips: new Set<string>(),
    mailboxes: new Set<string>(),
  };
  private readonly files: AlertFile[] = [];
  /** Adds the first non-blank of the candidate values. */
  add(kind: keyof AlertBuilder['sets'], ...candidates: unknown[]): void {
    const v = candidates.map(str).find((x): x is string => x !== null && x.trim() !== '');
    if (v !== undefined) this.sets[kind].add(kind === 'devices' ? v.toLowerCase() : v);
  }
  file(name: unknown, sha1: unknown, sha256: unknown): void {
    const f: AlertFile = {};
    for (const [k, v] of [
      ['name', name],
      ['sha1', sha1],
      ['sha256', sha256],
    ] as const) {
      const text = str(v);
      if (text) f[k] = text;
    }
    if (Object.keys(f).length) this.files.push(f);
  }
  build(
    id: unknown,
    title: unknown,
    severity: unknown,
    status: unknown,
    created: unknown,
    evidence: AlertEvidence,
  ): IncidentAlert {
    const st = str(status);
    return {
      id: str(id) ?? '',
      title: str(title) ?? '',
      severity: severityFromWire(severity),
      // Legacy sends New/InProgress/Resolved, Graph new/inProgress/resolved.
      status: st ? st.charAt(0).toLowerCase() + st.slice(1) : 'unknown',
      createdDateTime: str(created) ?? '',
      devices: [...this.sets.devices],
      users: [...this.sets.users],
      ips: [...this.sets.ips],
      files: this.files,
      mailboxes: [...this.sets.mailboxes],
      evidence,
    };
  }
}

/** Graph `alert` (from `$expand=alerts`) with its `evidence[]` → IncidentAlert. */
function mapGraphAlert(wire: unknown): IncidentAlert {
  const w = asRecord(wire);
  const b = new AlertBuilder();
  for (const raw of Array.isArray(w.evidence) ? w.evidence : []) {
    const e = asRecord(raw);
    const account = asRecord(e.userAccount);
    const type = (str(e['@odata.type']) ?? '').replace(/^#?microsoft\.graph\.security\./, '');
    if (type === 'deviceEvidence') b.add('devices', e.deviceDnsName);
    else if (type === 'userEvidence') b.add('users', account.userPrincipalName, account.accountName);
    else if (type === 'ipEvidence') b.add('ips', e.ipAddress);
    else if (type === 'mailboxEvidence') b.add('mailboxes', e.primaryAddress, account.userPrincipalName);
    else if (type === 'fileEvidence') {
      const d = asRecord(e.fileDetails);
      b.file(d.fileName, d.sha1, d.sha256);
    }
  }
  return b.build(w.id, w.title, w.severity, w.status, w.createdDateTime, graphEvidence(w.evidence));
}

/** Legacy alert with `devices[]` and `entities[]` (keys may be null or missing, §1.3) → IncidentAlert. */
function mapLegacyAlert(wire: unknown): IncidentAlert {
  const w = asRecord(wire);
  const b = new AlertBuilder();
  for (const d of Array.isArray(w.devices) ? w.devices : []) b.add('devices', asRecord(d).deviceDnsName);
  for (const raw of Array.isArray(w.entities) ? w.entities : []) {
    const e = asRecord(raw);
    // The docs spell it MailBox, the live API Mailbox.
    const type = (str(e.entityType) ?? '').toLowerCase();
    if (type === 'user') b.add('users', e.userPrincipalName, e.accountName);
    else if (type === 'ip') b.add('ips', e.ipAddress);
    else if (type === 'mailbox') b.add('mailboxes', e.mailboxAddress);
    else if (type === 'file') b.file(e.fileName, e.sha1, e.sha256);
  }
  return b.build(w.alertId, w.title, w.severity, w.status, w.creationTime, legacyEvidence(w.devices, w.entities));
}

/** Reads a key regardless of its case (Graph sends schema/results, legacy Schema/Results, an old Graph sample Name/Type). */
function pick(w: Wire, key: string): unknown {
  if (key in w) return w[key];
  const lower = key.toLowerCase();
  const found = Object.keys(w).find((k) => k.toLowerCase() === lower);
  return found === undefined ? undefined : w[found];
}

/**
 * Hunting response of either backend → HuntingResult. The rows array and its row objects are the wire's own, not a
 * copy (up to 100,000 rows): anything that is not an object is replaced by an empty one in place.
 */
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
  const rows: unknown[] = Array.isArray(rowsRaw) ? rowsRaw : [];
  for (let i = 0; i < rows.length; i++) if (asRecord(rows[i]) !== rows[i]) rows[i] = {};
  const stats = pick(w, 'stats');
  const result: HuntingResult = { schema, rows: rows as Record<string, unknown>[] };
  if (stats && typeof stats === 'object' && !Array.isArray(stats)) result.stats = stats as Record<string, unknown>;
  return result;
}
