// Enum spellings on the wire. Input is accepted in any case and under every documented synonym; output follows the
// GET schemas (Graph resource page: camelCase; legacy api-incident.md: PascalCase). See defender-api.md §1.3, §2.2.
import type { AlertStatus, Classification, Determination, IncidentStatus, Severity } from './model';

export const STATUSES: readonly IncidentStatus[] = ['active', 'inProgress', 'resolved', 'redirected', 'awaitingAction'];
export const SEVERITIES: readonly Severity[] = ['unknown', 'informational', 'low', 'medium', 'high'];
export const CLASSIFICATIONS: readonly Classification[] = [
  'unknown',
  'falsePositive',
  'truePositive',
  'informationalExpectedActivity',
];

/** Input spellings (lower case) → stored value. Both doc spellings of the renamed values are accepted. */
const DETERMINATION_INPUT: Record<string, Determination> = {
  unknown: 'unknown',
  notavailable: 'unknown',
  apt: 'apt',
  malware: 'malware',
  securitypersonnel: 'securityPersonnel',
  securitytesting: 'securityTesting',
  unwantedsoftware: 'unwantedSoftware',
  other: 'other',
  multistagedattack: 'multiStagedAttack',
  compromisedaccount: 'compromisedAccount',
  compromiseduser: 'compromisedAccount',
  phishing: 'phishing',
  malicioususeractivity: 'maliciousUserActivity',
  clean: 'clean',
  notmalicious: 'clean',
  insufficientdata: 'insufficientData',
  notenoughdatatovalidate: 'insufficientData',
  noenoughdatatovalidate: 'insufficientData',
  confirmedactivity: 'confirmedActivity',
  confirmeduseractivity: 'confirmedActivity',
  lineofbusinessapplication: 'lineOfBusinessApplication',
};

/** Graph GET spelling (resource page). */
const DETERMINATION_GRAPH: Record<Determination, string> = {
  unknown: 'unknown',
  apt: 'apt',
  malware: 'malware',
  securityPersonnel: 'securityPersonnel',
  securityTesting: 'securityTesting',
  unwantedSoftware: 'unwantedSoftware',
  other: 'other',
  multiStagedAttack: 'multiStagedAttack',
  compromisedAccount: 'compromisedUser',
  phishing: 'phishing',
  maliciousUserActivity: 'maliciousUserActivity',
  clean: 'clean',
  insufficientData: 'insufficientData',
  confirmedActivity: 'confirmedActivity',
  lineOfBusinessApplication: 'lineOfBusinessApplication',
};

/** Legacy GET spelling (api-incident.md). */
const DETERMINATION_LEGACY: Record<Determination, string> = {
  unknown: 'NotAvailable',
  apt: 'Apt',
  malware: 'Malware',
  securityPersonnel: 'SecurityPersonnel',
  securityTesting: 'SecurityTesting',
  unwantedSoftware: 'UnwantedSoftware',
  other: 'Other',
  multiStagedAttack: 'MultiStagedAttack',
  compromisedAccount: 'CompromisedUser',
  phishing: 'Phishing',
  maliciousUserActivity: 'MaliciousUserActivity',
  clean: 'Clean',
  insufficientData: 'InsufficientData',
  confirmedActivity: 'ConfirmedUserActivity',
  lineOfBusinessApplication: 'LineOfBusinessApplication',
};

/** Which determinations each classification allows (legacy api-update-incidents.md lists; Graph follows them). */
const COMPATIBLE: Record<Classification, readonly Determination[]> = {
  unknown: ['unknown'],
  truePositive: [
    'unknown',
    'multiStagedAttack',
    'maliciousUserActivity',
    'compromisedAccount',
    'malware',
    'phishing',
    'unwantedSoftware',
    'other',
  ],
  informationalExpectedActivity: [
    'unknown',
    'securityTesting',
    'lineOfBusinessApplication',
    'confirmedActivity',
    'other',
  ],
  falsePositive: ['unknown', 'clean', 'insufficientData', 'other'],
};

const pascal = (s: string): string => s.charAt(0).toUpperCase() + s.slice(1);

function byLowerCase<T extends string>(values: readonly T[], input: string): T | undefined {
  const lower = input.toLowerCase();
  return values.find((v) => v.toLowerCase() === lower);
}

export function parseStatus(input: string): IncidentStatus | undefined {
  return byLowerCase(STATUSES, input);
}

export function parseSeverity(input: string): Severity | undefined {
  // The legacy API spells "unknown" as UnSpecified.
  return input.toLowerCase() === 'unspecified' ? 'unknown' : byLowerCase(SEVERITIES, input);
}

export function parseClassification(input: string): Classification | undefined {
  return byLowerCase(CLASSIFICATIONS, input);
}

export function parseDetermination(input: string): Determination | undefined {
  return DETERMINATION_INPUT[input.toLowerCase()];
}

export function isCompatible(classification: Classification, determination: Determination): boolean {
  return COMPATIBLE[classification].includes(determination);
}

export function compatibleDeterminations(classification: Classification): readonly Determination[] {
  return COMPATIBLE[classification];
}

export const graphEnum = {
  determination: (d: Determination): string => DETERMINATION_GRAPH[d],
};

export const legacyEnum = {
  status: (s: IncidentStatus): string => (s === 'awaitingAction' ? 'Active' : pascal(s)),
  severity: (s: Severity): string => (s === 'unknown' ? 'UnSpecified' : pascal(s)),
  classification: (c: Classification): string => pascal(c),
  determination: (d: Determination): string => DETERMINATION_LEGACY[d],
  alertStatus: (s: AlertStatus): string => pascal(s),
};

/** Graph alert serviceSource → legacy alert serviceSource. */
export const LEGACY_SERVICE_SOURCE: Record<string, string> = {
  microsoftDefenderForEndpoint: 'MicrosoftDefenderForEndpoint',
  microsoftDefenderForOffice365: 'MicrosoftDefenderForOffice365',
  microsoftDefenderForIdentity: 'MicrosoftDefenderForIdentity',
  microsoftDefenderForCloudApps: 'MicrosoftCloudAppSecurity',
  azureAdIdentityProtection: 'AzureAdIdentityProtection',
  microsoftDefenderXdr: 'Microsoft365Defender',
};

/** Graph alert detectionSource → legacy detectionSource (values seen in legacy samples). */
export const LEGACY_DETECTION_SOURCE: Record<string, string> = {
  antivirus: 'WindowsDefenderAv',
  microsoftDefenderForEndpoint: 'WindowsDefenderAtp',
  customTi: 'CustomerTI',
  microsoftDefenderForOffice365: 'OfficeATP',
  microsoftDefenderForCloudApps: 'MCAS',
  microsoftDefenderForIdentity: 'AzureATP',
  azureAdIdentityProtection: 'AadIdentityProtection',
  automatedInvestigation: 'AutomatedInvestigation',
  microsoft365Defender: 'Microsoft365Defender',
};
