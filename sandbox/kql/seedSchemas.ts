// Advanced hunting table schemas (hunting-schema.md §1): the main documented columns with their documented types.
// Written as `Name[:type]` lists; a column without a type is a string.
import type { KqlColumn, KqlType } from './types';

const INITIATING_PROCESS =
  'InitiatingProcessAccountDomain, InitiatingProcessAccountName, InitiatingProcessAccountSid, InitiatingProcessAccountUpn, ' +
  'InitiatingProcessAccountObjectId, InitiatingProcessIntegrityLevel, InitiatingProcessTokenElevation, InitiatingProcessSHA1, ' +
  'InitiatingProcessSHA256, InitiatingProcessMD5, InitiatingProcessFileName, InitiatingProcessFileSize:long, ' +
  'InitiatingProcessId:long, InitiatingProcessCommandLine, InitiatingProcessCreationTime:datetime, InitiatingProcessFolderPath, ' +
  'InitiatingProcessParentId:long, InitiatingProcessParentFileName, InitiatingProcessParentCreationTime:datetime';

const SPECS: Record<string, string> = {
  DeviceProcessEvents:
    'Timestamp:datetime, DeviceId, DeviceName, ActionType, FileName, FolderPath, SHA1, SHA256, MD5, FileSize:long, ' +
    'ProcessVersionInfoCompanyName, ProcessVersionInfoProductName, ProcessVersionInfoOriginalFileName, ProcessVersionInfoFileDescription, ' +
    'ProcessId:long, ProcessCommandLine, ProcessIntegrityLevel, ProcessTokenElevation, ProcessCreationTime:datetime, ' +
    'AccountDomain, AccountName, AccountSid, AccountUpn, AccountObjectId, LogonId:long, InitiatingProcessLogonId:long, ' +
    `${INITIATING_PROCESS}, InitiatingProcessSignerType, InitiatingProcessSignatureStatus, ReportId:long, AppGuardContainerId, AdditionalFields`,
  DeviceNetworkEvents:
    'Timestamp:datetime, DeviceId, DeviceName, ActionType, RemoteIP, RemotePort:int, RemoteUrl, LocalIP, LocalPort:int, Protocol, ' +
    `LocalIPType, RemoteIPType, ${INITIATING_PROCESS}, ReportId:long, AppGuardContainerId, AdditionalFields`,
  DeviceFileEvents:
    'Timestamp:datetime, DeviceId, DeviceName, ActionType, FileName, FolderPath, SHA1, SHA256, MD5, FileOriginUrl, ' +
    'FileOriginReferrerUrl, FileOriginIP, PreviousFolderPath, PreviousFileName, FileSize:long, ' +
    `${INITIATING_PROCESS}, RequestProtocol, RequestSourceIP, RequestSourcePort:int, RequestAccountName, RequestAccountDomain, ` +
    'RequestAccountSid, ShareName, SensitivityLabel, SensitivitySubLabel, IsAzureInfoProtectionApplied:bool, ReportId:long, AdditionalFields',
  DeviceLogonEvents:
    'Timestamp:datetime, DeviceId, DeviceName, ActionType, LogonType, AccountDomain, AccountName, AccountSid, Protocol, ' +
    'FailureReason, IsLocalAdmin:bool, LogonId:long, RemoteDeviceName, RemoteIP, RemoteIPType, RemotePort:int, ' +
    `${INITIATING_PROCESS}, ReportId:long, AppGuardContainerId, AdditionalFields`,
  DeviceInfo:
    'Timestamp:datetime, DeviceId, DeviceName, ClientVersion, PublicIP, OSArchitecture, OSPlatform, OSBuild:long, ' +
    'IsAzureADJoined:bool, JoinType, AadDeviceId, LoggedOnUsers, RegistryDeviceTag, OSVersion, MachineGroup, ReportId:long, ' +
    'OnboardingStatus, AdditionalFields, DeviceCategory, DeviceType, DeviceSubtype, Model, Vendor, OSDistribution, ' +
    'OSVersionInfo, MergedDeviceIds, MergedToDeviceId, IsInternetFacing:bool, SensorHealthState, IsExcluded:bool, ' +
    'ExclusionReason, ExposureLevel, AssetValue, DeviceManualTags, DeviceDynamicTags, ConnectivityType, HostDeviceId',
  EmailEvents:
    'Timestamp:datetime, NetworkMessageId, InternetMessageId, SenderMailFromAddress, SenderFromAddress, SenderDisplayName, ' +
    'SenderObjectId, SenderMailFromDomain, SenderFromDomain, SenderIPv4, SenderIPv6, RecipientEmailAddress, RecipientObjectId, ' +
    'Subject, EmailClusterId:long, EmailDirection, DeliveryAction, DeliveryLocation, ThreatTypes, ThreatNames, ' +
    'DetectionMethods, ConfidenceLevel, BulkComplaintLevel:int, EmailAction, EmailActionPolicy, EmailActionPolicyGuid, ' +
    'AuthenticationDetails, AttachmentCount:int, UrlCount:int, EmailLanguage, Connectors, OrgLevelAction, OrgLevelPolicy, ' +
    'UserLevelAction, UserLevelPolicy, ReportId, AdditionalFields, LatestDeliveryLocation, LatestDeliveryAction',
  EmailUrlInfo: 'Timestamp:datetime, NetworkMessageId, Url, UrlDomain, UrlLocation, ReportId',
  IdentityLogonEvents:
    'Timestamp:datetime, ActionType, Application, LogonType, Protocol, FailureReason, AccountName, AccountDomain, ' +
    'AccountUpn, AccountSid, AccountObjectId, AccountDisplayName, DeviceName, DeviceType, OSPlatform, IPAddress, Port:int, ' +
    'DestinationDeviceName, DestinationIPAddress, DestinationPort:int, TargetDeviceName, TargetAccountDisplayName, ' +
    'Location, Isp, ReportId, AdditionalFields:dynamic',
  CloudAppEvents:
    'Timestamp:datetime, ActionType, Application, ApplicationId:int, AppInstanceId:int, AccountObjectId, AccountId, ' +
    'AccountDisplayName, IsAdminOperation:bool, DeviceType, OSPlatform, IPAddress, IsAnonymousProxy:bool, CountryCode, ' +
    'City, Isp, UserAgent, ActivityType, ActivityObjects:dynamic, ObjectName, ObjectType, ObjectId, ReportId, AccountType, ' +
    'IsExternalUser:bool, IsImpersonated:bool, IPTags:dynamic, IPCategory, UserAgentTags:dynamic, RawEventData:dynamic, ' +
    'AdditionalFields:dynamic, LastSeenForUser:dynamic, UncommonForUser:dynamic, AuditSource, SessionData:dynamic, OAuthAppId',
  AlertInfo: 'Timestamp:datetime, AlertId, Title, Category, Severity, ServiceSource, DetectionSource, AttackTechniques',
  AlertEvidence:
    'Timestamp:datetime, AlertId, Title, Categories, AttackTechniques, ServiceSource, DetectionSource, EntityType, ' +
    'EvidenceRole, EvidenceDirection, FileName, FolderPath, SHA1, SHA256, FileSize:long, ThreatFamily, RemoteIP, RemoteUrl, ' +
    'AccountName, AccountDomain, AccountSid, AccountObjectId, AccountUpn, DeviceId, DeviceName, LocalIP, NetworkMessageId, ' +
    'EmailSubject, Application, ApplicationId:int, OAuthApplicationId, ProcessCommandLine, RegistryKey, RegistryValueName, ' +
    'RegistryValueData, AdditionalFields, Severity, CloudResource, CloudPlatform, ResourceType, ResourceID, SubscriptionId',
};

