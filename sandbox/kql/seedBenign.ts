// Everyday ("benign") rows for each hunting table: the background the suspicious seed events hide in. The same
// generators fill generateLargeTable() for benchmarks.
import { devices, users } from '../seed/entities';
import { datetimeToParts, datetimeFromParts } from './datetime';
import { fakeDigest, type SeedRandom } from './seedRandom';
import { rowFactory } from './seedSchemas';
import type { Row } from './values';

export const DAY_MS = 86_400_000;
export const HOUR_MS = 3_600_000;
export const SEED_SPAN_MS = 30 * DAY_MS;

type Device = (typeof devices)[number];
type User = (typeof users)[number];

/** The account that normally uses each device, and per-device fixed facts. */
export interface DeviceProfile {
  device: Device;
  user: User;
  localIp: string;
  windows: boolean;
  sidSuffix: number;
}

export function requireUser(accountName: string): User {
  const user = users.find((u) => u.accountName === accountName);
  if (!user) throw new Error(`seed user ${accountName} missing from entities`);
  return user;
}

function requireDevice(prefix: string): Device {
  const device = devices.find((d) => d.deviceName.startsWith(prefix));
  if (!device) throw new Error(`seed device ${prefix} missing from entities`);
  return device;
}

export const PROFILES: readonly DeviceProfile[] = [
  {
    device: requireDevice('ws-fin-042'),
    user: requireUser('amy.wong'),
    localIp: '10.10.1.42',
    windows: true,
    sidSuffix: 1104,
  },
  {
    device: requireDevice('srv-sql-01'),
    user: requireUser('svc-backup'),
    localIp: '10.10.0.10',
    windows: true,
    sidSuffix: 1201,
  },
  {
    device: requireDevice('ws-hr-007'),
    user: requireUser('lena.fischer'),
    localIp: '10.10.2.7',
    windows: true,
    sidSuffix: 1107,
  },
  {
    device: requireDevice('mac-dev-113'),
    user: requireUser('raj.patel'),
    localIp: '10.10.3.113',
    windows: false,
    sidSuffix: 1113,
  },
];

export function profileOf(devicePrefix: string): DeviceProfile {
  const p = PROFILES.find((x) => x.device.deviceName.startsWith(devicePrefix));
  if (!p) throw new Error(`no profile for ${devicePrefix}`);
  return p;
}

export function sidOf(p: DeviceProfile): string {
  return `S-1-5-21-1004336348-1177238915-682003330-${p.sidSuffix}`;
}

export function shortName(p: DeviceProfile): string {
  return p.device.deviceName.split('.')[0] as string;
}

/** Per-device ReportId counters (the docs say ReportId is a per-device counter). */
export class ReportIds {
  private readonly next = new Map<string, number>();
  take(deviceId: string): number {
    const n = (this.next.get(deviceId) ?? 1000) + 1;
    this.next.set(deviceId, n);
    return n;
  }
}

export interface GenContext {
  rng: SeedRandom;
  nowMs: number;
  reportIds: ReportIds;
}

/** A process image: name, folder and hashes. */
export interface Image {
  fileName: string;
  folder: string;
  company: string;
  description: string;
  size: number;
}

function image(
  fileName: string,
  folder: string,
  company = 'Microsoft Corporation',
  description = fileName,
  size = 0,
): Image {
  return {
    fileName,
    folder,
    company,
    description,
    size: size || 40_000 + (fakeDigest(fileName, 8).charCodeAt(0) % 10) * 100_000,
  };
}

const digestCache = new Map<string, { SHA1: string; SHA256: string; MD5: string }>();

/** Stable fake SHA1/SHA256/MD5 of a benign file, by name. */
export function digests(img: Pick<Image, 'fileName'>): { SHA1: string; SHA256: string; MD5: string } {
  let d = digestCache.get(img.fileName);
  if (!d) {
    d = { SHA1: fakeDigest(img.fileName, 40), SHA256: fakeDigest(img.fileName, 64), MD5: fakeDigest(img.fileName, 32) };
    digestCache.set(img.fileName, d);
  }
  return d;
}

export const IMAGES = {
  explorer: image('explorer.exe', 'C:\\Windows', 'Microsoft Corporation', 'Windows Explorer'),
  services: image('services.exe', 'C:\\Windows\\System32', 'Microsoft Corporation', 'Services and Controller app'),
  svchost: image('svchost.exe', 'C:\\Windows\\System32', 'Microsoft Corporation', 'Host Process for Windows Services'),
  outlook: image(
    'OUTLOOK.EXE',
    'C:\\Program Files\\Microsoft Office\\root\\Office16',
    'Microsoft Corporation',
    'Microsoft Outlook',
  ),
  powershell: image(
    'powershell.exe',
    'C:\\Windows\\System32\\WindowsPowerShell\\v1.0',
    'Microsoft Corporation',
    'Windows PowerShell',
  ),
  cmd: image('cmd.exe', 'C:\\Windows\\System32', 'Microsoft Corporation', 'Windows Command Processor'),
  msedge: image(
    'msedge.exe',
    'C:\\Program Files (x86)\\Microsoft\\Edge\\Application',
    'Microsoft Corporation',
    'Microsoft Edge',
  ),
  sqlservr: image(
    'sqlservr.exe',
    'C:\\Program Files\\Microsoft SQL Server\\MSSQL16.MSSQLSERVER\\MSSQL\\Binn',
    'Microsoft Corporation',
    'SQL Server Windows NT - 64 Bit',
  ),
  zsh: image('zsh', '/bin', 'Apple Inc.', 'zsh'),
  launchd: image('launchd', '/sbin', 'Apple Inc.', 'launchd'),
};

