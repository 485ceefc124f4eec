// Legacy Defender XDR API shapes (incident, alert, devices[], entities[]), defender-api.md §1.3. Entities alternate
// between the documented style (every key, nulls included) and the live style (null keys omitted), alert by alert,
// so a client is exercised against both.
import { LEGACY_DETECTION_SOURCE, LEGACY_SERVICE_SOURCE, legacyEnum } from './enums';
import type { StoredAlert, StoredEvidence, StoredIncident } from './model';

const ENTITY_KEYS = [
  'sha1',
  'sha256',
  'fileName',
  'filePath',
  'processId',
  'processCommandLine',
  'processCreationTime',
  'parentProcessId',
  'parentProcessCreationTime',
  'ipAddress',
  'url',
  'accountName',
  'domainName',
  'userSid',
  'aadUserId',
  'userPrincipalName',
  'mailboxDisplayName',
  'mailboxAddress',
  'clusterBy',
  'sender',
  'recipient',
  'subject',
  'deliveryAction',
  'securityGroupId',
  'securityGroupName',
  'registryHive',
  'registryKey',
  'registryValueType',
  'registryValue',
  'deviceId',
] as const;

const pascal = (s: string): string => s.charAt(0).toUpperCase() + s.slice(1);

export function legacyIncident(i: StoredIncident, tenantId: string): Record<string, unknown> {
  return {
    incidentId: i.id,
    incidentUri: `https://security.microsoft.com/incidents/${i.id}?tid=${tenantId}`,
    redirectIncidentId: i.redirectIncidentId,
    incidentName: i.displayName,
    createdTime: i.createdDateTime,
    lastUpdateTime: i.lastUpdateDateTime,
    assignedTo: i.assignedTo,
    classification: legacyEnum.classification(i.classification),
    determination: legacyEnum.determination(i.determination),
    status: legacyEnum.status(i.status),
    severity: legacyEnum.severity(i.severity),
    tags: [...i.customTags],
    comments: i.comments.map((c) => ({ comment: c.comment, createdBy: c.createdBy, createdTime: c.createdDateTime })),
    alerts: i.alerts.map((a, n) => legacyAlert(a, i.id, n % 2 === 0)),
  };
}

function legacyAlert(a: StoredAlert, incidentId: number, documentedStyle: boolean): Record<string, unknown> {
  return {
    alertId: a.id,
    providerAlertId: a.providerAlertId,
    incidentId,
    serviceSource: LEGACY_SERVICE_SOURCE[a.serviceSource] ?? pascal(a.serviceSource),
    creationTime: a.createdDateTime,
    lastUpdatedTime: a.lastUpdateDateTime,
    resolvedTime: a.resolvedDateTime,
    firstActivity: a.firstActivityDateTime,
    lastActivity: a.lastActivityDateTime,
    title: a.title,
    description: a.description,
    category: a.category,
    status: legacyEnum.alertStatus(a.status),
    severity: legacyEnum.severity(a.severity),
    investigationId: a.investigationId,
    investigationState: a.investigationState,
    classification: a.classification === 'unknown' ? null : legacyEnum.classification(a.classification),
    determination: a.determination === 'unknown' ? null : legacyEnum.determination(a.determination),
    detectionSource: LEGACY_DETECTION_SOURCE[a.detectionSource] ?? pascal(a.detectionSource),
    detectorId: a.detectorId,
    assignedTo: a.assignedTo,
    actorName: a.actorDisplayName,
    threatFamilyName: a.threatFamilyName,
    mitreTechniques: [...a.mitreTechniques],
    devices: a.evidence.flatMap((e) => (e.kind === 'device' ? [legacyDevice(e)] : [])),
    entities: a.evidence.flatMap((e) => {
      const entity = legacyEntity(e, documentedStyle);
      return entity ? [entity] : [];
    }),
  };
}

