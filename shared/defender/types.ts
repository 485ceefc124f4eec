// Domain types shared by both backends (Graph security API and the legacy Defender XDR API).
// Values are camelCase (Graph's style); each backend maps them to and from its own wire form.
import type { AlertEvidence, AlertsClient } from './alertTypes';
import type { IdentityClient } from './identityClient';

export type ApiBackend = 'graph' | 'legacy';

export const INCIDENT_STATUSES = ['active', 'inProgress', 'resolved', 'redirected', 'awaitingAction'] as const;
export type IncidentStatus = (typeof INCIDENT_STATUSES)[number] | 'unknown';

export const SEVERITIES = ['informational', 'low', 'medium', 'high'] as const;
export type Severity = (typeof SEVERITIES)[number] | 'unknown';

export const CLASSIFICATIONS = ['truePositive', 'informationalExpectedActivity', 'falsePositive'] as const;
export type Classification = (typeof CLASSIFICATIONS)[number] | 'unknown';

export const DETERMINATIONS = [
  'multiStagedAttack',
  'maliciousUserActivity',
  'compromisedAccount',
  'malware',
  'phishing',
  'unwantedSoftware',
  'securityTesting',
  'lineOfBusinessApplication',
  'confirmedActivity',
  'clean',
  'insufficientData',
  'other',
] as const;
export type Determination = (typeof DETERMINATIONS)[number] | 'apt' | 'securityPersonnel' | 'unknown';

export interface IncidentComment {
  comment: string;
  createdBy: string | null;
  createdDateTime: string | null;
}

/** A file named in an alert's evidence; either API may leave any of the three out. */
export interface AlertFile {
  name?: string;
  sha1?: string;
  sha256?: string;
}

/** An incident's alert with the entities it names (Graph `alerts[].evidence[]`, legacy `devices[]` + `entities[]`). */
export interface IncidentAlert {
  /** Graph `id` / legacy `alertId`. */
  id: string;
  title: string;
  severity: Severity;
  /** As sent (Graph `new`/`inProgress`/`resolved`, legacy `New`/`InProgress`/`Resolved`), camelCased. */
  status: string;
  createdDateTime: string;
  /** Device DNS names, lower-case. */
  devices: string[];
  /** UPNs, else account names. */
  users: string[];
  ips: string[];
  files: AlertFile[];
  /** Mailbox primary addresses. */
  mailboxes: string[];
  /** The alert's evidence, typed (devices with mdeDeviceId, users with objectId, files with hashes…; docs/recipes.md). */
  evidence: AlertEvidence;
}

export interface Incident {
  /** Graph `id` / legacy `incidentId`, always as a string. */
  id: string;
  displayName: string;
  status: IncidentStatus;
  severity: Severity;
  classification: Classification;
  determination: Determination;
  assignedTo: string | null;
  /** Graph `customTags` / legacy `tags`. */
  tags: string[];
  /** Graph `systemTags`; empty on the legacy API. */
  systemTags: string[];
  createdDateTime: string;
  lastUpdateDateTime: string;
  webUrl: string | null;
  redirectIncidentId: string | null;
  description: string | null;
  comments: IncidentComment[];
  /** Present when the API sent alerts: always on legacy, on Graph only with `$expand=alerts`. */
  alerts?: IncidentAlert[];
  /** Every alert's evidence merged, each entity once; present with `alerts`. */
  evidence?: AlertEvidence;
}

export interface IncidentFilter {
  status?: IncidentStatus | IncidentStatus[];
  severity?: Severity | Severity[];
  assignedTo?: string;
  createdSince?: Date | string;
  updatedSince?: Date | string;
  /** Stop after this many incidents (default: all). */
  limit?: number;
  /** Include each incident's alerts and evidence (Graph: `$expand=alerts`; legacy always sends them). */
  expandAlerts?: boolean;
}

export interface TagChange {
  add?: string[];
  remove?: string[];
  /** Replace the whole list (cannot be combined with add/remove). */
  replace?: string[];
}

export interface IncidentUpdate {
  status?: 'active' | 'inProgress' | 'resolved' | 'redirected';
  /** An empty string unassigns. */
  assignedTo?: string;
  classification?: (typeof CLASSIFICATIONS)[number];
  determination?: (typeof DETERMINATIONS)[number];
  tags?: TagChange;
  /** A comment added to the incident (Graph: the comments endpoint; legacy: the PATCH `comment` field). */
  comment?: string;
  /** Graph only. */
  severity?: (typeof SEVERITIES)[number];
  /** Graph only. */
  displayName?: string;
  /** Graph only. */
  description?: string;
  /** Graph only. */
  summary?: string;
  /** Graph only. */
  resolvingComment?: string;
}

export interface HuntingColumn {
  name: string;
  type: string;
}

export interface HuntingResult {
  schema: HuntingColumn[];
  rows: Record<string, unknown>[];
  /** Legacy API only: the `Stats` object as sent. */
  stats?: Record<string, unknown>;
}

export interface HuntingOptions {
  /** ISO-8601 duration or interval (Graph `Timespan`). On the legacy API it is applied by the caller's query. */
  timespan?: string;
  signal?: AbortSignal;
}

export interface CallOptions {
  signal?: AbortSignal;
}

/** One interface, two backends. */
export interface DefenderClient {
  readonly backend: ApiBackend;
  runHuntingQuery(query: string, options?: HuntingOptions): Promise<HuntingResult>;
  listIncidents(filter?: IncidentFilter, options?: CallOptions): AsyncIterable<Incident>;
  getIncident(id: string, options?: CallOptions): Promise<Incident>;
  /** Applies the update and returns the incident as the API returned it afterwards. */
  updateIncident(id: string, update: IncidentUpdate, options?: CallOptions): Promise<Incident>;
  addComment(id: string, comment: string, options?: CallOptions): Promise<void>;
  /** Graph alerts_v2; absent on the legacy API, which has no alerts endpoint (alert steps then fail at load). */
  readonly alerts?: AlertsClient;
  /** Microsoft Graph users and riskyUsers (identity containment steps). */
  readonly identity?: IdentityClient;
}