interface ProcessTemplate {
  image: Image;
  parent: Image;
  commandLine: (rng: SeedRandom, p: DeviceProfile) => string;
  asSystem?: boolean;
}

const WINDOWS_PROCESSES: readonly ProcessTemplate[] = [
  {
    image: IMAGES.svchost,
    parent: IMAGES.services,
    asSystem: true,
    commandLine: (r) =>
      `svchost.exe -k ${r.pick(['netsvcs -p', 'LocalService -p', 'NetworkService', 'DcomLaunch -p'])}`,
  },
  {
    image: image('chrome.exe', 'C:\\Program Files\\Google\\Chrome\\Application', 'Google LLC', 'Google Chrome'),
    parent: IMAGES.explorer,
    commandLine: (r) => `"chrome.exe" --type=renderer --renderer-client-id=${r.int(4, 90)}`,
  },
  {
    image: IMAGES.msedge,
    parent: IMAGES.explorer,
    commandLine: () => '"msedge.exe" --single-argument https://intranet.contoso.com/',
  },
  { image: IMAGES.outlook, parent: IMAGES.explorer, commandLine: () => '"OUTLOOK.EXE" ' },
  {
    image: image('ms-teams.exe', 'C:\\Program Files\\WindowsApps\\MSTeams', 'Microsoft Corporation', 'Microsoft Teams'),
    parent: IMAGES.explorer,
    commandLine: () => '"ms-teams.exe" msteams:system-initiated',
  },
  {
    image: image(
      'WINWORD.EXE',
      'C:\\Program Files\\Microsoft Office\\root\\Office16',
      'Microsoft Corporation',
      'Microsoft Word',
    ),
    parent: IMAGES.explorer,
    commandLine: (r) =>
      `"WINWORD.EXE" /n "C:\\Users\\Documents\\${r.pick(['Q3 report', 'Budget notes', 'Minutes'])}.docx"`,
  },
  {
    image: image(
      'EXCEL.EXE',
      'C:\\Program Files\\Microsoft Office\\root\\Office16',
      'Microsoft Corporation',
      'Microsoft Excel',
    ),
    parent: IMAGES.explorer,
    commandLine: () => '"EXCEL.EXE" /e',
  },
  { image: image('notepad.exe', 'C:\\Windows\\System32'), parent: IMAGES.explorer, commandLine: () => '"notepad.exe"' },
  {
    image: image('OneDrive.exe', 'C:\\Program Files\\Microsoft OneDrive'),
    parent: IMAGES.explorer,
    commandLine: () => '"OneDrive.exe" /background',
  },
  {
    image: image('taskhostw.exe', 'C:\\Windows\\System32'),
    parent: IMAGES.svchost,
    commandLine: () => 'taskhostw.exe',
  },
  {
    image: image('MsMpEng.exe', 'C:\\ProgramData\\Microsoft\\Windows Defender\\Platform\\4.18.24090.11-0'),
    parent: IMAGES.services,
    asSystem: true,
    commandLine: () => '"MsMpEng.exe"',
  },
  {
    image: image('conhost.exe', 'C:\\Windows\\System32'),
    parent: IMAGES.cmd,
    commandLine: () => 'conhost.exe 0xffffffff -ForceV1',
  },
  {
    image: IMAGES.cmd,
    parent: IMAGES.explorer,
    commandLine: (r) => `cmd.exe /c ${r.pick(['dir', 'echo %PATH%', 'ping intranet.contoso.com', 'gpupdate /force'])}`,
  },
];

const SERVER_PROCESSES: readonly ProcessTemplate[] = [
  {
    image: IMAGES.sqlservr,
    parent: IMAGES.services,
    asSystem: true,
    commandLine: () => '"sqlservr.exe" -sMSSQLSERVER',
  },
  {
    image: image('SQLAGENT.EXE', IMAGES.sqlservr.folder),
    parent: IMAGES.services,
    asSystem: true,
    commandLine: () => '"SQLAGENT.EXE" -i MSSQLSERVER',
  },
  {
    image: IMAGES.powershell,
    parent: IMAGES.svchost,
    commandLine: () =>
      'powershell.exe -NoProfile -NonInteractive -File C:\\Scripts\\Invoke-NightlyBackup.ps1 -Target \\\\nas01\\backups',
  },
  {
    image: image('robocopy.exe', 'C:\\Windows\\System32'),
    parent: IMAGES.powershell,
    commandLine: () => 'robocopy.exe D:\\SQLBackups \\\\nas01\\backups\\sql /MIR /R:2',
  },
  { image: IMAGES.svchost, parent: IMAGES.services, asSystem: true, commandLine: () => 'svchost.exe -k netsvcs -p' },
];

