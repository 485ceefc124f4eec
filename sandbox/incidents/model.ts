// The sandbox's one incident store, rendered by both the Graph and the legacy API. Values are Graph-style camelCase;
// the legacy view maps them to PascalCase (defender-api.md §1.3 and §2.2).

export type IncidentStatus = 'active' | 'inProgress' | 'resolved' | 'redirected' | 'awaitingAction';
export type Severity = 'unknown' | 'informational' | 'low' | 'medium' | 'high';
export type Classification = 'unknown' | 'falsePositive' | 'truePositive' | 'informationalExpectedActivity';
export type Determination =
  | 'unknown'
  | 'apt'
  | 'malware'
  | 'securityPersonnel'
  | 'securityTesting'
  | 'unwantedSoftware'
  | 'other'
  | 'multiStagedAttack'
  | 'compromisedAccount'
  | 'phishing'
  | 'maliciousUserActivity'
  | 'clean'
  | 'insufficientData'
  | 'confirmedActivity'
  | 'lineOfBusinessApplication';
export type AlertStatus = 'new' | 'inProgress' | 'resolved';
export type Verdict = 'unknown' | 'suspicious' | 'malicious' | 'noThreatsFound';
export type RemediationStatus = 'none' | 'remediated' | 'prevented' | 'blocked' | 'notFound';

export interface StoredComment {
  comment: string;
  createdBy: string;
  createdDateTime: string;
}

interface EvidenceBase {
  createdDateTime: string;
  verdict: Verdict;
  remediationStatus: RemediationStatus;
  /** Graph `roles`, e.g. ['compromised'], ['attacker'], ['contextual']. */
  roles: string[];
}

export interface DeviceEvidence extends EvidenceBase {
  kind: 'device';
  mdeDeviceId: string;
  azureAdDeviceId: string | null;
  deviceDnsName: string;
  osPlatform: string;
  osBuild: number | null;
  version: string | null;
  healthStatus: string;
  riskScore: string;
  rbacGroupId: number;
  rbacGroupName: string;
  firstSeenDateTime: string;
  onboardingStatus: string;
  defenderAvStatus: string;
  tags: string[];
}

export interface UserEvidence extends EvidenceBase {
  kind: 'user';
  accountName: string;
  domainName: string;
  userSid: string | null;
  azureAdUserId: string;
  userPrincipalName: string;
  displayName: string;
}

export interface IpEvidence extends EvidenceBase {
  kind: 'ip';
  ipAddress: string;
  countryLetterCode: string | null;
}

export interface FileEvidence extends EvidenceBase {
  kind: 'file';
  fileName: string;
  filePath: string | null;
  sha1: string | null;
  sha256: string | null;
  fileSize: number | null;
  mdeDeviceId: string | null;
  detectionStatus: string | null;
}

export interface ProcessEvidence extends EvidenceBase {
  kind: 'process';
  processId: number;
  parentProcessId: number | null;
  processCommandLine: string;
  processCreationDateTime: string;
  parentProcessCreationDateTime: string | null;
  imageFileName: string;
  imageFilePath: string;
  sha1: string | null;
  sha256: string | null;
  accountName: string | null;
  domainName: string | null;
  mdeDeviceId: string | null;
}

export interface MailboxEvidence extends EvidenceBase {
  kind: 'mailbox';
  displayName: string;
  primaryAddress: string;
  azureAdUserId: string | null;
}

export interface MailMessageEvidence extends EvidenceBase {
  kind: 'mailMessage';
  networkMessageId: string;
  internetMessageId: string;
  subject: string;
  sender: string;
  senderIp: string | null;
  recipient: string;
  deliveryAction: string;
  deliveryLocation: string;
  receivedDateTime: string;
  attachmentsCount: number;
  urlCount: number;
}

export interface UrlEvidence extends EvidenceBase {
  kind: 'url';
  url: string;
}

export interface MailboxConfigurationEvidence extends EvidenceBase {
  kind: 'mailboxConfiguration';
  mailboxPrimaryAddress: string;
  displayName: string;
  configurationType: 'mailForwardingRule' | 'owaSettings' | 'ewsSettings' | 'mailDelegation' | 'userInboxRule';
  configurationId: string;
  externalDirectoryObjectId: string | null;
}

