// Composition root: every long-lived client is built here once per process and handed down. Handlers call
// getDeps() on first invocation (not at import), so a bad setting never breaks function indexing; tests call
// createDeps() with a config pointing at the sandbox, or with fakes in `overrides`.
import type https from 'node:https';
import { getConfig, type AppConfig } from './config';
import { createKeyVaultSecretClient } from './credentials/keyVault';
import { createSecretProvider, type SecretClientLike, type SecretProvider } from './credentials/secretProvider';
import { createTokenProvider, type CredentialFactory, type TokenProvider } from './credentials/tokenProvider';
import { createDefenderClient } from './defender/createDefenderClient';
import type { DefenderClient } from './defender/types';
import { createDefenderHttp, type ApiFamily, type DefenderHttp } from './http/defenderHttp';
import { createRateLimiter, type RateLimiter } from './http/rateLimiter';
import { createHttpsAgent, loadCaBundle } from './http/tls';
import { consoleLogger, type Logger } from './logger';

export interface AppDeps {
  config: Readonly<AppConfig>;
  logger: Logger;
  secrets: SecretProvider;
  /** The managed-identity Key Vault client, also used for webhook secrets. */
  secretClient: SecretClientLike;
  tokens: TokenProvider;
  http: DefenderHttp;
  defender: DefenderClient;
  /** One per API family and process, shared by every invocation (the quota is per tenant, not per call). */
  limiters: Record<ApiFamily, RateLimiter>;
}

export interface DepsOverrides {
  logger?: Logger;
  /** Replaces the managed-identity SecretClient. */
  secretClient?: SecretClientLike;
  /** Replaces ClientSecretCredential. */
  createCredential?: CredentialFactory;
  httpsAgent?: https.Agent;
  limiters?: Partial<Record<ApiFamily, RateLimiter>>;
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
  const secrets = createSecretProvider({
    secretClient,
    vaultUrl: config.keyVaultUrl,
    secretName: config.clientSecretName,
    ttlMs: config.secretCacheTtlMs,
    ...(overrides.now ? { now: overrides.now } : {}),
  });
  const tokens = createTokenProvider({
    tenantId: config.tenantId,
    clientId: config.clientId,
    authorityHost: config.authorityHost,
    // Instance discovery asks login.microsoftonline.com about the authority: wrong for the sandbox or a private one.
    disableInstanceDiscovery: config.customAuthority,
    scope: config.apiScope,
    secrets,
    credentialOptions: ca ? { tlsOptions: { ca } } : {},
    logger,
    ...(overrides.createCredential ? { createCredential: overrides.createCredential } : {}),
  });
  const limiters: Record<ApiFamily, RateLimiter> = {
    hunting: overrides.limiters?.hunting ?? createRateLimiter({ name: 'hunting', windows: config.rateLimits.hunting }),
    incidents:
      overrides.limiters?.incidents ?? createRateLimiter({ name: 'incidents', windows: config.rateLimits.incidents }),
  };
  const http = createDefenderHttp({
    baseURL: config.apiBaseUrl,
    getToken: () => tokens.getToken(),
    invalidateToken: () => tokens.invalidate(),
    limiters,
    timeoutMs: config.requestTimeoutMs,
    // Outside an HTTP invocation's budget (functions/lib/retryBudget.ts sets that one): queued and scheduled work.
    maxRetries: config.backgroundMaxRetries,
    maxRetryAfterMs: config.maxRetryAfterMs,
    logger,
    httpsAgent: overrides.httpsAgent ?? createHttpsAgent(ca),
    ...(overrides.sleep ? { sleep: overrides.sleep } : {}),
    ...(overrides.random ? { random: overrides.random } : {}),
    ...(overrides.now ? { now: overrides.now } : {}),
  });
  const defender = createDefenderClient({
    backend: config.api,
    http,
    huntingTimeoutMs: config.huntingTimeoutMs,
    logger,
  });
  return { config, logger, secrets, secretClient, tokens, http, defender, limiters };
}

let cached: AppDeps | undefined;

/** Memoised per process: the clients, token cache and rate limiters outlive invocations. */
export function getDeps(): AppDeps {
  cached ??= createDeps(getConfig());
  return cached;
}
