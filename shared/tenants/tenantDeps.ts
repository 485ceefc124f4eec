// One token provider, set of API clients, Defender client, limiters and shared quotas per registry tenant, built on
// first use and kept for the process (identity-modes.md §7: authority per customer tenant, quotas per tenant). The
// deployment's own tenant, when its entry matches the root settings, reuses the root clients, so a single-tenant
// deployment builds nothing twice.
import type https from 'node:https';
import { API_TARGETS, apiTargetBaseUrl, apiTargetScope, authorityHostFor, type ApiTarget } from '../clouds';
import { allowanceFor, type AppConfig } from '../config';
import { createAppCredential } from '../credentials/appCredential';
import type { SecretClientLike } from '../credentials/secretProvider';
import { createTokenProvider, type CredentialFactory, type TokenProvider } from '../credentials/tokenProvider';
import { createDefenderClients } from '../defender/createDefenderClient';
import type { DefenderClient } from '../defender/types';
import { createDefenderHttp, type ApiFamily, type DefenderHttp } from '../http/defenderHttp';
import { createRateLimiter, type RateLimiter } from '../http/rateLimiter';
import type { Logger } from '../logger';
import { withSharedQuota } from '../quota/quotaLimiter';
import type { QuotaStore } from '../quota/quotaStore';
import { createSharedQuota, type SharedQuota } from '../quota/sharedQuota';
import { findTenant } from './selectTenants';
import type { TenantEntry } from './registry';

export interface TenantDeps {
  tenant: TenantEntry;
  tokens: TokenProvider;
  apis: Readonly<Record<ApiTarget, DefenderHttp>>;
  /** The incident backend's client (the tenant's `api`). */
  http: DefenderHttp;
  defender: DefenderClient;
  limiters: Record<ApiFamily, RateLimiter>;
  /** The tenant's shared quota per family (absent without storage), keyed by its tenant id. */
  quotas: Partial<Record<ApiFamily, SharedQuota>>;
}

export interface TenantDepsContext {
  config: Readonly<AppConfig>;
  logger: Logger;
  secretClient: SecretClientLike;
  httpsAgent: https.Agent;
  ca: string[] | undefined;
  quotaStore: QuotaStore | undefined;
  /** The root clients, reused for the tenant the root settings describe. */
  root: Omit<TenantDeps, 'tenant'>;
  createCredential?: CredentialFactory;
  quotaRetryStorageAfterMs?: number;
  wrapLimiter?: (limiter: RateLimiter) => RateLimiter;
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
  random?: () => number;
  now?: () => number;
}

const FAMILIES: readonly ApiFamily[] = [
  'hunting',
  'incidents',
  'alerts',
  'indicators',
  'identity',
  'riskyUsers',
  'machineActions',
];

/**
 * @returns `forTenant(key)`: the tenant's clients (built once). @throws {InputError} for an unknown key,
 *   {TenantDisabledError} for a disabled tenant.
 */
export function tenantDepsFactory(ctx: TenantDepsContext): (key: string) => TenantDeps {
  const built = new Map<string, TenantDeps>();
  return (key) => {
    const tenant = findTenant(ctx.config.tenants, key);
    let deps = built.get(tenant.key);
    if (!deps) {
      deps = isRootTenant(ctx.config, tenant) ? { tenant, ...ctx.root } : buildTenant(ctx, tenant);
      built.set(tenant.key, deps);
    }
    return deps;
  };
}

function isRootTenant(config: Readonly<AppConfig>, t: TenantEntry): boolean {
  return (
    t.tenantId.toLowerCase() === config.tenantId.toLowerCase() &&
    t.clientId.toLowerCase() === config.clientId.toLowerCase() &&
    t.clientSecretName === config.clientSecretName &&
    t.api === config.api &&
    t.cloud === config.cloud &&
    t.credentialSource === config.credentialSource
  );
}