const MAC_PROCESSES: readonly ProcessTemplate[] = [
  { image: IMAGES.zsh, parent: IMAGES.launchd, commandLine: () => '-zsh' },
  {
    image: image('git', '/usr/bin', 'Apple Inc.'),
    parent: IMAGES.zsh,
    commandLine: (r) => `git ${r.pick(['status', 'pull --rebase', 'push origin main', 'log --oneline -5'])}`,
  },
  {
    image: image('python3', '/usr/bin', 'Apple Inc.'),
    parent: IMAGES.zsh,
    commandLine: () => 'python3 -m pytest tests/',
  },
  {
    image: image('node', '/usr/local/bin', 'Node.js'),
    parent: IMAGES.zsh,
    commandLine: () => 'node ./node_modules/.bin/tsc -p .',
  },
  {
    image: image('Safari', '/Applications/Safari.app/Contents/MacOS', 'Apple Inc.'),
    parent: IMAGES.launchd,
    commandLine: () => '/Applications/Safari.app/Contents/MacOS/Safari',
  },
  { image: image('ssh', '/usr/bin', 'Apple Inc.'), parent: IMAGES.zsh, commandLine: () => 'ssh build01.contoso.local' },
];

function processesFor(p: DeviceProfile): readonly ProcessTemplate[] {
  if (!p.windows) return MAC_PROCESSES;
  return p.device.os.startsWith('WindowsServer') ? SERVER_PROCESSES : WINDOWS_PROCESSES;
}

/** The initiating-process columns shared by the Device* tables. */
export function initiatingColumns(
  p: DeviceProfile,
  parent: Image,
  commandLine: string,
  created: string,
  pid: number,
  asSystem = false,
): Row {
  const d = digests(parent);
  return {
    InitiatingProcessAccountDomain: asSystem ? 'nt authority' : p.windows ? 'contoso' : '',
    InitiatingProcessAccountName: asSystem ? 'system' : p.user.accountName,
    InitiatingProcessAccountSid: asSystem ? 'S-1-5-18' : sidOf(p),
    InitiatingProcessAccountUpn: asSystem ? '' : p.user.upn,
    InitiatingProcessAccountObjectId: asSystem ? '' : p.user.objectId,
    InitiatingProcessIntegrityLevel: asSystem ? 'System' : 'Medium',
    InitiatingProcessTokenElevation: asSystem ? 'TokenElevationTypeDefault' : 'TokenElevationTypeLimited',
    InitiatingProcessSHA1: d.SHA1,
    InitiatingProcessSHA256: d.SHA256,
    InitiatingProcessMD5: d.MD5,
    InitiatingProcessFileName: parent.fileName,
    InitiatingProcessFileSize: parent.size,
    InitiatingProcessId: pid,
    InitiatingProcessCommandLine: commandLine,
    InitiatingProcessCreationTime: created,
    InitiatingProcessFolderPath: `${parent.folder}${p.windows ? '\\' : '/'}${parent.fileName.toLowerCase()}`,
    InitiatingProcessParentId: pid > 600 ? pid - 512 : 4,
    InitiatingProcessParentFileName: parentOf(p, parent),
    InitiatingProcessParentCreationTime: minutesBefore(created, 1),
  };
}

export function minutesBefore(dt: string, minutes: number): string {
  const { ms, subTicks } = datetimeToParts(dt);
  return datetimeFromParts(ms - minutes * 60_000, subTicks) as string;
}

const makeProcessRow = rowFactory('DeviceProcessEvents');
const makeNetworkRow = rowFactory('DeviceNetworkEvents');
const makeFileRow = rowFactory('DeviceFileEvents');
const makeLogonRow = rowFactory('DeviceLogonEvents');
const makeInfoRow = rowFactory('DeviceInfo');
const makeEmailRow = rowFactory('EmailEvents');
const makeUrlRow = rowFactory('EmailUrlInfo');
const makeIdentityRow = rowFactory('IdentityLogonEvents');
const makeCloudRow = rowFactory('CloudAppEvents');
const makeAlertInfoRow = rowFactory('AlertInfo');
const makeAlertEvidenceRow = rowFactory('AlertEvidence');

/** A DeviceProcessEvents row for `img` started by `parent` on the profile's device. Written as one object literal
 * with every column (no spreads): generateLargeTable() builds 100k of these and wide spread copies are slow. */
