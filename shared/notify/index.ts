// Notifications and ticket write-back: one set of clients per process, built by the composition root (deps.ts).
import type https from 'node:https';
import type { AppConfig } from '../config';
import type { SecretClientLike } from '../credentials/secretProvider';
import type { Logger } from '../logger';
import type { QuotaStore } from '../quota/quotaStore';
import { createNotifyHttp, type NotifyHttp } from './notifyHttp';
import { createNotifyLimiters, type NotifyLimiters } from './notifyLimits';
import { createNotifySecrets, type NotifySecrets } from './notifySecrets';
import { createTeamsPoster, type TeamsPoster } from './teams';

export interface NotifyServices {
  teams: TeamsPoster;
  http: NotifyHttp;
  secrets: NotifySecrets;
  limiters: NotifyLimiters;
}

export interface CreateNotifyOptions {
  secretClient: SecretClientLike;
  httpsAgent: https.Agent;
  quotaStore: QuotaStore | undefined;
  logger: Logger;
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
  random?: () => number;
  now?: () => number;
}

export function createNotify(config: Readonly<AppConfig>, o: CreateNotifyOptions): NotifyServices {
  const http = createNotifyHttp({
    timeoutMs: config.requestTimeoutMs,
    maxRetries: config.backgroundMaxRetries,
    maxRetryAfterMs: config.maxRetryAfterMs,
    httpsAgent: o.httpsAgent,
    logger: o.logger,
    ...(o.sleep ? { sleep: o.sleep } : {}),
    ...(o.random ? { random: o.random } : {}),
    ...(o.now ? { now: o.now } : {}),
  });
  const secrets = createNotifySecrets({
    secretClient: o.secretClient,
    vaultUrl: config.keyVaultUrl,
    ttlMs: config.secretCacheTtlMs,
  });
  const limiters = createNotifyLimiters({
    allowance: config.notify.allowance,
    store: o.quotaStore,
    tenantId: config.tenantId,
    logger: o.logger,
  });
  const teams = createTeamsPoster({ http, secrets, limiters, defaultSecretName: config.notify.teamsWebhookSecretName });
  return { teams, http, secrets, limiters };
}

export { messageCard, teamsPayload, teamsPayloadProblems, type AdaptiveCard, type TeamsMessage } from './teams';
export type { TeamsPoster, TeamsPostResult } from './teams';
export { NotifyApiError } from './notifyError';
