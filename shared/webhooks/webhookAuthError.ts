// The one error a delivery that fails authentication produces. The function edge answers 401 (not retried by
// Jira, Logic Apps or Standard Webhooks senders). Messages name headers and reasons, never a secret or the
// signature we expected.
import { AppError } from '../errors';

export const WEBHOOK_AUTH_REASONS = [
  'missing-signature',
  'malformed-signature',
  'bad-signature',
  'stale-timestamp',
  'unknown-source',
] as const;
export type WebhookAuthReason = (typeof WEBHOOK_AUTH_REASONS)[number];

/** A delivery failed authentication. `code` is AUTH_FAILED; answer `status` (401), not the 502 used for Entra failures. */
export class WebhookAuthError extends AppError {
  readonly reason: WebhookAuthReason;
  readonly status = 401;
  constructor(reason: WebhookAuthReason, message: string) {
    super('AUTH_FAILED', message);
    this.reason = reason;
  }
}

export function isWebhookAuthError(e: unknown): e is WebhookAuthError {
  return e instanceof WebhookAuthError;
}