export function processRow(
  g: GenContext,
  p: DeviceProfile,
  t: string,
  img: Image,
  parent: Image,
  commandLine: string,
  options: { asSystem?: boolean; values?: Row } = {},
): Row {
  const asSystem = options.asSystem === true;
  const d = digests(img);
  const pd = digests(parent);
  const pid = g.rng.int(700, 15000);
  const parentPid = g.rng.int(600, 9000);
  const domain = asSystem ? 'nt authority' : p.windows ? 'contoso' : '';
  const account = asSystem ? 'system' : p.user.accountName;
  const sid = asSystem ? 'S-1-5-18' : sidOf(p);
  const upn = asSystem ? '' : p.user.upn;
  const objectId = asSystem ? '' : p.user.objectId;
  const integrity = asSystem ? 'System' : 'Medium';
  const elevation = asSystem ? 'TokenElevationTypeDefault' : 'TokenElevationTypeLimited';
  const logonId = asSystem ? 999 : 0x3e7a1 + p.sidSuffix;
  const paths = pathsOf(img, parent, p.windows);
  const { ms, subTicks } = datetimeToParts(t);
  const parentMs = ms - g.rng.int(1, 600) * 60_000;
  const parentCreated = datetimeFromParts(parentMs, subTicks);
  const row: Row = {
    Timestamp: t,
    DeviceId: p.device.deviceId,
    DeviceName: p.device.deviceName,
    ActionType: 'ProcessCreated',
    FileName: img.fileName,
    FolderPath: paths.folderPath,
    SHA1: d.SHA1,
    SHA256: d.SHA256,
    MD5: d.MD5,
    FileSize: img.size,
    ProcessVersionInfoCompanyName: img.company,
    ProcessVersionInfoProductName: img.description,
    ProcessVersionInfoOriginalFileName: img.fileName,
    ProcessVersionInfoFileDescription: img.description,
    ProcessId: pid,
    ProcessCommandLine: commandLine,
    ProcessIntegrityLevel: integrity,
    ProcessTokenElevation: elevation,
    ProcessCreationTime: t,
    AccountDomain: domain,
    AccountName: account,
    AccountSid: sid,
    AccountUpn: upn,
    AccountObjectId: objectId,
    LogonId: logonId,
    InitiatingProcessLogonId: logonId,
    InitiatingProcessAccountDomain: domain,
    InitiatingProcessAccountName: account,
    InitiatingProcessAccountSid: sid,
    InitiatingProcessAccountUpn: upn,
    InitiatingProcessAccountObjectId: objectId,
    InitiatingProcessIntegrityLevel: integrity,
    InitiatingProcessTokenElevation: elevation,
    InitiatingProcessSHA1: pd.SHA1,
    InitiatingProcessSHA256: pd.SHA256,
    InitiatingProcessMD5: pd.MD5,
    InitiatingProcessFileName: parent.fileName,
    InitiatingProcessFileSize: parent.size,
    InitiatingProcessId: parentPid,
    InitiatingProcessCommandLine: paths.parentCommandLine,
    InitiatingProcessCreationTime: parentCreated,
    InitiatingProcessFolderPath: paths.parentFolderPath,
    InitiatingProcessParentId: parentPid > 600 ? parentPid - 512 : 4,
    InitiatingProcessParentFileName: parentOf(p, parent),
    InitiatingProcessParentCreationTime: datetimeFromParts(parentMs - 60_000, subTicks),
    InitiatingProcessSignerType: 'OsVendor',
    InitiatingProcessSignatureStatus: 'Valid',
    ReportId: g.reportIds.take(p.device.deviceId),
    AppGuardContainerId: '',
    AdditionalFields: '{}',
  };
  return makeProcessRow(options.values ? Object.assign(row, options.values) : row);
}

const pathCache = new Map<string, { folderPath: string; parentFolderPath: string; parentCommandLine: string }>();

/** Paths derived from an image pair, cached so 100k generated rows share the strings. */
function pathsOf(img: Image, parent: Image, windows: boolean) {
  const key = `${img.folder}|${img.fileName}|${parent.folder}|${parent.fileName}|${windows}`;
  let paths = pathCache.get(key);
  if (!paths) {
    const separator = windows ? '\\' : '/';
    paths = {
      folderPath: `${img.folder}${separator}${img.fileName}`,
      parentFolderPath: `${parent.folder}${separator}${parent.fileName.toLowerCase()}`,
      parentCommandLine: `"${parent.fileName}"`,
    };
    pathCache.set(key, paths);
  }
  return paths;
}

function parentOf(p: DeviceProfile, parent: Image): string {
  return parent === IMAGES.explorer ? 'userinit.exe' : p.windows ? 'wininit.exe' : 'launchd';
}

const PUBLIC_SERVICES = [
  { url: 'intranet.contoso.com', ip: '10.10.0.20', port: 443, type: 'Private' },
  { url: 'sharepoint.contoso.com', ip: '203.0.113.160', port: 443, type: 'Public' },
  { url: 'mail.contoso.com', ip: '203.0.113.161', port: 443, type: 'Public' },
  { url: 'updates.contoso.com', ip: '203.0.113.170', port: 443, type: 'Public' },
  { url: 'cdn.fabrikam.com', ip: '203.0.113.200', port: 443, type: 'Public' },
  { url: 'teams.contoso.com', ip: '203.0.113.162', port: 443, type: 'Public' },
  { url: '', ip: '10.10.0.10', port: 1433, type: 'Private' },
  { url: 'dc01.contoso.local', ip: '10.10.0.2', port: 389, type: 'Private' },
] as const;

