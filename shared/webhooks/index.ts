// Ticketing webhooks (POST /api/webhooks/{source}): verify → parse → enqueue. The HTTP function calls
// verifyDelivery (401 on WebhookAuthError), then parseDelivery (400 on InputError), answers 202 and queues the event.
export {
  WEBHOOK_SOURCES,
  isWebhookSource,
  type GenericMapping,
  type IgnoredDelivery,
  type JiraMapping,
  type RawDelivery,
  type ServiceNowMapping,
  type SourceMapping,
  type TicketEvent,
  type WebhookSource,
} from './types';
export { WEBHOOK_AUTH_REASONS, WebhookAuthError, isWebhookAuthError, type WebhookAuthReason } from './webhookAuthError';
export { verifyDelivery, type VerifyDeliveryOptions, type WebhookSecrets } from './verifyDelivery';
export { parseDelivery, isIgnored } from './parseDelivery';
export { compileMapping, loadMappings } from './loadMappings';
export { signJira, signStandardWebhook, standardWebhookKey, type SignStandardWebhookOptions } from './signDelivery';
export {
  createWebhookSecrets,
  keyVaultWebhookSecretLoader,
  webhookSecretSettingNames,
  webhookSecretVaultNames,
  webhookSecretsFromSettings,
  type CreateWebhookSecretsOptions,
  type WebhookSecretClient,
  type WebhookSecretLoader,
} from './webhookSecrets';
export { RIPOSTE_MARKER } from './commentText';
export { GENERIC_FIELDS } from './parseGeneric';
