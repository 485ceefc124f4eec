// listAlerts: Graph alerts_v2 with the documented filters (status, severity, serviceSource, assignedTo, a
// createdDateTime range) plus incidentId (read through the incident: alerts_v2 has no such filter), paged by
// @odata.nextLink, up to `limit`. Output: { count, alerts, evidence } with every alert's evidence merged, typed.
import {
  ALERT_SERVICE_SOURCES,
  ALERT_SEVERITIES,
  ALERT_STATUSES,
  type Alert,
  type AlertEvidence,
  type AlertFilter,
} from '../defender/alertTypes';
import { mergeEvidence } from '../defender/evidence';
import { InputError } from '../errors';
import { ALERTS_API, alertsOf, enumListOf } from './alertCommon';
import { expectObject, incidentIdOf, optionalInstant, optionalString } from './common';
import type { ActionModule, StepResult, StepRuntime } from './types';

export interface ListAlertsOutput {
  count: number;
  alerts: Alert[];
  evidence: AlertEvidence;
}

function parse(value: unknown): AlertFilter {
  const obj = expectObject(value ?? {}, [
    'status',
    'severity',
    'serviceSource',
    'assignedTo',
    'createdAfter',
    'createdBefore',
    'incidentId',
    'limit',
  ]);
  const f: AlertFilter = {};
  const status = enumListOf(obj, 'status', ALERT_STATUSES);
  if (status) f.status = status;
  const severity = enumListOf(obj, 'severity', ALERT_SEVERITIES);
  if (severity) f.severity = severity;
  const source = enumListOf(obj, 'serviceSource', ALERT_SERVICE_SOURCES);
  if (source) f.serviceSource = source;
  const assignedTo = optionalString(obj, 'assignedTo');
  if (assignedTo !== undefined && assignedTo !== '') f.assignedTo = assignedTo;
  const after = optionalInstant(obj, 'createdAfter');
  if (after) f.createdAfter = after;
  const before = optionalInstant(obj, 'createdBefore');
  if (before) f.createdBefore = before;
  if (after && before && Date.parse(after) >= Date.parse(before))
    throw new InputError('createdBefore', 'createdBefore must be later than createdAfter');
  if (obj.incidentId !== undefined && obj.incidentId !== null && obj.incidentId !== '')
    f.incidentId = incidentIdOf(obj.incidentId, 'incidentId', 'graph');
  if (obj.limit !== undefined && obj.limit !== null) {
    if (typeof obj.limit !== 'number' || !Number.isInteger(obj.limit) || obj.limit < 1)
      throw new InputError('limit', 'limit must be a positive integer');
    f.limit = obj.limit;
  }
  return f;
}

async function run(filter: AlertFilter, rt: StepRuntime): Promise<StepResult> {
  const alerts: Alert[] = [];
  for await (const a of alertsOf(rt).listAlerts(filter, rt.signal ? { signal: rt.signal } : {})) alerts.push(a);
  const output: ListAlertsOutput = {
    count: alerts.length,
    alerts,
    evidence: mergeEvidence(alerts.map((a) => a.evidence)),
  };
  return { output, counts: { alerts: alerts.length }, changes: [] };
}

export const listAlerts: ActionModule<AlertFilter> = { graphOnly: ALERTS_API, parse, run };