export function networkRow(
  g: GenContext,
  p: DeviceProfile,
  t: string,
  process: Image,
  commandLine: string,
  remote: { ip: string; port: number; url: string; type: string },
  extra: Row = {},
): Row {
  return makeNetworkRow({
    Timestamp: t,
    DeviceId: p.device.deviceId,
    DeviceName: p.device.deviceName,
    ActionType: 'ConnectionSuccess',
    RemoteIP: remote.ip,
    RemotePort: remote.port,
    RemoteUrl: remote.url,
    LocalIP: p.localIp,
    LocalPort: g.rng.int(49152, 65535),
    Protocol: 'Tcp',
    LocalIPType: 'Private',
    RemoteIPType: remote.type,
    ...initiatingColumns(p, process, commandLine, minutesBefore(t, g.rng.int(1, 300)), g.rng.int(700, 15000)),
    ReportId: g.reportIds.take(p.device.deviceId),
    AdditionalFields: '{}',
    ...extra,
  });
}

function benignProcess(g: GenContext): Row {
  const p = g.rng.pick(PROFILES);
  const tpl = g.rng.pick(processesFor(p));
  const t = g.rng.timestamp(g.nowMs, SEED_SPAN_MS, 60_000);
  return processRow(g, p, t, tpl.image, tpl.parent, tpl.commandLine(g.rng, p), { asSystem: tpl.asSystem === true });
}

function benignNetwork(g: GenContext): Row {
  const p = g.rng.pick(PROFILES);
  const t = g.rng.timestamp(g.nowMs, SEED_SPAN_MS, 60_000);
  const remote = g.rng.pick(PUBLIC_SERVICES);
  const tpl = g.rng.pick(processesFor(p));
  const failed = g.rng.chance(0.05);
  return networkRow(
    g,
    p,
    t,
    tpl.image,
    tpl.commandLine(g.rng, p),
    remote,
    failed ? { ActionType: 'ConnectionFailed' } : {},
  );
}

const DOCUMENTS = [
  'Q3 forecast.xlsx',
  'Board minutes.docx',
  'Payroll export.csv',
  'Onboarding checklist.pdf',
  'design-notes.md',
];

export function fileRow(g: GenContext, p: DeviceProfile, t: string, values: Row): Row {
  return makeFileRow({
    Timestamp: t,
    DeviceId: p.device.deviceId,
    DeviceName: p.device.deviceName,
    ActionType: 'FileCreated',
    ...initiatingColumns(
      p,
      IMAGES.explorer,
      '"explorer.exe"',
      minutesBefore(t, g.rng.int(10, 600)),
      g.rng.int(700, 9000),
    ),
    RequestProtocol: 'Local',
    IsAzureInfoProtectionApplied: false,
    ReportId: g.reportIds.take(p.device.deviceId),
    AdditionalFields: '{}',
    ...values,
  });
}

function benignFile(g: GenContext): Row {
  const p = g.rng.pick(PROFILES);
  const name = g.rng.pick(DOCUMENTS);
  const folder = p.windows ? `C:\\Users\\${p.user.accountName}\\Documents` : `/Users/${p.user.accountName}/Documents`;
  return fileRow(g, p, g.rng.timestamp(g.nowMs, SEED_SPAN_MS, 60_000), {
    ActionType: g.rng.pick(['FileCreated', 'FileModified', 'FileModified', 'FileRenamed']),
    FileName: name,
    FolderPath: `${folder}${p.windows ? '\\' : '/'}${name}`,
    ...digests({ fileName: name }),
    FileSize: g.rng.int(10_000, 4_000_000),
  });
}

export function logonRow(g: GenContext, p: DeviceProfile, t: string, values: Row): Row {
  return makeLogonRow({
    Timestamp: t,
    DeviceId: p.device.deviceId,
    DeviceName: p.device.deviceName,
    ActionType: 'LogonSuccess',
    LogonType: 'Interactive',
    AccountDomain: 'contoso',
    AccountName: p.user.accountName,
    AccountSid: sidOf(p),
    Protocol: 'Negotiate',
    IsLocalAdmin: false,
    LogonId: g.rng.int(100_000, 9_999_999),
    RemoteIPType: '',
    ...initiatingColumns(p, IMAGES.services, 'services.exe', minutesBefore(t, 600), 712, true),
    ReportId: g.reportIds.take(p.device.deviceId),
    AdditionalFields: '{}',
    ...values,
  });
}

function benignLogon(g: GenContext): Row {
  const p = g.rng.pick(PROFILES);
  const t = g.rng.timestamp(g.nowMs, SEED_SPAN_MS, 60_000);
  if (p.device.os.startsWith('WindowsServer')) {
    return logonRow(g, p, t, {
      LogonType: 'Network',
      RemoteDeviceName: 'nas01',
      RemoteIP: '10.10.0.30',
      RemoteIPType: 'Private',
      RemotePort: g.rng.int(49152, 65535),
      IsLocalAdmin: true,
    });
  }
  const failed = g.rng.chance(0.08);
  return logonRow(g, p, t, {
    LogonType: g.rng.pick(['Interactive', 'Unlock', 'Interactive', 'CachedInteractive']),
    ActionType: failed ? 'LogonFailed' : 'LogonSuccess',
    FailureReason: failed ? 'InvalidUserNameOrPassword' : '',
  });
}