function legacyDevice(e: Extract<StoredEvidence, { kind: 'device' }>): Record<string, unknown> {
  return {
    mdatpDeviceId: e.mdeDeviceId,
    aadDeviceId: e.azureAdDeviceId,
    deviceDnsName: e.deviceDnsName,
    osPlatform: e.osPlatform,
    version: e.version,
    osProcessor: 'x64',
    osBuild: e.osBuild,
    healthStatus: pascal(e.healthStatus),
    riskScore: pascal(e.riskScore),
    rbacGroupName: e.rbacGroupName,
    rbacGroupId: e.rbacGroupId,
    firstSeen: e.firstSeenDateTime,
    tags: [...e.tags],
    defenderAvStatus: pascal(e.defenderAvStatus),
    onboardingStatus: pascal(e.onboardingStatus),
    vmMetadata: null,
  };
}

function legacyEntity(e: StoredEvidence, documentedStyle: boolean): Record<string, unknown> | undefined {
  let fields: Record<string, unknown>;
  switch (e.kind) {
    // Devices are the alert's devices[]; the legacy entity types (api-list-incidents.md) have none for registry, cloud
    // or OAuth apps, groups or clusters.
    case 'device':
    case 'registryKey':
    case 'registryValue':
    case 'cloudApplication':
    case 'oauthApplication':
    case 'securityGroup':
    case 'mailCluster':
      return undefined;
    case 'user':
      fields = {
        entityType: 'User',
        accountName: e.accountName,
        domainName: e.domainName,
        userSid: e.userSid,
        aadUserId: e.azureAdUserId,
        userPrincipalName: e.userPrincipalName,
      };
      break;
    case 'ip':
      fields = { entityType: 'Ip', ipAddress: e.ipAddress };
      break;
    case 'file':
      fields = {
        entityType: 'File',
        sha1: e.sha1,
        sha256: e.sha256,
        fileName: e.fileName,
        filePath: e.filePath,
        deviceId: e.mdeDeviceId,
      };
      break;
    case 'process':
      fields = {
        entityType: 'Process',
        sha1: e.sha1,
        sha256: e.sha256,
        fileName: e.imageFileName,
        filePath: e.imageFilePath,
        processId: e.processId,
        processCommandLine: e.processCommandLine,
        processCreationTime: e.processCreationDateTime,
        parentProcessId: e.parentProcessId,
        parentProcessCreationTime: e.parentProcessCreationDateTime,
        accountName: e.accountName,
        domainName: e.domainName,
        deviceId: e.mdeDeviceId,
      };
      break;
    case 'mailbox':
      fields = {
        entityType: documentedStyle ? 'MailBox' : 'Mailbox',
        mailboxDisplayName: e.displayName,
        mailboxAddress: e.primaryAddress,
        aadUserId: e.azureAdUserId,
      };
      break;
    case 'mailboxConfiguration':
      // No legacy entity type for a mailbox rule: it shows up as the affected mailbox.
      fields = {
        entityType: documentedStyle ? 'MailBox' : 'Mailbox',
        mailboxDisplayName: e.displayName,
        mailboxAddress: e.mailboxPrimaryAddress,
        aadUserId: e.externalDirectoryObjectId,
      };
      break;
    case 'mailMessage':
      fields = {
        entityType: 'MailMessage',
        sender: e.sender,
        recipient: e.recipient,
        subject: e.subject,
        deliveryAction: e.deliveryAction,
        ...(documentedStyle ? {} : { internetMessageId: e.internetMessageId }),
      };
      break;
    case 'url':
      fields = { entityType: 'Url', url: e.url };
      break;
  }
  if (documentedStyle) {
    const full: Record<string, unknown> = { entityType: fields.entityType };
    for (const k of ENTITY_KEYS) full[k] = fields[k] ?? null;
    return full;
  }
  const live: Record<string, unknown> = {
    ...fields,
    evidenceCreationTime: e.createdDateTime,
    verdict: pascal(e.verdict),
    remediationStatus: pascal(e.remediationStatus),
  };
  for (const k of Object.keys(live)) if (live[k] === null || live[k] === undefined) delete live[k];
  return live;
}
