// Composition root: every long-lived client is built here once per process and handed down. Handlers call
// getDeps() on first invocation (not at import), so a bad setting never breaks function indexing; tests call
// createDeps() with a config pointing at the sandbox, or with fakes in `overrides`.
import type https from 'node:https';
import type { ApiTarget } from './clouds';
import { getConfig, type AppConfig } from './config';
import { createAppCredential, type AppCredential } from './credentials/appCredential';
import type { ClientAuthProvider } from './credentials/clientAuth';
import { createKeyVaultSecretClient } from './credentials/keyVault';
import { createSecretProvider, type SecretClientLike, type SecretProvider } from './credentials/secretProvider';
import { createTokenProvider, type CredentialFactory, type TokenProvider } from './credentials/tokenProvider';
import { createDefenderClients } from './defender/createDefenderClient';
import type { DefenderClient } from './defender/types';
import { createDefenderHttp, type ApiFamily, type DefenderHttp } from './http/defenderHttp';
import { createRateLimiter, type RateLimiter } from './http/rateLimiter';
import { createHttpsAgent, loadCaBundle } from './http/tls';
import { consoleLogger, type Logger } from './logger';
import { createStorageClients, type StorageRetry } from './automation/storageClients';
import { withSharedQuota } from './quota/quotaLimiter';
import { createTableQuotaStore, type QuotaStore } from './quota/quotaStore';
import { createSharedQuota, type SharedQuota } from './quota/sharedQuota';
import { createNotify, type NotifyServices } from './notify';
import { tenantDepsFactory, type TenantDeps } from './tenants/tenantDeps';
import { createBearerValidator, type BearerValidator, type Caller } from './auth/bearerToken';
import { createOboTokenSource } from './auth/onBehalfOf';
import { delegatedHttp } from './auth/delegatedHttp';

export interface AppDeps {
  config: Readonly<AppConfig>;
  logger: Logger;
  /** The Key Vault secret the credential source reads: the client secret, or the certificate (keyVaultCertificate). */
  secrets: SecretProvider;
  /** How the app proves itself to Entra ID (CREDENTIAL_SOURCE): the source, its health hop, its non-secret names. */
  credential: AppCredential;
  /** The app's proof for OnBehalfOfCredential: client secret, or a client assertion (certificate or federated). */
  clientAuth: ClientAuthProvider;
  /** The managed-identity Key Vault client, also used for webhook secrets. */
  secretClient: SecretClientLike;
  tokens: TokenProvider;
  /** The incident backend's HTTP client (DEFENDER_API): the same object as `apis[config.api]`. */
  http: DefenderHttp;
  /**
   * One HTTP client per API, each with its cloud's host and its own token scope (config.apis): `graph` (always,
   * whatever DEFENDER_API says), `legacy` (Defender XDR) and `mde` (Defender for Endpoint: machine actions). They
   * share the per-family limiters and quotas below.
   */
  apis: Readonly<Record<ApiTarget, DefenderHttp>>;
  defender: DefenderClient;
  /**
   * One per API family and process, shared by every invocation: the per-process limiter, and in front of the API
   * the shared quota when storage is configured (the quota is per tenant, not per call or per instance).
   */
  limiters: Record<ApiFamily, RateLimiter>;
  /** The shared quota per API family (absent without storage): deep health shows its state. */
  quotas: Partial<Record<ApiFamily, SharedQuota>>;
  /** Teams, Jira and ServiceNow clients (shared/notify). */
  notify: NotifyServices;
  /**
   * A registry tenant's own clients (TENANTS; shared/tenants/tenantDeps.ts), built on first use. Without TENANTS
   * the one tenant is 'default', whose clients are the ones above.
   */
  tenant: (key: string) => TenantDeps;
  /** Validates callers' Entra ID bearer tokens (HTTP_AUTH_MODE bearer; shared/auth). */
  bearer: BearerValidator;
  /**
   * The same deps acting on behalf of a validated caller: the API clients get on-behalf-of tokens (delegated
   * permissions, so Defender applies the user's own role); quotas and limiters stay the tenant's.
   */
  forCaller(caller: Caller): AppDeps;
}

