// MDE indicators (response-actions.md §3) as Riposte's steps see them, and the checks a value must pass before it is
// sent. Sources (MicrosoftDocs/defender-docs, defender-endpoint/): api/ti-indicator.md (entity, enums),
// api/post-ti-indicator.md (body fields, "CIDR notation for IPs isn't supported", Audit needs generateAlert),
// indicators-overview.md (IPv4 dotted quad, IPv6 with every segment, no wildcards or ranges; a domain covers its
// subdomains), api/common-errors.md (InvalidHashValue, InvalidDomainName, InvalidIpAddress, InvalidUrl).
import { isIP } from 'node:net';
import { InputError } from '../errors';

/** ti-indicator.md indicatorType. */
export const INDICATOR_TYPES = [
  'FileSha1',
  'FileSha256',
  'FileMd5',
  'CertificateThumbprint',
  'IpAddress',
  'DomainName',
  'Url',
] as const;
export type IndicatorType = (typeof INDICATOR_TYPES)[number];

/**
 * post-ti-indicator.md action. indicators-overview.md names Allowed, Audit, Block, BlockAndRemediate and Warn as what
 * the service supports today; Alert and AlertAndBlock were "supported until January 2022" (whether still accepted is
 * UNCONFIRMED, response-actions.md §8.5): they stay accepted, as the API reference still lists them.
 */
export const INDICATOR_ACTIONS = [
  'Allowed',
  'Audit',
  'Warn',
  'Block',
  'BlockAndRemediate',
  'Alert',
  'AlertAndBlock',
] as const;
export type IndicatorAction = (typeof INDICATOR_ACTIONS)[number];

/**
 * Actions that stop users or files (Warn interrupts the user, who may bypass it): such a submit is destructive and
 * runs only after approval.
 */
export const BLOCKING_ACTIONS: ReadonlySet<IndicatorAction> = new Set([
  'Block',
  'BlockAndRemediate',
  'AlertAndBlock',
  'Warn',
]);

/** post-ti-indicator.md severity. */
export const INDICATOR_SEVERITIES = ['Informational', 'Low', 'Medium', 'High'] as const;
export type IndicatorSeverity = (typeof INDICATOR_SEVERITIES)[number];

/** What POST /api/indicators takes (post-ti-indicator.md's body table; names are case-sensitive). */
export interface IndicatorSubmission {
  indicatorValue: string;
  indicatorType: IndicatorType;
  action: IndicatorAction;
  title: string;
  description: string;
  expirationTime?: string;
  severity?: IndicatorSeverity;
  recommendedActions?: string;
  generateAlert?: boolean;
}

/** An indicator as the API answers (ti-indicator.md); the fields Riposte reads. */
export interface Indicator extends IndicatorSubmission {
  id: string;
  createdBy?: string;
  creationTimeDateTimeUtc?: string;
  lastUpdateTime?: string;
}

const HASH_LENGTHS: Partial<Record<IndicatorType, number>> = {
  FileMd5: 32,
  FileSha1: 40,
  FileSha256: 64,
  // A certificate thumbprint is the certificate's SHA-1 (indicators-overview: "certificates ... thumbprint").
  CertificateThumbprint: 40,
};

/** A DNS label: letters, digits and inner dashes (punycode included), at most 63 characters. */
const LABEL = /^(?!-)[a-z0-9-]{1,63}(?<!-)$/;

function isDomain(v: string): boolean {
  if (v.length > 253) return false;
  const labels = v.replace(/\.$/, '').split('.');
  // A top-level label of digits only would be an IPv4-looking value, never a domain.
  return labels.length >= 2 && labels.every((l) => LABEL.test(l)) && !/^\d+$/.test(labels[labels.length - 1] ?? '');
}

/** IPv6 in full form (eight segments), as indicators-overview.md asks; `::` compression is expanded. */
function fullIpv6(v: string): string {
  const [head = '', tail] = v.split('::');
  const h = head === '' ? [] : head.split(':');
  const t = tail === undefined || tail === '' ? [] : tail.split(':');
  const missing = tail === undefined ? 0 : 8 - h.length - t.length;
  return [...h, ...Array.from({ length: missing }, () => '0'), ...t]
    .map((s) => s.replace(/^0+(?=.)/, '').toLowerCase())
    .join(':');
}

