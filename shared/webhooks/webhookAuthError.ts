// The one error a delivery that fails authentication produces. The function edge answers 401 (not retried by
// Jira, Logic Apps or Standard Webhooks senders). Messages name headers and reasons, never a secret or the
// signature we expected.
import { AppError } from '../errors';

/** Why a delivery was refused; tests and logs match on these, never on message text. */
export const WEBHOOK_AUTH_REASONS = [
  'missing-signature',
  'malformed-signature',
  'bad-signature',
  'stale-timestamp',
  'unknown-source',
] as const;
export type WebhookAuthReason = (typeof WEBHOOK_AUTH_REASONS)[number];

/** A delivery failed authentication: code UNAUTHENTICATED, answered 401 (AUTH_FAILED is Entra refusing *us*: 502). */
export class WebhookAuthError extends AppError {
  readonly reason: WebhookAuthReason;
  readonly status = 401;
  constructor(reason: WebhookAuthReason, message: string) {
    super('UNAUTHENTICATED', message);
    this.reason = reason;
  }
}

/** Guard for the function edge: answer 401. */
export function isWebhookAuthError(e: unknown): e is WebhookAuthError {
  return e instanceof WebhookAuthError;
}
