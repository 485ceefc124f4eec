// The one status-code contract for every HTTP answer Riposte gives, whether an error was thrown at the edge or a
// workflow run ended in a report. Callers act on the status: Logic Apps retries 408, 429 and every 5xx (four times
// by default, honouring Retry-After), so a 5xx must mean "trying again may work" and a 4xx "fix the request".
// - the caller's fault → 4xx naming the field (400), unknown thing (404), idempotency misuse (409/422), a body too
//   large (413) or not JSON (415);
// - the Defender API refused what we sent (its 400/409/422) → 422 carrying its message and request id;
// - anything down or out of retry budget (Key Vault, Entra, the API, storage, 429/5xx) → 503 with Retry-After;
// - our own deployment refused upstream (Entra rejects the app's credentials, the API answers 401/403) → 502;
// - invalid settings → 500.
// Sources: Logic Apps retry policy (MicrosoftDocs/azure-docs articles/logic-apps/error-exception-handling.md),
// draft-ietf-httpapi-idempotency-key-header-06 §2.7 (409 in flight, 422 payload mismatch).

/** What an outcome needs to be mapped: its code, and for upstream failures the status the upstream answered. */
export interface OutcomeForStatus {
  code: string;
  /** The HTTP status the upstream (Defender API, Key Vault, Entra) answered, when one did. */
  upstreamStatus?: number | undefined;
  /** How long the upstream (or our own lease) asked us to wait. */
  retryAfterMs?: number | undefined;
}

export interface HttpStatusDecision {
  status: number;
  /** Seconds for the Retry-After header; set on every 409, 429 and 503. */
  retryAfterSeconds?: number;
}

/** Retry-After when nobody said how long: long enough for a lease or a brief outage to pass. */
export const DEFAULT_RETRY_AFTER_SECONDS = 30;

const retryAfter = (o: OutcomeForStatus, fallbackSeconds = DEFAULT_RETRY_AFTER_SECONDS): number =>
  Math.max(1, Math.ceil((o.retryAfterMs ?? fallbackSeconds * 1000) / 1000));

/**
 * @returns the status (and Retry-After) for an error code; unknown codes are bugs and map to 500.
 * The run report of a failed workflow run maps through the same function with its error's code.
 */
export function httpStatusFor(o: OutcomeForStatus): HttpStatusDecision {
  switch (o.code) {
    case 'INPUT_INVALID':
      return { status: 400 };
    // TOKEN_INVALID: a caller's access token (shared/auth) missing, forged, expired, for another audience or tenant.
    case 'UNAUTHENTICATED':
    case 'TOKEN_INVALID':
      return { status: 401 };
    // The caller is known but may not do this: no required scope, an app-only token, Defender refused the user, or a
    // step needs an approval that a run on behalf of the user cannot wait for.
    case 'INSUFFICIENT_SCOPE':
    case 'USER_FORBIDDEN':
    case 'APPROVAL_NEEDS_APP_CONTEXT':
      return { status: 403 };
    // A function key and a bearer token together, or a credential the endpoint's HTTP_AUTH_MODE does not take.
    case 'AUTH_MODE_MIXED':
      return { status: 400 };
    case 'NOT_FOUND':
      return { status: 404 };
    case 'PAYLOAD_TOO_LARGE':
      return { status: 413 };
    case 'UNSUPPORTED_MEDIA_TYPE':
      return { status: 415 };
    case 'IDEMPOTENCY_KEY_REUSED':
      return { status: 422 };
    // Approval links (shared/approval): a forged or tampered token, a second decision, an expired approval.
    // TENANT_DISABLED: a tenant switched off in the registry (TENANTS); nothing is run there until it is enabled.
    case 'APPROVAL_LINK_INVALID':
    case 'TENANT_DISABLED':
      return { status: 403 };
    case 'APPROVAL_DECIDED':
      return { status: 409 };
    case 'APPROVAL_EXPIRED':
      return { status: 410 };
    case 'IDEMPOTENCY_IN_PROGRESS':
    case 'WRITE_IN_PROGRESS':
    case 'WINDOW_IN_PROGRESS':
    case 'DELIVERY_IN_PROGRESS':
      return { status: 409, retryAfterSeconds: retryAfter(o, 5) };
    case 'DEFENDER_HTTP':
      // The API understood the call and refused its content (400 bad field value, 409, 422): the request must
      // change, so repeating it is pointless. A 401 that survived a token refresh is our credentials: 502. Without
      // an upstream status the API answered 2xx with something unusable (an incident without an id, a nextLink to
      // another host): 502 as well.
      if (o.upstreamStatus === undefined || o.upstreamStatus === 401) return { status: 502 };
      return { status: 422 };
    // AUTH_UNAVAILABLE: Entra ID unreachable or answering 5xx / temporarily_unavailable (its refusal of our
    // credentials is AUTH_FAILED). DEADLINE_EXCEEDED: an HTTP invocation spent its time budget before Logic Apps'
    // 120 s limit.
    case 'DEFENDER_THROTTLED':
    case 'DEFENDER_UNAVAILABLE':
    case 'STORAGE_UNAVAILABLE':
    case 'AUTH_UNAVAILABLE':
    case 'DEADLINE_EXCEEDED':
      return { status: 503, retryAfterSeconds: retryAfter(o) };
    case 'SECRET_UNAVAILABLE':
      // Key Vault down or unreachable is transient; 401/403/404 from the vault is the deployment's to fix.
      if (o.upstreamStatus === undefined || o.upstreamStatus === 429 || o.upstreamStatus >= 500)
        return { status: 503, retryAfterSeconds: retryAfter(o) };
      return { status: 502 };
    case 'FORBIDDEN':
    case 'AUTH_FAILED':
    case 'DEVICE_ACTION_FAILED':
      return { status: 502 };
    case 'CONFIG_INVALID':
      return { status: 500 };
    // An expression in the workflow file failed on input its own declaration accepted. The caller cannot fix that by
    // changing the request (so not 4xx) and no upstream is at fault (so not 502/503): it is our deployment's bug.
    case 'WORKFLOW_ERROR':
      return { status: 500 };
    default:
      return { status: 500 };
  }
}
