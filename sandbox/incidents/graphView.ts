// Graph security API shapes (microsoft.graph.security.incident / alert / *Evidence), defender-api.md §2.2.
import { graphEnum } from './enums';
import type { StoredAlert, StoredEvidence, StoredIncident } from './model';

export function graphIncident(i: StoredIncident, tenantId: string, expandAlerts: boolean): Record<string, unknown> {
  const out: Record<string, unknown> = {
    // As security-list-incidents.md's example sends each incident (its alerts carry their own type).
    '@odata.type': '#microsoft.graph.security.incident',
    id: String(i.id),
    tenantId,
    status: i.status,
    incidentWebUrl: `https://security.microsoft.com/incident2/${i.id}/overview?tid=${tenantId}`,
    redirectIncidentId: i.redirectIncidentId === null ? null : String(i.redirectIncidentId),
    displayName: i.displayName,
    createdDateTime: i.createdDateTime,
    lastUpdateDateTime: i.lastUpdateDateTime,
    assignedTo: i.assignedTo,
    classification: i.classification,
    determination: graphEnum.determination(i.determination),
    severity: i.severity,
    customTags: [...i.customTags],
    systemTags: [...i.systemTags],
    description: i.description,
    lastModifiedBy: i.lastModifiedBy,
    resolvingComment: i.resolvingComment,
    summary: i.summary,
    priorityScore: i.priorityScore,
    comments: i.comments.map(graphComment),
  };
  if (expandAlerts) out.alerts = i.alerts.map((a) => graphAlert(a, i.id, tenantId));
  return out;
}

export function graphComment(c: {
  comment: string;
  createdBy: string;
  createdDateTime: string;
}): Record<string, unknown> {
  return { comment: c.comment, createdByDisplayName: c.createdBy, createdDateTime: c.createdDateTime };
}

export function graphAlert(a: StoredAlert, incidentId: number, tenantId: string): Record<string, unknown> {
  return {
    '@odata.type': '#microsoft.graph.security.alert',
    id: a.id,
    providerAlertId: a.providerAlertId,
    incidentId: String(incidentId),
    status: a.status,
    severity: a.severity,
    classification: a.classification === 'unknown' ? null : a.classification,
    determination: a.determination === 'unknown' ? null : graphEnum.determination(a.determination),
    serviceSource: a.serviceSource,
    detectionSource: a.detectionSource,
    detectorId: a.detectorId,
    tenantId,
    title: a.title,
    description: a.description,
    recommendedActions: '',
    category: a.category,
    assignedTo: a.assignedTo,
    alertWebUrl: `https://security.microsoft.com/alerts/${a.id}?tid=${tenantId}`,
    incidentWebUrl: `https://security.microsoft.com/incidents/${incidentId}?tid=${tenantId}`,
    actorDisplayName: a.actorDisplayName,
    threatDisplayName: a.threatFamilyName,
    threatFamilyName: a.threatFamilyName,
    mitreTechniques: [...a.mitreTechniques],
    createdDateTime: a.createdDateTime,
    lastUpdateDateTime: a.lastUpdateDateTime,
    resolvedDateTime: a.resolvedDateTime,
    firstActivityDateTime: a.firstActivityDateTime,
    lastActivityDateTime: a.lastActivityDateTime,
    comments: a.comments.map(graphComment),
    evidence: a.evidence.map(graphEvidence),
    systemTags: [],
  };
}