/** The tenant's API endpoints: its cloud's, except where a setting moved a host (the sandbox, a proxy). */
function tenantApis(
  config: Readonly<AppConfig>,
  tenant: TenantEntry,
): Record<ApiTarget, { baseUrl: string; scope: string }> {
  const out = {} as Record<ApiTarget, { baseUrl: string; scope: string }>;
  for (const target of API_TARGETS) {
    const configured = config.apis[target];
    const moved = configured.baseUrl !== apiTargetBaseUrl(config.cloud, target);
    out[target] = {
      baseUrl: moved ? configured.baseUrl : apiTargetBaseUrl(tenant.cloud, target),
      scope: tenant.cloud === config.cloud ? configured.scope : apiTargetScope(tenant.cloud, target),
    };
  }
  return out;
}

function buildTenant(ctx: TenantDepsContext, tenant: TenantEntry): TenantDeps {
  const { config, logger } = ctx;
  const endpoints = tenantApis(config, tenant);
  const authorityHost = config.customAuthority ? config.authorityHost : authorityHostFor(tenant.cloud);
  // The tenant's own proof (CREDENTIAL_SOURCE's three kinds): a secret or certificate in the deployment's vault, or
  // the deployment's user-assigned identity as the app's federated credential (a multi-tenant app keeps its
  // credentials in its home tenant; identity-modes.md §7).
  const credential = createAppCredential(config, {
    secretClient: ctx.secretClient,
    ca: ctx.ca,
    ...(ctx.now ? { now: ctx.now } : {}),
    ...(ctx.createCredential ? { createCredential: ctx.createCredential } : {}),
    identity: {
      tenantId: tenant.tenantId,
      clientId: tenant.clientId,
      authorityHost,
      cloud: tenant.cloud,
      credentialSource: tenant.credentialSource,
      clientSecretName: tenant.clientSecretName,
      clientCertificateName: tenant.clientCertificateName,
    },
  });
  const tokens = createTokenProvider({
    tenantId: tenant.tenantId,
    clientId: tenant.clientId,
    authorityHost,
    disableInstanceDiscovery: config.customAuthority,
    scope: endpoints[tenant.api].scope,
    source: credential.source,
    logger,
  });
  const allowance = allowanceFor(config, tenant.tenantId);
  const quotas: Partial<Record<ApiFamily, SharedQuota>> = {};
  const limiters = {} as Record<ApiFamily, RateLimiter>;
  for (const family of FAMILIES) {
    let limiter = createRateLimiter({ name: `${family}@${tenant.key}`, windows: allowance[family] });
    if (ctx.quotaStore) {
      const shared = createSharedQuota({
        key: { tenantId: tenant.tenantId, family },
        allowance: allowance[family],
        store: ctx.quotaStore,
        name: family,
        logger,
        ...(ctx.quotaRetryStorageAfterMs !== undefined ? { retryStorageAfterMs: ctx.quotaRetryStorageAfterMs } : {}),
      });
      quotas[family] = shared;
      limiter = withSharedQuota(limiter, shared);
    }
    limiters[family] = ctx.wrapLimiter ? ctx.wrapLimiter(limiter) : limiter;
  }
  const httpFor = (target: ApiTarget): DefenderHttp =>
    createDefenderHttp({
      baseURL: endpoints[target].baseUrl,
      getToken: () => tokens.getToken(endpoints[target].scope),
      invalidateToken: () => tokens.invalidate(endpoints[target].scope),
      limiters,
      timeoutMs: config.requestTimeoutMs,
      maxRetries: config.backgroundMaxRetries,
      maxRetryAfterMs: config.maxRetryAfterMs,
      logger,
      httpsAgent: ctx.httpsAgent,
      ...(ctx.sleep ? { sleep: ctx.sleep } : {}),
      ...(ctx.random ? { random: ctx.random } : {}),
      ...(ctx.now ? { now: ctx.now } : {}),
    });
  const { apis, http, defender } = createDefenderClients(tenant.api, httpFor, {
    huntingTimeoutMs: config.huntingTimeoutMs,
    logger,
  });
  return { tenant, tokens, apis: Object.freeze(apis), http, defender, limiters, quotas };
}