/** A URL has a scheme or a path: a bare host is a domain or an IP address, never both a domain and a URL. */
function isUrl(v: string): boolean {
  if (/\s/.test(v) || /[*]/.test(v)) return false;
  const hasScheme = /^[a-z][a-z0-9+.-]*:\/\//i.test(v);
  if (!hasScheme && !v.includes('/')) return false;
  const withScheme = hasScheme ? v : `http://${v}`;
  let u: URL;
  try {
    u = new URL(withScheme);
  } catch {
    return false;
  }
  if (!/^(https?|ftp):$/.test(u.protocol)) return false;
  const host = u.hostname.replace(/^\[|\]$/g, '');
  return isDomain(host) || isIP(host) !== 0;
}

const CODE_FOR: Record<IndicatorType, string> = {
  FileSha1: 'InvalidHashValue',
  FileSha256: 'InvalidHashValue',
  FileMd5: 'InvalidHashValue',
  CertificateThumbprint: 'InvalidHashValue',
  IpAddress: 'InvalidIpAddress',
  DomainName: 'InvalidDomainName',
  Url: 'InvalidUrl',
};

/**
 * The value as it is sent and compared: trimmed; hashes, domains and IPv6 in lower case (their case carries no
 * meaning); a URL as written (its path may be case-sensitive).
 * @returns undefined when `value` is not a valid `type` value.
 */
export function normaliseIndicatorValue(type: IndicatorType, value: string): string | undefined {
  const v = value.trim();
  const hashLength = HASH_LENGTHS[type];
  if (hashLength !== undefined)
    return new RegExp(`^[0-9a-f]{${hashLength}}$`, 'i').test(v) ? v.toLowerCase() : undefined;
  if (type === 'IpAddress') {
    if (isIP(v) === 4) return v;
    if (isIP(v) === 6) return fullIpv6(v);
    return undefined;
  }
  if (type === 'DomainName') return isDomain(v.toLowerCase()) ? v.toLowerCase().replace(/\.$/, '') : undefined;
  return isUrl(v) ? v : undefined;
}

/** The types whose syntax `value` has (a certificate thumbprint looks like a SHA-1: both are 40 hex digits). */
export function candidateTypes(value: string): IndicatorType[] {
  return INDICATOR_TYPES.filter((t) => normaliseIndicatorValue(t, value) !== undefined);
}

/**
 * Checks `value` against `type`, or infers the type when none is given.
 * @throws {InputError} naming `field` (or `typeField` when the type cannot be inferred): CIDR and ranges refused,
 *   a value of no known shape, a value two types could mean (40 hex digits: FileSha1 or CertificateThumbprint).
 */
export function indicatorOf(
  value: unknown,
  type: IndicatorType | undefined,
  field = 'value',
  typeField = 'indicatorType',
): { type: IndicatorType; value: string } {
  if (typeof value !== 'string' || value.trim() === '')
    throw new InputError(field, `${field} must be a non-empty string (a file hash, IP address, domain or URL)`);
  const v = value.trim();
  if (/^[0-9a-f.:]+\/\d{1,3}$/i.test(v))
    throw new InputError(field, `${field} '${v}' is a CIDR range: indicators take single addresses only`);
  if (/[*]/.test(v) || /^\d{1,3}(\.\d{1,3}){3}\s*-/.test(v))
    throw new InputError(field, `${field} '${v}' has a wildcard or range: indicators take exact values only`);
  if (type !== undefined) {
    const normal = normaliseIndicatorValue(type, v);
    if (normal === undefined)
      throw new InputError(field, `${field} '${v.slice(0, 100)}' is not a valid ${type} (${CODE_FOR[type]})`);
    return { type, value: normal };
  }
  const found = candidateTypes(v);
  if (found.length === 1 && found[0] !== undefined)
    return { type: found[0], value: normaliseIndicatorValue(found[0], v) as string };
  if (found.length > 1)
    throw new InputError(
      typeField,
      `${field} '${v.slice(0, 100)}' could be ${found.join(' or ')}: set ${typeField} to say which`,
    );
  throw new InputError(
    field,
    `${field} '${v.slice(0, 100)}' is not a file hash (MD5, SHA-1, SHA-256), IP address, domain or URL`,
  );
}

/** The write guard's target for an indicator: "indicator:<type>:<value>". */
export const indicatorTarget = (type: IndicatorType, value: string): string => `indicator:${type}:${value}`;
