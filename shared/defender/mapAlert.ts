// Graph `microsoft.graph.security.alert` (alerts_v2, or an incident's alerts with $expand=alerts) → Alert.
// Fields per api-reference/v1.0/resources/security-alert.md; tolerant like mapIncident.ts: a missing id is the only
// error, unknown enum members read as 'unknown'.
import { AppError } from '../errors';
import {
  ALERT_CLASSIFICATIONS,
  ALERT_DETERMINATIONS,
  ALERT_SEVERITIES,
  ALERT_STATUSES,
  type Alert,
} from './alertTypes';
import { graphEvidence } from './evidence';
import { graphComments } from './mapIncident';
import { str, strings } from './wireValues';

type Wire = Record<string, unknown>;
const rec = (v: unknown): Wire => (typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Wire) : {});

function member<T extends string>(values: readonly T[], v: unknown): T | 'unknown' {
  return typeof v === 'string' && (values as readonly string[]).includes(v) ? (v as T) : 'unknown';
}

export function mapGraphAlert(wire: unknown): Alert {
  const w = rec(wire);
  const id = str(w.id);
  if (id === null || id === '') throw new AppError('DEFENDER_HTTP', 'The Graph API returned an alert without an id');
  return {
    id,
    providerAlertId: str(w.providerAlertId),
    incidentId: str(w.incidentId),
    title: str(w.title) ?? '',
    description: str(w.description),
    status: member(ALERT_STATUSES, w.status),
    severity: member(ALERT_SEVERITIES, w.severity),
    classification: member(ALERT_CLASSIFICATIONS, w.classification),
    determination: member(ALERT_DETERMINATIONS, w.determination),
    serviceSource: str(w.serviceSource),
    detectionSource: str(w.detectionSource),
    category: str(w.category),
    assignedTo: str(w.assignedTo),
    createdDateTime: str(w.createdDateTime) ?? '',
    lastUpdateDateTime: str(w.lastUpdateDateTime) ?? '',
    resolvedDateTime: str(w.resolvedDateTime),
    alertWebUrl: str(w.alertWebUrl),
    incidentWebUrl: str(w.incidentWebUrl),
    mitreTechniques: strings(w.mitreTechniques),
    comments: graphComments(w.comments),
    evidence: graphEvidence(w.evidence),
  };
}
