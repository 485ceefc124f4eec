// The tenant registry (TENANTS): which customer tenants one deployment acts in, each with its own app identity,
// API, cloud and on/off switch (identity-modes.md §7: one multi-tenant app registration, admin consent per tenant).
// Absent, the registry is the one tenant of TENANT_ID/CLIENT_ID: a single-tenant deployment sets nothing new.
import { CLOUDS, type Cloud } from '../clouds';
import type { ApiBackend } from '../defender/types';

import { CREDENTIAL_SOURCES, type CredentialSourceKind } from '../credentials/credentialSource';
import { parseTenantQuota, type TenantQuota } from '../quota/tenantQuota';

/** How the app proves itself to Entra ID in that tenant (CREDENTIAL_SOURCE's values). */
export type CredentialSource = CredentialSourceKind;

export interface TenantEntry {
  /** Short name used in workflows (`tenants:`), mappings, the CLI (`--tenant`), HTTP (`?tenant=`) and state keys. */
  key: string;
  tenantId: string;
  clientId: string;
  credentialSource: CredentialSource;
  /** The Key Vault secret (in the deployment's own vault) with the app's client secret for this tenant. */
  clientSecretName: string;
  /** keyVaultCertificate: the Key Vault certificate (in the deployment's own vault) the app proves itself with. */
  clientCertificateName?: string;
  api: ApiBackend;
  cloud: Cloud;
  enabled: boolean;
  /** The tenant's own allowance where it differs from the QUOTA_* settings (as a QUOTA_PER_TENANT entry). */
  quota?: Readonly<Partial<TenantQuota>>;
  /**
   * The prefix of this tenant's state partition ('' for the deployment's own tenant, TENANT_ID, so its windows,
   * write records and idempotency keys stay where a single-tenant deployment has always kept them).
   */
  partition: string;
}

export interface TenantRegistry {
  /** True when TENANTS is set (several tenants); false: the single tenant of TENANT_ID. */
  explicit: boolean;
  tenants: readonly TenantEntry[];
}

/** The key the single tenant of TENANT_ID has when there is no TENANTS setting. */
export const DEFAULT_TENANT_KEY = 'default';

const KEY = /^[a-z][a-z0-9-]{0,31}$/;
const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const SECRET_NAME = /^[0-9a-zA-Z-]{1,127}$/;
const FIELDS = [
  'key',
  'tenantId',
  'clientId',
  'credentialSource',
  'clientSecretName',
  'clientCertificateName',
  'api',
  'cloud',
  'quota',
  'enabled',
];

export interface RegistryDefaults {
  tenantId: string;
  clientId: string;
  clientSecretName: string;
  api: ApiBackend;
  cloud: Cloud;
  /** CREDENTIAL_SOURCE. */
  credentialSource: CredentialSource;
  /** CLIENT_CERTIFICATE_NAME, when set: the default for a keyVaultCertificate tenant. */
  clientCertificateName?: string | undefined;
  /** MANAGED_IDENTITY_CLIENT_ID is set: a managedIdentityFederation tenant needs that user-assigned identity. */
  hasUserAssignedIdentity?: boolean;
}

/**
 * TENANTS: a JSON array of `{ key, tenantId, clientId?, credentialSource?, clientSecretName?,
 * clientCertificateName?, api?, cloud?, quota?, enabled? }`; what an entry leaves out comes from CLIENT_ID, CLIENT_SECRET_NAME, DEFENDER_API and DEFENDER_CLOUD.
 * Problems name the entry (its key, else its index) and the field, never a value beyond the key.
 */
