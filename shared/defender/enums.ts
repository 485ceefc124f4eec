// Enum values in both directions. The domain uses Graph's camelCase; input is accepted in any case and with the
// aliases the docs use on different pages (defender-api.md §1.3, §2.2). On the wire:
// - Graph: the security-incident resource's enum members, camelCase. For determination that means compromisedUser,
//   clean, insufficientData, confirmedActivity (the resource page's list). The update page's names
//   (compromisedAccount, notMalicious, notEnoughDataToValidate) look like display names; OData binds members by name,
//   so the resource names are the safe choice, and we read every alias back.
// - Legacy: PascalCase as in api-update-incidents.md: CompromisedAccount, ConfirmedActivity, Clean,
//   NoEnoughDataToValidate; severity "UnSpecified" and determination "NotAvailable" read back as unknown.
import type { Classification, Determination, IncidentStatus, Severity } from './types';

type Table<D extends string> = Record<D, { graph: string; legacy: string; aliases?: readonly string[] }>;

const STATUS: Table<IncidentStatus> = {
  active: { graph: 'active', legacy: 'Active' },
  inProgress: { graph: 'inProgress', legacy: 'InProgress' },
  resolved: { graph: 'resolved', legacy: 'Resolved' },
  redirected: { graph: 'redirected', legacy: 'Redirected' },
  awaitingAction: { graph: 'awaitingAction', legacy: 'AwaitingAction' },
  unknown: { graph: 'unknownFutureValue', legacy: 'Unknown', aliases: ['unknownFutureValue'] },
};

const SEVERITY: Table<Severity> = {
  informational: { graph: 'informational', legacy: 'Informational' },
  low: { graph: 'low', legacy: 'Low' },
  medium: { graph: 'medium', legacy: 'Medium' },
  high: { graph: 'high', legacy: 'High' },
  unknown: { graph: 'unknown', legacy: 'UnSpecified', aliases: ['unspecified', 'unknownFutureValue'] },
};

const CLASSIFICATION: Table<Classification> = {
  truePositive: { graph: 'truePositive', legacy: 'TruePositive' },
  informationalExpectedActivity: { graph: 'informationalExpectedActivity', legacy: 'InformationalExpectedActivity' },
  falsePositive: { graph: 'falsePositive', legacy: 'FalsePositive' },
  unknown: { graph: 'unknown', legacy: 'Unknown', aliases: ['unknownFutureValue'] },
};

const DETERMINATION: Table<Determination> = {
  multiStagedAttack: { graph: 'multiStagedAttack', legacy: 'MultiStagedAttack' },
  maliciousUserActivity: { graph: 'maliciousUserActivity', legacy: 'MaliciousUserActivity' },
  compromisedAccount: { graph: 'compromisedUser', legacy: 'CompromisedAccount', aliases: ['compromisedUser'] },
  malware: { graph: 'malware', legacy: 'Malware' },
  phishing: { graph: 'phishing', legacy: 'Phishing' },
  unwantedSoftware: { graph: 'unwantedSoftware', legacy: 'UnwantedSoftware' },
  securityTesting: { graph: 'securityTesting', legacy: 'SecurityTesting' },
  lineOfBusinessApplication: { graph: 'lineOfBusinessApplication', legacy: 'LineOfBusinessApplication' },
  confirmedActivity: { graph: 'confirmedActivity', legacy: 'ConfirmedActivity', aliases: ['confirmedUserActivity'] },
  clean: { graph: 'clean', legacy: 'Clean', aliases: ['notMalicious'] },
  insufficientData: {
    graph: 'insufficientData',
    legacy: 'NoEnoughDataToValidate',
    aliases: ['notEnoughDataToValidate', 'noEnoughDataToValidate'],
  },
  other: { graph: 'other', legacy: 'Other' },
  apt: { graph: 'apt', legacy: 'Apt' },
  securityPersonnel: { graph: 'securityPersonnel', legacy: 'SecurityPersonnel' },
  unknown: { graph: 'unknown', legacy: 'NotAvailable', aliases: ['notAvailable', 'unknownFutureValue'] },
};

// Case, spaces, dashes and underscores are ignored: "In Progress", "in_progress" and "InProgress" are one value.
const norm = (s: string): string => s.replace(/[\s_-]/g, '').toLowerCase();

function indexOf<D extends string>(table: Table<D>): Map<string, D> {
  const index = new Map<string, D>();
  for (const [domain, v] of Object.entries(table) as [D, Table<D>[D]][]) {
    for (const name of [domain, v.graph, v.legacy, ...(v.aliases ?? [])]) index.set(norm(name), domain);
  }
  return index;
}

const STATUS_INDEX = indexOf(STATUS);
const SEVERITY_INDEX = indexOf(SEVERITY);
const CLASSIFICATION_INDEX = indexOf(CLASSIFICATION);
const DETERMINATION_INDEX = indexOf(DETERMINATION);

const parser =
  <D extends string>(index: Map<string, D>) =>
  (value: unknown): D | undefined =>
    typeof value === 'string' ? index.get(norm(value)) : undefined;

/** Any case, any documented alias, either backend's spelling → domain value; undefined when unknown. */
export const parseStatus = parser(STATUS_INDEX);
export const parseSeverity = parser(SEVERITY_INDEX);
export const parseClassification = parser(CLASSIFICATION_INDEX);
export const parseDetermination = parser(DETERMINATION_INDEX);

/** Reading a response: an unrecognised value (a future enum member) becomes 'unknown' rather than failing. */
export const statusFromWire = (v: unknown): IncidentStatus => parseStatus(v) ?? 'unknown';
export const severityFromWire = (v: unknown): Severity => parseSeverity(v) ?? 'unknown';
export const classificationFromWire = (v: unknown): Classification => parseClassification(v) ?? 'unknown';
export const determinationFromWire = (v: unknown): Determination => parseDetermination(v) ?? 'unknown';

export type Backend = 'graph' | 'legacy';

export const statusToWire = (v: IncidentStatus, backend: Backend): string => STATUS[v][backend];
export const severityToWire = (v: Severity, backend: Backend): string => SEVERITY[v][backend];
export const classificationToWire = (v: Classification, backend: Backend): string => CLASSIFICATION[v][backend];
export const determinationToWire = (v: Determination, backend: Backend): string => DETERMINATION[v][backend];
