// What `npm start` runs with, decided before anything starts, so the banner can say where every value came from.
// Settings are layered as in cli/settings.ts (environment, then local.settings.json, then the sandbox); here: which
// webhook secret each source gets, and which storage npm start uses.
import { randomBytes } from 'node:crypto';
import type { Env } from '../shared/config';
import { WEBHOOK_SOURCES, type WebhookSource } from '../shared/webhooks/types';
import type { LayeredSettings, Source } from '../cli/settings';

export { layer, SANDBOX_CONNECTION, type LayeredSettings, type Source } from '../cli/settings';

export interface WebhookSecretPlan {
  source: WebhookSource;
  setting: string;
  /** Where the secret in effect comes from; 'generated' ones are printed, the others only named. */
  from: Source | 'key vault' | 'missing';
  /** The value to print: only a secret generated for this local run. */
  printable?: string;
}

const settingOf = (source: WebhookSource): string => `WEBHOOK_SECRET_${source.toUpperCase()}`;

/** A Standard Webhooks secret (generic, ServiceNow) or a plain one (Jira), for a local run. */
function generateSecret(source: WebhookSource): string {
  return source === 'jira' ? randomBytes(16).toString('hex') : `whsec_${randomBytes(24).toString('base64')}`;
}

/**
 * Per webhook source, the secret in effect. Sandbox mode fills the unset ones with generated secrets. With a tenant,
 * unset ones come from Key Vault when no WEBHOOK_SECRET_* is set at all; once one is set, Key Vault is not read
 * (shared/automation), so an unset source has none and its deliveries are refused: the banner says so.
 */
export function planWebhookSecrets(
  layered: LayeredSettings,
  sandbox: boolean,
): { plans: WebhookSecretPlan[]; settings: Env } {
  const anySet = Object.keys(layered.values).some((k) => k.startsWith('WEBHOOK_SECRET_'));
  const settings: Env = {};
  const plans = WEBHOOK_SOURCES.map((source): WebhookSecretPlan => {
    const setting = settingOf(source);
    const from = layered.sourceOf(setting);
    if (from) return { source, setting, from };
    if (sandbox) {
      const value = generateSecret(source);
      settings[setting] = value;
      return { source, setting, from: 'generated', printable: value };
    }
    return { source, setting, from: anySet ? 'missing' : 'key vault' };
  });
  return { plans, settings };
}

export type StoragePlan =
  | { kind: 'own-azurite' }
  | { kind: 'development-storage' }
  | { kind: 'given'; from: Source; describe: string }
  | { kind: 'account-name'; from: Source };

/** A connection string's account and endpoint, never its key. */
export function describeConnectionString(cs: string): string {
  const part = (k: string): string | undefined => new RegExp(`(?:^|;)${k}=([^;]+)`, 'i').exec(cs)?.[1];
  const account = part('AccountName');
  const endpoint = part('QueueEndpoint') ?? part('BlobEndpoint') ?? part('TableEndpoint');
  const suffix = part('EndpointSuffix');
  return [account ? `account ${account}` : undefined, endpoint ?? (suffix ? `*.${suffix}` : undefined)]
    .filter(Boolean)
    .join(', ');
}

/**
 * Storage: a connection string that is set is used as it is (no Azurite); `UseDevelopmentStorage=true` means the
 * emulator on its standard ports; unset means npm start runs its own Azurite.
 */
export function planStorage(layered: LayeredSettings): StoragePlan {
  const cs = layered.values.AzureWebJobsStorage;
  if (cs !== undefined) {
    if (/^\s*UseDevelopmentStorage=true\s*;?\s*$/i.test(cs)) return { kind: 'development-storage' };
    return {
      kind: 'given',
      from: layered.sourceOf('AzureWebJobsStorage') ?? 'environment',
      describe: describeConnectionString(cs),
    };
  }
  if (layered.values.AzureWebJobsStorage__accountName !== undefined)
    return { kind: 'account-name', from: layered.sourceOf('AzureWebJobsStorage__accountName') ?? 'environment' };
  return { kind: 'own-azurite' };
}