function graphEvidence(e: StoredEvidence): Record<string, unknown> {
  const base = {
    createdDateTime: e.createdDateTime,
    verdict: e.verdict,
    remediationStatus: e.remediationStatus,
    remediationStatusDetails: null,
    roles: [...e.roles],
    detailedRoles: [],
    tags: [],
  };
  switch (e.kind) {
    case 'device': {
      const [hostName, ...domain] = e.deviceDnsName.split('.');
      return {
        '@odata.type': '#microsoft.graph.security.deviceEvidence',
        ...base,
        tags: [...e.tags],
        firstSeenDateTime: e.firstSeenDateTime,
        mdeDeviceId: e.mdeDeviceId,
        azureAdDeviceId: e.azureAdDeviceId,
        deviceDnsName: e.deviceDnsName,
        hostName,
        ntDomain: null,
        dnsDomain: domain.join('.') || null,
        osPlatform: e.osPlatform,
        osBuild: e.osBuild,
        version: e.version,
        healthStatus: e.healthStatus,
        riskScore: e.riskScore,
        rbacGroupId: e.rbacGroupId,
        rbacGroupName: e.rbacGroupName,
        onboardingStatus: e.onboardingStatus,
        defenderAvStatus: e.defenderAvStatus,
        ipInterfaces: [],
        loggedOnUsers: [],
        vmMetadata: null,
      };
    }
    case 'user':
      return {
        '@odata.type': '#microsoft.graph.security.userEvidence',
        ...base,
        userAccount: {
          accountName: e.accountName,
          domainName: e.domainName,
          userSid: e.userSid,
          azureAdUserId: e.azureAdUserId,
          userPrincipalName: e.userPrincipalName,
          displayName: e.displayName,
        },
      };
    case 'ip':
      return {
        '@odata.type': '#microsoft.graph.security.ipEvidence',
        ...base,
        ipAddress: e.ipAddress,
        countryLetterCode: e.countryLetterCode,
      };
    case 'file':
      return {
        '@odata.type': '#microsoft.graph.security.fileEvidence',
        ...base,
        detectionStatus: e.detectionStatus,
        mdeDeviceId: e.mdeDeviceId,
        fileDetails: {
          fileName: e.fileName,
          filePath: e.filePath,
          filePublisher: null,
          fileSize: e.fileSize,
          issuer: null,
          md5: null,
          sha1: e.sha1,
          sha256: e.sha256,
          signer: null,
        },
      };
    case 'process':
      return {
        '@odata.type': '#microsoft.graph.security.processEvidence',
        ...base,
        processId: e.processId,
        parentProcessId: e.parentProcessId,
        processCommandLine: e.processCommandLine,
        processCreationDateTime: e.processCreationDateTime,
        parentProcessCreationDateTime: e.parentProcessCreationDateTime,
        detectionStatus: 'detected',
        mdeDeviceId: e.mdeDeviceId,
        // A fileDetails, as the list-incidents example writes it; the store keeps no size or signer for images.
        imageFile: {
          sha1: e.sha1,
          sha256: e.sha256,
          fileName: e.imageFileName,
          filePath: e.imageFilePath,
          fileSize: null,
          filePublisher: null,
          signer: null,
          issuer: null,
        },
        // The store keeps no parent image: null, as the API sends for an unknown property.
        parentProcessImageFile: null,
        userAccount: e.accountName
          ? {
              accountName: e.accountName,
              domainName: e.domainName,
              userSid: null,
              azureAdUserId: null,
              userPrincipalName: null,
            }
          : null,
      };
    case 'mailbox':
      return {
        '@odata.type': '#microsoft.graph.security.mailboxEvidence',
        ...base,
        displayName: e.displayName,
        primaryAddress: e.primaryAddress,
        userAccount: {
          azureAdUserId: e.azureAdUserId,
          userPrincipalName: e.primaryAddress,
          displayName: e.displayName,
        },
      };
    case 'mailMessage': {
      const senderDomain = e.sender.split('@')[1] ?? null;
      return {
        '@odata.type': '#microsoft.graph.security.analyzedMessageEvidence',
        ...base,
        networkMessageId: e.networkMessageId,
        internetMessageId: e.internetMessageId,
        subject: e.subject,
        senderIp: e.senderIp,
        recipientEmailAddress: e.recipient,
        p1Sender: { emailAddress: e.sender, displayName: null, domainName: senderDomain },
        p2Sender: { emailAddress: e.sender, displayName: null, domainName: senderDomain },
        deliveryAction: e.deliveryAction,
        deliveryLocation: e.deliveryLocation,
        antiSpamDirection: 'inbound',
        receivedDateTime: e.receivedDateTime,
        attachmentsCount: e.attachmentsCount,
        urlCount: e.urlCount,
        urls: [],
        threats: [],
        threatDetectionMethods: [],
        language: 'en',
      };
    }
    case 'url':
      return { '@odata.type': '#microsoft.graph.security.urlEvidence', ...base, url: e.url };
    case 'registryKey':
      return {
        '@odata.type': '#microsoft.graph.security.registryKeyEvidence',
        ...base,
        registryKey: e.registryKey,
        registryHive: e.registryHive,
      };
    case 'registryValue':
      return {
        '@odata.type': '#microsoft.graph.security.registryValueEvidence',
        ...base,
        mdeDeviceId: e.mdeDeviceId,
        registryKey: e.registryKey,
        registryHive: e.registryHive,
        registryValue: e.registryValue,
        registryValueName: e.registryValueName,
        registryValueType: e.registryValueType,
      };
    case 'cloudApplication':
      return {
        '@odata.type': '#microsoft.graph.security.cloudApplicationEvidence',
        ...base,
        appId: e.appId,
        displayName: e.displayName,
        instanceId: e.instanceId,
        instanceName: e.instanceName,
        saasAppId: e.saasAppId,
      };
    case 'oauthApplication':
      return {
        '@odata.type': '#microsoft.graph.security.oauthApplicationEvidence',
        ...base,
        appId: e.appId,
        displayName: e.displayName,
        objectId: e.objectId,
        publisher: e.publisher,
      };
    case 'securityGroup':
      return {
        '@odata.type': '#microsoft.graph.security.securityGroupEvidence',
        ...base,
        securityGroupId: e.securityGroupId,
        displayName: e.displayName,
        activeDirectoryObjectGuid: e.activeDirectoryObjectGuid,
        distinguishedName: e.distinguishedName,
        friendlyName: e.friendlyName,
        sid: e.sid,
      };
    case 'mailCluster':
      return {
        '@odata.type': '#microsoft.graph.security.mailClusterEvidence',
        ...base,
        clusterBy: e.clusterBy,
        clusterByValue: e.clusterByValue,
        emailCount: e.emailCount,
        networkMessageIds: [...e.networkMessageIds],
        query: e.query,
        urn: e.urn,
      };
    case 'mailboxConfiguration':
      return {
        '@odata.type': '#microsoft.graph.security.mailboxConfigurationEvidence',
        ...base,
        mailboxPrimaryAddress: e.mailboxPrimaryAddress,
        displayName: e.displayName,
        upn: e.mailboxPrimaryAddress,
        configurationType: e.configurationType,
        configurationId: e.configurationId,
        externalDirectoryObjectId: e.externalDirectoryObjectId,
      };
  }
}