const OS_FACTS: Record<string, { platform: string; version: string; build: number; arch: string }> = {
  Windows11: { platform: 'Windows11', version: '23H2', build: 22631, arch: '64-bit' },
  Windows10: { platform: 'Windows10', version: '22H2', build: 19045, arch: '64-bit' },
  WindowsServer2022: { platform: 'WindowsServer2022', version: '21H2', build: 20348, arch: '64-bit' },
  macOS: { platform: 'macOS', version: '14.5', build: 23, arch: 'arm64' },
};

export function deviceInfoRow(g: GenContext, p: DeviceProfile, t: string): Row {
  const os = OS_FACTS[p.device.os] ?? { platform: p.device.os, version: '', build: 0, arch: '64-bit' };
  const server = p.device.os.startsWith('WindowsServer');
  return makeInfoRow({
    Timestamp: t,
    DeviceId: p.device.deviceId,
    DeviceName: p.device.deviceName,
    ClientVersion: p.windows ? '10.8760.22621.1045' : '101.24062.0004',
    PublicIP: p.device.publicIp,
    OSArchitecture: os.arch,
    OSPlatform: os.platform,
    OSBuild: os.build,
    IsAzureADJoined: !server,
    JoinType: server ? 'Domain Joined' : 'Hybrid Azure AD Join',
    AadDeviceId: p.device.aadDeviceId ?? '',
    LoggedOnUsers: JSON.stringify([{ UserName: p.user.accountName, DomainName: 'CONTOSO', Sid: sidOf(p) }]),
    OSVersion: os.version,
    MachineGroup: server ? 'Servers' : 'Workstations',
    ReportId: g.reportIds.take(p.device.deviceId),
    OnboardingStatus: 'Onboarded',
    AdditionalFields: '{}',
    DeviceCategory: 'Endpoint',
    DeviceType: server ? 'Server' : 'Workstation',
    Model: p.windows ? 'Latitude 7440' : 'MacBookPro18,3',
    Vendor: p.windows ? 'Dell Inc.' : 'Apple Inc.',
    OSDistribution: p.windows ? 'Windows' : 'macOS',
    IsInternetFacing: server,
    SensorHealthState: 'Active',
    IsExcluded: false,
    ExposureLevel: server ? 'High' : 'Medium',
    AssetValue: server ? 'High' : 'Normal',
    DeviceManualTags: server ? '["Tier0"]' : '[]',
    DeviceDynamicTags: '[]',
    ConnectivityType: 'Streamlined',
  });
}

function benignDeviceInfo(g: GenContext): Row {
  return deviceInfoRow(g, g.rng.pick(PROFILES), g.rng.timestamp(g.nowMs, SEED_SPAN_MS, 60_000));
}

const NEWSLETTERS = [
  {
    from: 'it-support@contoso.com',
    name: 'IT Support',
    subject: 'Scheduled maintenance this weekend',
    direction: 'Intra-org',
  },
  { from: 'hr@contoso.com', name: 'Human Resources', subject: 'Benefits enrollment reminder', direction: 'Intra-org' },
  { from: 'news@fabrikam.com', name: 'Fabrikam News', subject: 'Your weekly industry digest', direction: 'Inbound' },
  { from: 'orders@fabrikam.com', name: 'Fabrikam Orders', subject: 'Order confirmation', direction: 'Inbound' },
  {
    from: 'deals@bulk-offers.example',
    name: 'Great Deals',
    subject: 'Last chance: 80% off',
    direction: 'Inbound',
    spam: true,
  },
] as const;

export function emailRow(g: GenContext, t: string, values: Row): Row {
  return makeEmailRow({
    Timestamp: t,
    InternetMessageId: `<${g.rng.hex(16)}@mail.contoso.com>`,
    EmailDirection: 'Inbound',
    DeliveryAction: 'Delivered',
    DeliveryLocation: 'Inbox/folder',
    LatestDeliveryLocation: 'Inbox/folder',
    LatestDeliveryAction: '',
    ConfidenceLevel: '',
    BulkComplaintLevel: 0,
    AuthenticationDetails: '{"SPF":"pass","DKIM":"pass","DMARC":"pass","CompAuth":"pass"}',
    AttachmentCount: 0,
    UrlCount: 0,
    EmailLanguage: 'en',
    ReportId: g.rng.guid(),
    AdditionalFields: '{}',
    ...values,
  });
}