export interface DepsOverrides {
  logger?: Logger;
  /** Replaces the managed-identity SecretClient. */
  secretClient?: SecretClientLike;
  /** Replaces ClientSecretCredential. */
  createCredential?: CredentialFactory;
  /** Replaces the app's token provider altogether (the CLI's --user: the analyst's delegated tokens, no secret). */
  tokens?: TokenProvider;
  httpsAgent?: https.Agent;
  /** Replaces the per-process limiter of a family (the shared quota, when there is one, still applies). */
  limiters?: Partial<Record<ApiFamily, RateLimiter>>;
  /** The shared quota's row store; null: no shared quota (per-process limiter only). Default: from the storage settings. */
  quotaStore?: QuotaStore | null;
  /** After a storage failure, how long the shared quota leaves calls to the per-process limiter (default 15 s). */
  quotaRetryStorageAfterMs?: number;
  /** Wraps each family's final limiter (the CLI stops waits on Ctrl-C). */
  wrapLimiter?: (limiter: RateLimiter) => RateLimiter;
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
  random?: () => number;
  now?: () => number;
}

/**
 * @throws {Error} when TLS_CA_FILE cannot be read. Nothing else does I/O here: Key Vault and Entra ID are first
 *   contacted by the first call that needs a token.
 */
export function createDeps(config: Readonly<AppConfig>, overrides: DepsOverrides = {}): AppDeps {
  const logger = overrides.logger ?? consoleLogger;
  const ca = loadCaBundle(config.tlsCaFile);
  const secretClient =
    overrides.secretClient ??
    createKeyVaultSecretClient({
      vaultUrl: config.keyVaultUrl,
      managedIdentityClientId: config.managedIdentityClientId,
      challengeResourceVerification: config.keyVaultChallengeVerification,
      ca,
    });
  const credential = createAppCredential(config, {
    secretClient,
    ca,
    ...(overrides.now ? { now: overrides.now } : {}),
    ...(overrides.createCredential ? { createCredential: overrides.createCredential } : {}),
  });
  // managedIdentityFederation reads no Key Vault secret for Entra ID; `secrets` then names CLIENT_SECRET_NAME, unused.
  const secrets =
    credential.secrets ??
    createSecretProvider({
      secretClient,
      vaultUrl: config.keyVaultUrl,
      secretName: config.clientSecretName,
      ttlMs: config.secretCacheTtlMs,
      ...(overrides.now ? { now: overrides.now } : {}),
    });
  const appTokens = createTokenProvider({
    tenantId: config.tenantId,
    clientId: config.clientId,
    authorityHost: config.authorityHost,
    disableInstanceDiscovery: config.customAuthority,
    scope: config.apiScope,
    source: credential.source,
    logger,
  });
  const tokens = overrides.tokens ?? appTokens;
  const quotaStore = overrides.quotaStore === undefined ? quotaStoreFor(config) : overrides.quotaStore;
  const quotas: Partial<Record<ApiFamily, SharedQuota>> = {};
  const limiterFor = (family: ApiFamily): RateLimiter => {
    const windows = config.rateLimits[family];
    let limiter = overrides.limiters?.[family] ?? createRateLimiter({ name: family, windows });
    if (quotaStore) {
      const shared = createSharedQuota({
        key: { tenantId: config.tenantId, family },
        allowance: windows,
        store: quotaStore,
        name: family,
        logger,
        ...(overrides.quotaRetryStorageAfterMs !== undefined
          ? { retryStorageAfterMs: overrides.quotaRetryStorageAfterMs }
          : {}),
      });
      quotas[family] = shared;
      limiter = withSharedQuota(limiter, shared);
    }
    return overrides.wrapLimiter ? overrides.wrapLimiter(limiter) : limiter;
  };
  const limiters: Record<ApiFamily, RateLimiter> = {
    hunting: limiterFor('hunting'),
    incidents: limiterFor('incidents'),
    alerts: limiterFor('alerts'),
    indicators: limiterFor('indicators'),
    identity: limiterFor('identity'),
    riskyUsers: limiterFor('riskyUsers'),
    machineActions: limiterFor('machineActions'),
  };
  const httpsAgent = overrides.httpsAgent ?? createHttpsAgent(ca);
  const httpFor = (
    target: ApiTarget,
    source: Pick<TokenProvider, 'getToken' | 'invalidate'> = tokens,
  ): DefenderHttp => {
    const { baseUrl, scope } = config.apis[target];
    return createDefenderHttp({
      baseURL: baseUrl,
      getToken: () => source.getToken(scope),
      invalidateToken: () => source.invalidate(scope),
      limiters,
      timeoutMs: config.requestTimeoutMs,
      // Outside an HTTP invocation's budget (functions/lib/retryBudget.ts sets that one): queued and scheduled work.
      maxRetries: config.backgroundMaxRetries,
      maxRetryAfterMs: config.maxRetryAfterMs,
      logger,
      httpsAgent,
      ...(overrides.sleep ? { sleep: overrides.sleep } : {}),
      ...(overrides.random ? { random: overrides.random } : {}),
      ...(overrides.now ? { now: overrides.now } : {}),
    });
  };
  const clientsFor = (make: (target: ApiTarget) => DefenderHttp) =>
    createDefenderClients(config.api, make, { huntingTimeoutMs: config.huntingTimeoutMs, logger });
  const { apis, http, defender } = clientsFor((target) => httpFor(target));
  const bearer = createBearerValidator({
    config: config.callerAuth,
    authorityHost: config.authorityHost,
    homeTenantId: config.tenantId,
    httpsAgent,
  });
  const obo = createOboTokenSource({
    clientId: config.clientId,
    authorityHost: config.authorityHost,
    disableInstanceDiscovery: config.customAuthority,
    // The app's proof for the caller's tenant, whatever CREDENTIAL_SOURCE says (secret, certificate, federation).
    clientAuth: (tenantId) => credential.clientAuth(tenantId),
    credentialOptions: ca ? { tlsOptions: { ca } } : {},
  });
  const tenant = tenantDepsFactory({
    config,
    logger,
    secretClient,
    httpsAgent,
    ca,
    quotaStore: quotaStore ?? undefined,
    root: { tokens, apis, http, defender, limiters, quotas },
    ...(overrides.createCredential ? { createCredential: overrides.createCredential } : {}),
    ...(overrides.quotaRetryStorageAfterMs !== undefined
      ? { quotaRetryStorageAfterMs: overrides.quotaRetryStorageAfterMs }
      : {}),
    ...(overrides.wrapLimiter ? { wrapLimiter: overrides.wrapLimiter } : {}),
    ...(overrides.sleep ? { sleep: overrides.sleep } : {}),
    ...(overrides.random ? { random: overrides.random } : {}),
    ...(overrides.now ? { now: overrides.now } : {}),
  });
  const notify = createNotify(config, {
    secretClient,
    httpsAgent,
    quotaStore: quotaStore ?? undefined,
    logger,
    ...(overrides.sleep ? { sleep: overrides.sleep } : {}),
    ...(overrides.random ? { random: overrides.random } : {}),
    ...(overrides.now ? { now: overrides.now } : {}),
  });
  const deps: AppDeps = {
    config,
    logger,
    secrets,
    credential,
    clientAuth: credential.clientAuth,
    secretClient,
    tokens,
    http,
    apis: Object.freeze(apis),
    defender,
    limiters,
    quotas,
    notify,
    tenant,
    bearer,
    forCaller: (caller) => {
      const user = clientsFor((target) => delegatedHttp(httpFor(target, obo.forCaller(caller)), caller.user));
      return { ...deps, ...user, apis: Object.freeze(user.apis) };
    },
  };
  return deps;
}

/**
 * The quota row's storage: the state storage (AzureWebJobsStorage), answering fast. A call waits for its permit, so
 * a storage outage must cost it seconds, not the SDK's default backoff; then the per-process limiter takes over.
 */
const QUOTA_STORAGE_RETRY: StorageRetry = { maxRetries: 1, retryDelayMs: 100, tryTimeoutMs: 3000 };

function quotaStoreFor(config: Readonly<AppConfig>): QuotaStore | undefined {
  if (!config.storageConnectionString && !config.storageAccountName) return undefined;
  return createTableQuotaStore(createStorageClients(config).withRetry(QUOTA_STORAGE_RETRY).table('RiposteQuota'));
}

let cached: AppDeps | undefined;

/** Memoised per process: the clients, token cache and rate limiters outlive invocations. */
export function getDeps(): AppDeps {
  cached ??= createDeps(getConfig());
  return cached;
}
