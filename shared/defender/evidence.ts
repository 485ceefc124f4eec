// Evidence → AlertEvidence: one typed object per alert (and merged per incident) that later steps read, e.g.
// ${steps.alerts.output.evidence.devices[0].mdeDeviceId}. Graph names each item by @odata.type (the evidence resource
// pages under api-reference/v1.0/resources/, see alertTypes.ts); the legacy incidents API lists an alert's devices[]
// (mdatpDeviceId, aadDeviceId…) and entities[] by entityType (defender-api.md §1.3; the docs spell MailBox, the live
// API Mailbox). Tolerant: unknown types are skipped, missing fields are null, blanks never make an entity.
import type {
  AlertEvidence,
  EvidenceDevice,
  EvidenceFile,
  EvidenceIp,
  EvidenceMailbox,
  EvidenceUrl,
  EvidenceUser,
} from './alertTypes';

type Wire = Record<string, unknown>;
const rec = (v: unknown): Wire => (typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Wire) : {});
const s = (v: unknown): string | null =>
  typeof v === 'string' && v.trim() !== '' ? v : typeof v === 'number' ? String(v) : null;
const n = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : null);
const strs = (v: unknown): string[] => (Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : []);
const lower = (v: string | null): string | null => (v === null ? null : v.toLowerCase());
/** Graph and the legacy API spell enum values differently (Suspicious / suspicious): camelCase them alike. */
const camel = (v: string | null): string | null => (v === null ? null : v.charAt(0).toLowerCase() + v.slice(1));

/** Keeps each entity once by its key, filling fields a later sighting knows and the earlier one did not. */
class Keyed<T extends object> {
  private readonly byKey = new Map<string, T>();
  add(key: string | null, item: T): void {
    if (key === null) return;
    const k = key.toLowerCase();
    const seen = this.byKey.get(k);
    if (!seen) {
      this.byKey.set(k, item);
      return;
    }
    const target = seen as Record<string, unknown>;
    for (const [f, v] of Object.entries(item)) {
      const cur = target[f];
      if ((cur === null || (Array.isArray(cur) && cur.length === 0)) && v !== null) target[f] = v;
    }
  }
  values(): T[] {
    return [...this.byKey.values()];
  }
}

class EvidenceBuilder {
  readonly devices = new Keyed<EvidenceDevice>();
  readonly users = new Keyed<EvidenceUser>();
  readonly files = new Keyed<EvidenceFile>();
  readonly ips = new Keyed<EvidenceIp>();
  readonly urls = new Keyed<EvidenceUrl>();
  readonly mailboxes = new Keyed<EvidenceMailbox>();

  device(d: EvidenceDevice): void {
    this.devices.add(d.mdeDeviceId ?? d.deviceDnsName ?? d.azureAdDeviceId, d);
  }
  deviceId(mdeDeviceId: string | null): void {
    if (mdeDeviceId === null) return;
    this.device({
      mdeDeviceId,
      azureAdDeviceId: null,
      deviceDnsName: null,
      osPlatform: null,
      riskScore: null,
      healthStatus: null,
      roles: [],
      verdict: null,
    });
  }
  user(u: EvidenceUser): void {
    const qualified = u.accountName ? `${u.domainName ?? ''}\\${u.accountName}` : null;
    this.users.add(u.objectId ?? u.userPrincipalName ?? u.userSid ?? qualified, u);
  }
  file(f: EvidenceFile): void {
    const path = f.fileName ? `${f.filePath ?? ''}\\${f.fileName}` : null;
    this.files.add(f.sha256 ?? f.sha1 ?? f.md5 ?? path, f);
  }
  ip(ipAddress: string | null, countryLetterCode: string | null, verdict: string | null): void {
    if (ipAddress !== null) this.ips.add(ipAddress, { ipAddress, countryLetterCode, verdict });
  }
  url(url: string | null, verdict: string | null): void {
    if (url !== null) this.urls.add(url, { url, verdict });
  }
  mailbox(m: EvidenceMailbox): void {
    this.mailboxes.add(m.primaryAddress ?? m.userPrincipalName ?? m.objectId, m);
  }
  build(): AlertEvidence {
    return {
      devices: this.devices.values(),
      users: this.users.values(),
      files: this.files.values(),
      ips: this.ips.values(),
      urls: this.urls.values(),
      mailboxes: this.mailboxes.values(),
    };
  }
}

/** security-useraccount.md: accountName, azureAdUserId, displayName, domainName, userPrincipalName, userSid. */
function graphUser(account: Wire, roles: string[], verdict: string | null): EvidenceUser {
  return {
    userPrincipalName: s(account.userPrincipalName),
    objectId: s(account.azureAdUserId),
    accountName: s(account.accountName),
    domainName: s(account.domainName),
    userSid: s(account.userSid),
    displayName: s(account.displayName),
    roles,
    verdict,
  };
}

/** security-filedetails.md; the v1.0 page spells the Authenticode hash sha265Ac, which is not kept. */
function graphFile(
  d: Wire,
  mdeDeviceId: string | null,
  detectionStatus: string | null,
  verdict: string | null,
): EvidenceFile {
  return {
    sha1: lower(s(d.sha1)),
    sha256: lower(s(d.sha256)),
    md5: lower(s(d.md5)),
    fileName: s(d.fileName),
    filePath: s(d.filePath),
    fileSize: n(d.fileSize),
    mdeDeviceId,
    detectionStatus,
    verdict,
  };
}