function benignEmail(g: GenContext): Row {
  const letter = g.rng.pick(NEWSLETTERS);
  const to = g.rng.pick(users);
  const spam = 'spam' in letter && letter.spam;
  return emailRow(g, g.rng.timestamp(g.nowMs, SEED_SPAN_MS, 60_000), {
    NetworkMessageId: g.rng.guid(),
    SenderMailFromAddress: letter.from,
    SenderFromAddress: letter.from,
    SenderDisplayName: letter.name,
    SenderMailFromDomain: letter.from.split('@')[1],
    SenderFromDomain: letter.from.split('@')[1],
    SenderIPv4: letter.direction === 'Intra-org' ? '10.10.0.25' : `203.0.113.${g.rng.int(180, 199)}`,
    RecipientEmailAddress: to.upn,
    RecipientObjectId: to.objectId,
    Subject: letter.subject,
    EmailClusterId: g.rng.int(1_000_000_000, 9_999_999_999),
    EmailDirection: letter.direction,
    DeliveryAction: spam ? 'Junked' : 'Delivered',
    DeliveryLocation: spam ? 'Junk folder' : 'Inbox/folder',
    LatestDeliveryLocation: spam ? 'Junk folder' : 'Inbox/folder',
    ThreatTypes: spam ? 'Spam' : '',
    DetectionMethods: spam ? '{"Spam":["Mixed analysis detection"]}' : '',
    BulkComplaintLevel: spam ? 7 : g.rng.int(0, 3),
    UrlCount: g.rng.int(0, 4),
  });
}

function benignEmailUrl(g: GenContext): Row {
  const domain = g.rng.pick(['intranet.contoso.com', 'www.fabrikam.com', 'news.fabrikam.com', 'bulk-offers.example']);
  return makeUrlRow({
    Timestamp: g.rng.timestamp(g.nowMs, SEED_SPAN_MS, 60_000),
    NetworkMessageId: g.rng.guid(),
    Url: `https://${domain}/${g.rng.pick(['news', 'offers', 'hr/benefits', 'orders'])}/${g.rng.int(100, 999)}`,
    UrlDomain: domain,
    UrlLocation: g.rng.pick(['Body', 'Body', 'Subject']),
    ReportId: g.rng.guid(),
  });
}

export function identityRow(g: GenContext, user: User, t: string, values: Row): Row {
  const p = PROFILES.find((x) => x.user.upn === user.upn);
  return makeIdentityRow({
    Timestamp: t,
    ActionType: 'LogonSuccess',
    Application: 'Microsoft 365',
    LogonType: 'Interactive',
    Protocol: '',
    AccountName: user.accountName,
    AccountDomain: 'contoso.com',
    AccountUpn: user.upn,
    AccountSid: p ? sidOf(p) : '',
    AccountObjectId: user.objectId,
    AccountDisplayName: user.displayName,
    DeviceName: p ? p.device.deviceName : '',
    DeviceType: p ? (p.device.os.startsWith('WindowsServer') ? 'Server' : 'Desktop') : '',
    OSPlatform: p ? p.device.os : '',
    IPAddress: p ? p.device.publicIp : '203.0.113.10',
    Port: 0,
    DestinationPort: 0,
    Location: user.accountName === 'lena.fischer' ? 'DE' : 'US',
    Isp: 'Contoso Telecom',
    ReportId: g.rng.guid(),
    AdditionalFields: { Count: 1, ClientApp: 'Browser' },
    ...values,
  });
}

function benignIdentity(g: GenContext): Row {
  const user = g.rng.pick(users);
  const t = g.rng.timestamp(g.nowMs, SEED_SPAN_MS, 60_000);
  if (user.accountName === 'svc-backup' || g.rng.chance(0.3)) {
    return identityRow(g, user, t, {
      Application: 'Active Directory',
      LogonType: user.accountName === 'svc-backup' ? 'Resource access' : 'Credentials validation',
      Protocol: g.rng.pick(['Kerberos', 'Kerberos', 'NTLM']),
      DestinationDeviceName: 'dc01.contoso.local',
      DestinationIPAddress: '10.10.0.2',
      DestinationPort: 88,
      IPAddress: PROFILES.find((x) => x.user.upn === user.upn)?.localIp ?? '10.10.0.50',
      Location: '',
      Isp: '',
      AdditionalFields: { Count: 1 },
    });
  }
  const failed = g.rng.chance(0.06);
  return identityRow(g, user, t, {
    ActionType: failed ? 'LogonFailed' : 'LogonSuccess',
    FailureReason: failed ? 'InvalidPassword' : '',
    Application: g.rng.pick(['Microsoft 365', 'Office 365 Exchange Online', 'Microsoft Teams']),
  });
}

export const CLOUD_APPS = {
  exchange: { name: 'Microsoft Exchange Online', id: 20893 },
  sharepoint: { name: 'Microsoft SharePoint Online', id: 20892 },
  teams: { name: 'Microsoft Teams', id: 11394 },
} as const;