export function parseTenantRegistry(
  raw: string | undefined,
  defaults: RegistryDefaults,
  problems: string[],
): TenantRegistry {
  if (raw === undefined) {
    // The deployment's own tenant keeps its root settings; the certificate is CLIENT_CERTIFICATE_NAME's, read there.
    const { clientCertificateName: _certificate, hasUserAssignedIdentity: _identity, ...own } = defaults;
    return {
      explicit: false,
      tenants: [
        Object.freeze({
          key: DEFAULT_TENANT_KEY,
          ...own,
          enabled: true,
          partition: '',
        }),
      ],
    };
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    problems.push('TENANTS must be JSON: an array of tenants ({"key", "tenantId", ...})');
    return { explicit: true, tenants: [] };
  }
  if (!Array.isArray(parsed) || parsed.length === 0) {
    problems.push('TENANTS must be a non-empty array of tenants ({"key", "tenantId", ...})');
    return { explicit: true, tenants: [] };
  }
  const tenants: TenantEntry[] = [];
  const seenKeys = new Set<string>();
  const seenIds = new Set<string>();
  parsed.forEach((item: unknown, index) => {
    if (!item || typeof item !== 'object' || Array.isArray(item)) {
      problems.push(`TENANTS[${index}] must be an object`);
      return;
    }
    const o = item as Record<string, unknown>;
    const name = typeof o.key === 'string' && KEY.test(o.key) ? `TENANTS[${o.key}]` : `TENANTS[${index}]`;
    const before = problems.length;
    for (const field of Object.keys(o))
      if (!FIELDS.includes(field))
        problems.push(`${name}: unknown field ${JSON.stringify(field)} (known: ${FIELDS.join(', ')})`);
    const str = (field: string): string | undefined => {
      const v = o[field];
      if (v === undefined) return undefined;
      if (typeof v !== 'string' || !v.trim()) {
        problems.push(`${name}.${field} must be a non-empty string`);
        return undefined;
      }
      return v.trim();
    };
    const key = str('key');
    if (key === undefined && o.key === undefined) problems.push(`${name}.key is required`);
    else if (key !== undefined && !KEY.test(key))
      problems.push(`${name}.key must be 1-32 lower-case letters, digits or dashes, starting with a letter`);
    else if (key !== undefined && seenKeys.has(key)) problems.push(`${name}.key is used by another tenant`);
    const tenantId = str('tenantId');
    if (tenantId === undefined && o.tenantId === undefined) problems.push(`${name}.tenantId is required`);
    else if (tenantId !== undefined && !GUID.test(tenantId)) problems.push(`${name}.tenantId must be a GUID`);
    else if (tenantId !== undefined && seenIds.has(tenantId.toLowerCase()))
      problems.push(`${name}.tenantId is listed by another tenant`);
    const clientId = str('clientId') ?? defaults.clientId;
    if (!GUID.test(clientId)) problems.push(`${name}.clientId must be a GUID`);
    const credentialSource = str('credentialSource') ?? defaults.credentialSource;
    if (!(CREDENTIAL_SOURCES as readonly string[]).includes(credentialSource))
      problems.push(`${name}.credentialSource must be one of: ${CREDENTIAL_SOURCES.join(', ')}`);
    const clientSecretName = str('clientSecretName') ?? defaults.clientSecretName;
    // Only a secret-based tenant names a secret (a certificate or federated deployment may have none).
    if ((credentialSource === 'keyVaultSecret' || clientSecretName) && !SECRET_NAME.test(clientSecretName))
      problems.push(`${name}.clientSecretName must be 1-127 letters, digits or dashes (a Key Vault secret name)`);
    const clientCertificateName =
      credentialSource === 'keyVaultCertificate'
        ? (str('clientCertificateName') ?? defaults.clientCertificateName)
        : str('clientCertificateName');
    if (credentialSource === 'keyVaultCertificate' && clientCertificateName === undefined)
      problems.push(
        `${name}.clientCertificateName is required with credentialSource keyVaultCertificate (or set CLIENT_CERTIFICATE_NAME)`,
      );
    else if (clientCertificateName !== undefined && !SECRET_NAME.test(clientCertificateName))
      problems.push(
        `${name}.clientCertificateName must be 1-127 letters, digits or dashes (a Key Vault certificate name)`,
      );
    // Only a user-assigned identity can be a federated credential of an app registration (identity-modes.md §2.1).
    if (credentialSource === 'managedIdentityFederation' && !defaults.hasUserAssignedIdentity)
      problems.push(
        `${name}.credentialSource managedIdentityFederation needs MANAGED_IDENTITY_CLIENT_ID (the user-assigned identity the app registration trusts)`,
      );
    const api = (str('api') ?? defaults.api).toLowerCase();
    if (api !== 'graph' && api !== 'legacy') problems.push(`${name}.api must be one of: graph, legacy`);
    const cloud = (str('cloud') ?? defaults.cloud).toLowerCase();
    if (!(CLOUDS as readonly string[]).includes(cloud))
      problems.push(`${name}.cloud must be one of: ${CLOUDS.join(', ')}`);
    const quota = o.quota === undefined ? undefined : parseTenantQuota(`${name}.quota`, o.quota, problems);
    if (o.enabled !== undefined && typeof o.enabled !== 'boolean')
      problems.push(`${name}.enabled must be true or false`);
    if (problems.length > before || key === undefined || tenantId === undefined) return;
    seenKeys.add(key);
    seenIds.add(tenantId.toLowerCase());
    tenants.push(
      Object.freeze({
        key,
        tenantId,
        clientId,
        credentialSource: credentialSource as CredentialSource,
        clientSecretName,
        ...(credentialSource === 'keyVaultCertificate' && clientCertificateName ? { clientCertificateName } : {}),
        api: api as ApiBackend,
        cloud: cloud as Cloud,
        enabled: o.enabled !== false,
        ...(quota ? { quota: Object.freeze(quota) } : {}),
        partition: tenantId.toLowerCase() === defaults.tenantId.toLowerCase() ? '' : key,
      }),
    );
  });
  return { explicit: true, tenants: Object.freeze(tenants) };
}
