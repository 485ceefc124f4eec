// Where webhook secrets come from: Key Vault (preferred) or app settings, each with an optional "previous" secret
// so a sender can be re-keyed without a window of 401s. Values stay in memory; errors name secrets, never values.
import { SecretError } from '../errors';
import type { WebhookSecrets } from './verifyDelivery';
import type { WebhookSource } from './types';

/** Reads a source's secrets (current first); undefined or '' entries are dropped. */
export type WebhookSecretLoader = (source: WebhookSource) => Promise<ReadonlyArray<string | undefined>>;

export interface CreateWebhookSecretsOptions {
  /** How long a loaded list is reused; 0 reloads on every call. Default 5 min, so a rotation shows up quickly. */
  ttlMs?: number;
  now?: () => number;
}

/** Caches each source's secrets for `ttlMs`; concurrent callers share one load; failed loads are not cached. */
export function createWebhookSecrets(
  load: WebhookSecretLoader,
  options: CreateWebhookSecretsOptions = {},
): WebhookSecrets {
  const ttlMs = options.ttlMs ?? 300_000;
  const now = options.now ?? Date.now;
  const cache = new Map<WebhookSource, { at: number; value: Promise<string[]> }>();
  return {
    get(source) {
      const hit = cache.get(source);
      if (hit && now() - hit.at < ttlMs) return hit.value;
      const value = load(source).then((list) => list.filter((s): s is string => typeof s === 'string' && s !== ''));
      cache.set(source, { at: now(), value });
      value.catch(() => cache.delete(source));
      return value;
    },
  };
}

/** App-setting names: `WEBHOOK_SECRET_JIRA` and `WEBHOOK_SECRET_JIRA_PREVIOUS` (likewise SERVICENOW, GENERIC). */
export function webhookSecretSettingNames(source: WebhookSource): [string, string] {
  const base = `WEBHOOK_SECRET_${source.toUpperCase()}`;
  return [base, `${base}_PREVIOUS`];
}

/** Secrets from settings the caller already read (config code owns process.env). */
export function webhookSecretsFromSettings(settings: Readonly<Record<string, string | undefined>>): WebhookSecrets {
  return createWebhookSecrets(async (source) => webhookSecretSettingNames(source).map((n) => settings[n]?.trim()), {
    ttlMs: Number.POSITIVE_INFINITY,
  });
}

/** The part of @azure/keyvault-secrets' SecretClient used here. */
export interface WebhookSecretClient {
  getSecret(name: string): Promise<{ value?: string | undefined }>;
}

/** Key Vault secret names: `webhook-secret-jira` and `webhook-secret-jira-previous` (likewise servicenow, generic). */
export function webhookSecretVaultNames(source: WebhookSource): [string, string] {
  return [`webhook-secret-${source}`, `webhook-secret-${source}-previous`];
}

/**
 * A loader reading the current and previous secret from Key Vault. A missing (404) secret is skipped, since the
 * previous one exists only during rotation; any other failure is a SecretError.
 */
export function keyVaultWebhookSecretLoader(
  client: WebhookSecretClient,
  vaultUrl: string,
  names: (source: WebhookSource) => readonly string[] = webhookSecretVaultNames,
): WebhookSecretLoader {
  return async (source) =>
    Promise.all(
      names(source).map(async (secretName) => {
        try {
          return (await client.getSecret(secretName)).value;
        } catch (e) {
          const status = (e as { statusCode?: unknown }).statusCode;
          if (status === 404) return undefined;
          throw new SecretError(
            `Reading webhook secret '${secretName}' from Key Vault failed${typeof status === 'number' ? ` (${status})` : ''}`,
            { vaultUrl, secretName, ...(typeof status === 'number' ? { status } : {}) },
            { cause: e },
          );
        }
      }),
    );
}