/** security-registrykeyevidence.md / security-registryvalueevidence.md (GD resources). */
export interface RegistryKeyEvidence extends EvidenceBase {
  kind: 'registryKey';
  registryKey: string;
  registryHive: string;
}

export interface RegistryValueEvidence extends EvidenceBase {
  kind: 'registryValue';
  mdeDeviceId: string | null;
  registryKey: string;
  registryHive: string;
  registryValue: string;
  registryValueName: string;
  registryValueType: string;
}

/** security-cloudapplicationevidence.md: numeric Defender for Cloud Apps ids. */
export interface CloudApplicationEvidence extends EvidenceBase {
  kind: 'cloudApplication';
  appId: number;
  displayName: string;
  instanceId: number;
  instanceName: string;
  saasAppId: number;
}

/** security-oauthapplicationevidence.md. */
export interface OauthApplicationEvidence extends EvidenceBase {
  kind: 'oauthApplication';
  appId: string;
  displayName: string;
  objectId: string;
  publisher: string | null;
}

/** security-securitygroupevidence.md. */
export interface SecurityGroupEvidence extends EvidenceBase {
  kind: 'securityGroup';
  securityGroupId: string;
  displayName: string;
  activeDirectoryObjectGuid: string | null;
  distinguishedName: string | null;
  friendlyName: string | null;
  sid: string | null;
}

/** security-mailclusterevidence.md. */
export interface MailClusterEvidence extends EvidenceBase {
  kind: 'mailCluster';
  clusterBy: string;
  clusterByValue: string;
  emailCount: number;
  networkMessageIds: string[];
  query: string;
  urn: string;
}

export type StoredEvidence =
  | RegistryKeyEvidence
  | RegistryValueEvidence
  | CloudApplicationEvidence
  | OauthApplicationEvidence
  | SecurityGroupEvidence
  | MailClusterEvidence
  | DeviceEvidence
  | UserEvidence
  | IpEvidence
  | FileEvidence
  | ProcessEvidence
  | MailboxEvidence
  | MailMessageEvidence
  | UrlEvidence
  | MailboxConfigurationEvidence;

export type ServiceSource =
  | 'microsoftDefenderForEndpoint'
  | 'microsoftDefenderForOffice365'
  | 'microsoftDefenderForIdentity'
  | 'microsoftDefenderForCloudApps'
  | 'azureAdIdentityProtection'
  | 'microsoftDefenderXdr';

export interface StoredAlert {
  id: string;
  providerAlertId: string;
  title: string;
  description: string;
  /** MITRE tactic, e.g. InitialAccess, CredentialAccess. */
  category: string;
  severity: Severity;
  status: AlertStatus;
  serviceSource: ServiceSource;
  /** Graph camelCase detection source, e.g. antivirus, customTi, microsoftDefenderForOffice365. */
  detectionSource: string;
  detectorId: string;
  createdDateTime: string;
  lastUpdateDateTime: string;
  firstActivityDateTime: string;
  lastActivityDateTime: string;
  resolvedDateTime: string | null;
  classification: Classification;
  determination: Determination;
  assignedTo: string | null;
  actorDisplayName: string | null;
  threatFamilyName: string | null;
  mitreTechniques: string[];
  investigationId: number | null;
  investigationState: string;
  evidence: StoredEvidence[];
  /** Graph alerts_v2 comments (POST …/comments appends). */
  comments: StoredComment[];
}

export interface StoredIncident {
  id: number;
  displayName: string;
  status: IncidentStatus;
  severity: Severity;
  classification: Classification;
  determination: Determination;
  assignedTo: string | null;
  customTags: string[];
  systemTags: string[];
  description: string | null;
  summary: string | null;
  resolvingComment: string | null;
  lastModifiedBy: string | null;
  priorityScore: number | null;
  redirectIncidentId: number | null;
  createdDateTime: string;
  lastUpdateDateTime: string;
  comments: StoredComment[];
  alerts: StoredAlert[];
}
