// Graph security alerts (alerts_v2) as Riposte's steps see them, and the evidence of an alert normalised into one
// typed object. Sources (microsoftgraph/microsoft-graph-docs-contrib, api-reference/v1.0): resources/security-alert.md
// (properties, enums), api/security-alert-update.md (the PATCH table), resources/security-alertevidence.md and the
// evidence resources (security-deviceevidence.md, security-userevidence.md, security-useraccount.md,
// security-fileevidence.md, security-filedetails.md, security-processevidence.md, security-ipevidence.md,
// security-urlevidence.md, security-mailboxevidence.md, security-analyzedmessageevidence.md).
import type { IncidentComment } from './types';

/** security-alert-update.md: the values PATCH accepts (unknownFutureValue is the evolvable-enum sentinel: never sent). */
export const ALERT_STATUSES = ['new', 'inProgress', 'resolved'] as const;
export type AlertStatus = (typeof ALERT_STATUSES)[number];

export const ALERT_CLASSIFICATIONS = [
  'unknown',
  'falsePositive',
  'truePositive',
  'informationalExpectedActivity',
] as const;
export type AlertClassification = (typeof ALERT_CLASSIFICATIONS)[number];

/**
 * security-alert-update.md's PATCH table, which the alert resource's property description repeats. The resource page's
 * value table spells four of them otherwise (compromisedAccount, notMalicious, notEnoughDataToValidate,
 * confirmedActivity); which spelling the service also accepts is not documented (response-actions.md §8.6), so only
 * the PATCH table's names are sent.
 */
export const ALERT_DETERMINATIONS = [
  'unknown',
  'apt',
  'malware',
  'securityPersonnel',
  'securityTesting',
  'unwantedSoftware',
  'other',
  'multiStagedAttack',
  'compromisedUser',
  'phishing',
  'maliciousUserActivity',
  'clean',
  'insufficientData',
  'confirmedUserActivity',
  'lineOfBusinessApplication',
] as const;
export type AlertDetermination = (typeof ALERT_DETERMINATIONS)[number];

/** security-alert.md alertSeverity (unknownFutureValue left out). */
export const ALERT_SEVERITIES = ['unknown', 'informational', 'low', 'medium', 'high'] as const;
export type AlertSeverity = (typeof ALERT_SEVERITIES)[number];

/** security-alert.md serviceSource; microsoftDefenderForCloud only with `Prefer: include-unknown-enum-members`. */
export const ALERT_SERVICE_SOURCES = [
  'unknown',
  'microsoftDefenderForEndpoint',
  'microsoftDefenderForIdentity',
  'microsoftDefenderForCloudApps',
  'microsoftDefenderForOffice365',
  'microsoft365Defender',
  'azureAdIdentityProtection',
  'microsoftAppGovernance',
  'dataLossPrevention',
  'microsoftDefenderForCloud',
] as const;
export type AlertServiceSource = (typeof ALERT_SERVICE_SOURCES)[number];

export interface EvidenceDevice {
  /** The Defender for Endpoint machine id (deviceEvidence/fileEvidence/processEvidence `mdeDeviceId`). */
  mdeDeviceId: string | null;
  azureAdDeviceId: string | null;
  /** Lower-cased. */
  deviceDnsName: string | null;
  osPlatform: string | null;
  riskScore: string | null;
  healthStatus: string | null;
  roles: string[];
  verdict: string | null;
}

export interface EvidenceUser {
  userPrincipalName: string | null;
  /** The Entra object id (userAccount.azureAdUserId), what Graph's /users/{id} takes. */
  objectId: string | null;
  accountName: string | null;
  domainName: string | null;
  userSid: string | null;
  displayName: string | null;
  roles: string[];
  verdict: string | null;
}

export interface EvidenceFile {
  sha1: string | null;
  sha256: string | null;
  md5: string | null;
  fileName: string | null;
  filePath: string | null;
  fileSize: number | null;
  /** The device the file was seen on. */
  mdeDeviceId: string | null;
  detectionStatus: string | null;
  verdict: string | null;
}

export interface EvidenceIp {
  ipAddress: string;
  countryLetterCode: string | null;
  verdict: string | null;
}

export interface EvidenceUrl {
  url: string;
  verdict: string | null;
}

export interface EvidenceMailbox {
  primaryAddress: string | null;
  userPrincipalName: string | null;
  displayName: string | null;
  objectId: string | null;
  verdict: string | null;
}

/**
 * One alert's (or an incident's) evidence by kind, each entity once. Files also come from processes' image files;
 * devices also from the mdeDeviceId of file and process evidence; URLs also from analysed messages' `urls`.
 */
export interface AlertEvidence {
  devices: EvidenceDevice[];
  users: EvidenceUser[];
  files: EvidenceFile[];
  ips: EvidenceIp[];
  urls: EvidenceUrl[];
  mailboxes: EvidenceMailbox[];
}

export interface Alert {
  id: string;
  providerAlertId: string | null;
  incidentId: string | null;
  title: string;
  description: string | null;
  status: AlertStatus | 'unknown';
  severity: AlertSeverity;
  classification: AlertClassification;
  determination: AlertDetermination;
  serviceSource: string | null;
  detectionSource: string | null;
  category: string | null;
  assignedTo: string | null;
  createdDateTime: string;
  lastUpdateDateTime: string;
  resolvedDateTime: string | null;
  alertWebUrl: string | null;
  incidentWebUrl: string | null;
  mitreTechniques: string[];
  comments: IncidentComment[];
  evidence: AlertEvidence;
}

export interface AlertFilter {
  status?: AlertStatus[];
  severity?: AlertSeverity[];
  serviceSource?: AlertServiceSource[];
  assignedTo?: string;
  /** ISO-8601 instants, inclusive lower and exclusive upper bound on createdDateTime. */
  createdAfter?: string;
  createdBefore?: string;
  /** Only the alerts of this incident (read through the incident with $expand=alerts: alerts_v2 has no such filter). */
  incidentId?: string;
  /** Stop after this many alerts. */
  limit?: number;
}

/** A PATCH body: only the fields to change. `assignedTo: ''` unassigns (sent as null). */
export interface AlertUpdate {
  status?: AlertStatus;
  assignedTo?: string;
  classification?: AlertClassification;
  determination?: AlertDetermination;
}

export interface AlertsClient {
  listAlerts(filter: AlertFilter, options?: { signal?: AbortSignal | undefined }): AsyncIterable<Alert>;
  getAlert(id: string, options?: { signal?: AbortSignal | undefined }): Promise<Alert>;
  updateAlert(id: string, update: AlertUpdate, options?: { signal?: AbortSignal | undefined }): Promise<Alert>;
  /** Adds a comment; @returns every comment of the alert, as the API answers. */
  addAlertComment(
    id: string,
    comment: string,
    options?: { signal?: AbortSignal | undefined },
  ): Promise<IncidentComment[]>;
}