function parseSpec(spec: string): KqlColumn[] {
  return spec.split(',').map((part) => {
    const [name, type] = part.trim().split(':');
    return { name: name as string, type: (type ?? 'string') as KqlType };
  });
}

export const SEED_TABLE_NAMES = Object.keys(SPECS) as readonly string[];

export const HUNTING_SCHEMAS: ReadonlyMap<string, readonly KqlColumn[]> = new Map(
  Object.entries(SPECS).map(([name, spec]) => [name, parseSpec(spec)]),
);

export function schemaOf(table: string): readonly KqlColumn[] {
  const columns = HUNTING_SCHEMAS.get(table);
  if (!columns) throw new Error(`Unknown hunting table '${table}' (known: ${SEED_TABLE_NAMES.join(', ')})`);
  return columns;
}

/** A row with every column of the schema in schema order: the given value, else '' for strings and null otherwise. */
export function rowFactory(table: string): (values: Record<string, unknown>) => Record<string, unknown> {
  const columns = schemaOf(table).map((c) => [c.name, c.type === 'string' ? '' : null] as const);
  return (values) => {
    const row: Record<string, unknown> = {};
    for (const [name, fallback] of columns) {
      const v = values[name];
      row[name] = v === undefined ? fallback : v;
    }
    return row;
  };
}
