// A call to Teams, Jira or ServiceNow failed. A DefenderApiError in all but name, so the one status contract
// (shared/httpStatus.ts) and the write settling (steps/settleWrite.ts) treat it like any other upstream call: 429 and
// 5xx → 503 with Retry-After, a refusal of what we sent → 422, our credentials refused (401) → 502.
import { DefenderApiError, type DefenderErrorDetails } from '../errors';

/** 'callback': the approval gate's HTTP callback (shared/approval/callback.ts). */
export type NotifyTarget = 'teams' | 'jira' | 'servicenow' | 'callback';

export class NotifyApiError extends DefenderApiError {
  readonly target: NotifyTarget;
  constructor(target: NotifyTarget, message: string, details: DefenderErrorDetails, options: { cause?: unknown } = {}) {
    super(message, details, options);
    this.target = target;
  }
}
