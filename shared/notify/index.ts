// Notifications and ticket write-back: one set of clients per process, built by the composition root (deps.ts).
import type https from 'node:https';
import type { AppConfig } from '../config';
import type { SecretClientLike } from '../credentials/secretProvider';
import type { Logger } from '../logger';
import type { QuotaStore } from '../quota/quotaStore';
import { createNotifyHttp, type NotifyHttp } from './notifyHttp';
import { createNotifyLimiters, type NotifyLimiters } from './notifyLimits';
import { createNotifySecrets, type NotifySecrets } from './notifySecrets';
import { createJiraClient, type JiraClient } from './jira';
import { createServiceNowClient, type ServiceNowClient } from './serviceNow';
import { createTeamsPoster, type TeamsPoster } from './teams';

export interface NotifyServices {
  teams: TeamsPoster;
  /** Undefined unless JIRA_BASE_URL is set. */
  jira: JiraClient | undefined;
  /** Undefined unless SERVICENOW_BASE_URL is set. */
  servicenow: ServiceNowClient | undefined;
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
  const { jiraBaseUrl, serviceNowBaseUrl } = config.notify;
  const jira = jiraBaseUrl
    ? createJiraClient({ baseUrl: jiraBaseUrl, secretName: config.notify.jiraSecretName, http, secrets, limiters })
    : undefined;
  const servicenow = serviceNowBaseUrl
    ? createServiceNowClient({
        baseUrl: serviceNowBaseUrl,
        secretName: config.notify.serviceNowSecretName,
        http,
        secrets,
        limiters,
        ...(o.now ? { now: o.now } : {}),
      })
    : undefined;
  return { teams, jira, servicenow, http, secrets, limiters };
}

export { messageCard, teamsPayload, teamsPayloadProblems, type AdaptiveCard, type TeamsMessage } from './teams';
export type { TeamsPoster, TeamsPostResult } from './teams';
export { NotifyApiError } from './notifyError';
export { adfOf, type JiraClient } from './jira';
export type { ServiceNowClient } from './serviceNow';