export function cloudRow(g: GenContext, user: User, t: string, values: Row): Row {
  const p = PROFILES.find((x) => x.user.upn === user.upn);
  return makeCloudRow({
    Timestamp: t,
    ActionType: 'MailItemsAccessed',
    Application: CLOUD_APPS.exchange.name,
    ApplicationId: CLOUD_APPS.exchange.id,
    AppInstanceId: 0,
    AccountObjectId: user.objectId,
    AccountId: user.objectId,
    AccountDisplayName: user.displayName,
    IsAdminOperation: false,
    DeviceType: 'Desktop',
    OSPlatform: p?.windows === false ? 'MacOS' : 'Windows',
    IPAddress: p ? p.device.publicIp : '203.0.113.10',
    IsAnonymousProxy: false,
    CountryCode: user.accountName === 'lena.fischer' ? 'DE' : 'US',
    City: user.accountName === 'lena.fischer' ? 'Munich' : 'Seattle',
    Isp: 'Contoso Telecom',
    UserAgent: 'Microsoft Office/16.0 (Windows NT 10.0; Microsoft Outlook 16.0.17928)',
    ActivityType: 'Basic',
    ActivityObjects: [],
    ObjectType: '',
    ReportId: g.rng.guid(),
    AccountType: 'Regular',
    IsExternalUser: false,
    IsImpersonated: false,
    IPTags: [],
    IPCategory: 'Corporate',
    UserAgentTags: [],
    RawEventData: {},
    AdditionalFields: {},
    LastSeenForUser: {},
    UncommonForUser: [],
    AuditSource: 'Defender for Cloud Apps access control',
    SessionData: {},
    ...values,
  });
}

function benignCloud(g: GenContext): Row {
  const user = g.rng.pick(users.filter((u) => u.accountName !== 'svc-backup'));
  const t = g.rng.timestamp(g.nowMs, SEED_SPAN_MS, 60_000);
  const kind = g.rng.int(0, 3);
  if (kind === 0) {
    const file = g.rng.pick(DOCUMENTS);
    return cloudRow(g, user, t, {
      ActionType: g.rng.pick(['FileAccessed', 'FileModified', 'FileDownloaded']),
      Application: CLOUD_APPS.sharepoint.name,
      ApplicationId: CLOUD_APPS.sharepoint.id,
      ObjectName: `https://contoso.sharepoint.com/sites/finance/Shared Documents/${file}`,
      ObjectType: 'File',
      ActivityObjects: [{ Type: 'File', Name: file }],
      RawEventData: { Operation: 'FileAccessed', Workload: 'SharePoint', SourceFileName: file },
    });
  }
  if (kind === 1) {
    return cloudRow(g, user, t, {
      ActionType: 'MessageSent',
      Application: CLOUD_APPS.teams.name,
      ApplicationId: CLOUD_APPS.teams.id,
      RawEventData: { Operation: 'MessageSent', Workload: 'MicrosoftTeams' },
    });
  }
  return cloudRow(g, user, t, {
    ActionType: g.rng.pick(['MailItemsAccessed', 'Send', 'MailItemsAccessed']),
    RawEventData: { Operation: 'MailItemsAccessed', Workload: 'Exchange', MailAccessType: 'Bind' },
  });
}

function benignAlertInfo(g: GenContext): Row {
  return makeAlertInfoRow({
    Timestamp: g.rng.timestamp(g.nowMs, SEED_SPAN_MS, 60_000),
    AlertId: `da63${g.rng.int(10_000_000, 99_999_999)}${g.rng.int(1_000_000, 9_999_999)}_${g.rng.int(-2_000_000_000, 2_000_000_000)}`,
    Title: g.rng.pick(['Suspicious file download', 'Unusual sign-in activity', 'Potentially unwanted application']),
    Category: g.rng.pick(['SuspiciousActivity', 'InitialAccess', 'Malware']),
    Severity: g.rng.pick(['Low', 'Informational', 'Medium']),
    ServiceSource: 'Microsoft Defender for Endpoint',
    DetectionSource: 'EDR',
    AttackTechniques: '[]',
  });
}

function benignAlertEvidence(g: GenContext): Row {
  const p = g.rng.pick(PROFILES);
  return makeAlertEvidenceRow({
    Timestamp: g.rng.timestamp(g.nowMs, SEED_SPAN_MS, 60_000),
    AlertId: `da63${g.rng.int(10_000_000, 99_999_999)}${g.rng.int(1_000_000, 9_999_999)}_${g.rng.int(-2_000_000_000, 2_000_000_000)}`,
    Title: 'Potentially unwanted application',
    Categories: '["Malware"]',
    AttackTechniques: '[]',
    ServiceSource: 'Microsoft Defender for Endpoint',
    DetectionSource: 'Antivirus',
    EntityType: 'Machine',
    EvidenceRole: 'Impacted',
    DeviceId: p.device.deviceId,
    DeviceName: p.device.deviceName,
    ApplicationId: null,
    AdditionalFields: '{}',
    Severity: 'Low',
  });
}

/** One benign row generator per seed table. */
export const BENIGN_GENERATORS: Record<string, (g: GenContext) => Row> = {
  DeviceProcessEvents: benignProcess,
  DeviceNetworkEvents: benignNetwork,
  DeviceFileEvents: benignFile,
  DeviceLogonEvents: benignLogon,
  DeviceInfo: benignDeviceInfo,
  EmailEvents: benignEmail,
  EmailUrlInfo: benignEmailUrl,
  IdentityLogonEvents: benignIdentity,
  CloudAppEvents: benignCloud,
  AlertInfo: benignAlertInfo,
  AlertEvidence: benignAlertEvidence,
};

export { makeAlertEvidenceRow, makeAlertInfoRow, makeUrlRow };