function addGraphItem(b: EvidenceBuilder, raw: unknown): void {
  const e = rec(raw);
  const type = (s(e['@odata.type']) ?? '').replace(/^#?microsoft\.graph\.security\./, '');
  const verdict = camel(s(e.verdict));
  const roles = strs(e.roles);
  const mde = s(e.mdeDeviceId);
  switch (type) {
    case 'deviceEvidence':
      b.device({
        mdeDeviceId: mde,
        azureAdDeviceId: s(e.azureAdDeviceId),
        deviceDnsName: lower(s(e.deviceDnsName)),
        osPlatform: s(e.osPlatform),
        riskScore: s(e.riskScore),
        healthStatus: s(e.healthStatus),
        roles,
        verdict,
      });
      for (const u of Array.isArray(e.loggedOnUsers) ? e.loggedOnUsers : []) {
        // security-loggedonuser.md: accountName, domainName only.
        const lu = rec(u);
        b.user(graphUser({ accountName: lu.accountName, domainName: lu.domainName }, [], null));
      }
      return;
    case 'userEvidence':
      b.user(graphUser(rec(e.userAccount), roles, verdict));
      return;
    case 'fileEvidence':
      b.file(graphFile(rec(e.fileDetails), mde, s(e.detectionStatus), verdict));
      b.deviceId(mde);
      return;
    case 'processEvidence': {
      const image = rec(e.imageFile);
      if (Object.keys(image).length > 0) b.file(graphFile(image, mde, s(e.detectionStatus), verdict));
      const account = rec(e.userAccount);
      if (s(account.userPrincipalName) ?? s(account.azureAdUserId)) b.user(graphUser(account, [], null));
      b.deviceId(mde);
      return;
    }
    case 'ipEvidence':
      b.ip(s(e.ipAddress), s(e.countryLetterCode), verdict);
      return;
    case 'urlEvidence':
      b.url(s(e.url), verdict);
      return;
    case 'mailboxEvidence': {
      const account = rec(e.userAccount);
      b.mailbox({
        primaryAddress: lower(s(e.primaryAddress)),
        userPrincipalName: s(e.upn) ?? s(account.userPrincipalName),
        displayName: s(e.displayName) ?? s(account.displayName),
        objectId: s(account.azureAdUserId),
        verdict,
      });
      return;
    }
    case 'analyzedMessageEvidence':
      // security-analyzedmessageevidence.md: urls is a string collection; senderIp the sending server.
      for (const u of strs(e.urls)) b.url(u, verdict);
      b.ip(s(e.senderIp), null, verdict);
      return;
    default:
      return;
  }
}

/** A Graph alert's `evidence[]` → AlertEvidence. */
export function graphEvidence(evidence: unknown): AlertEvidence {
  const b = new EvidenceBuilder();
  for (const item of Array.isArray(evidence) ? evidence : []) addGraphItem(b, item);
  return b.build();
}

/** A legacy alert's `devices[]` and `entities[]` → AlertEvidence (same shape as Graph's). */
export function legacyEvidence(devices: unknown, entities: unknown): AlertEvidence {
  const b = new EvidenceBuilder();
  for (const raw of Array.isArray(devices) ? devices : []) {
    const d = rec(raw);
    b.device({
      mdeDeviceId: s(d.mdatpDeviceId),
      azureAdDeviceId: s(d.aadDeviceId),
      deviceDnsName: lower(s(d.deviceDnsName)),
      osPlatform: s(d.osPlatform),
      riskScore: camel(s(d.riskScore)),
      healthStatus: camel(s(d.healthStatus)),
      roles: [],
      verdict: null,
    });
  }
  for (const raw of Array.isArray(entities) ? entities : []) {
    const e = rec(raw);
    const verdict = camel(s(e.verdict));
    const mde = s(e.deviceId);
    switch ((s(e.entityType) ?? '').toLowerCase()) {
      case 'user':
        b.user({
          userPrincipalName: s(e.userPrincipalName),
          objectId: s(e.aadUserId),
          accountName: s(e.accountName),
          domainName: s(e.domainName),
          userSid: s(e.userSid),
          displayName: null,
          roles: [],
          verdict,
        });
        break;
      case 'file':
      case 'process':
        b.file({
          sha1: lower(s(e.sha1)),
          sha256: lower(s(e.sha256)),
          md5: null,
          fileName: s(e.fileName),
          filePath: s(e.filePath),
          fileSize: null,
          mdeDeviceId: mde,
          detectionStatus: null,
          verdict,
        });
        b.deviceId(mde);
        break;
      case 'ip':
        b.ip(s(e.ipAddress), null, verdict);
        break;
      case 'url':
        b.url(s(e.url), verdict);
        break;
      case 'mailbox':
        b.mailbox({
          primaryAddress: lower(s(e.mailboxAddress)),
          userPrincipalName: null,
          displayName: s(e.mailboxDisplayName),
          objectId: s(e.aadUserId),
          verdict,
        });
        break;
      default:
        break;
    }
  }
  return b.build();
}

/** Several alerts' evidence as one (an incident's), each entity once. */
export function mergeEvidence(parts: readonly AlertEvidence[]): AlertEvidence {
  const b = new EvidenceBuilder();
  for (const p of parts) {
    p.devices.forEach((d) => b.device({ ...d, roles: [...d.roles] }));
    p.users.forEach((u) => b.user({ ...u, roles: [...u.roles] }));
    p.files.forEach((f) => b.file({ ...f }));
    p.ips.forEach((i) => b.ip(i.ipAddress, i.countryLetterCode, i.verdict));
    p.urls.forEach((u) => b.url(u.url, u.verdict));
    p.mailboxes.forEach((m) => b.mailbox({ ...m }));
  }
  return b.build();
}

export const emptyEvidence = (): AlertEvidence => ({
  devices: [],
  users: [],
  files: [],
  ips: [],
  urls: [],
  mailboxes: [],
});
