// The synchronous retry budget for HTTP functions that call the Defender API: MAX_RETRIES per call, and no attempt or
// wait past HTTP_DEADLINE_SECONDS after the request arrived (then the answer is 503 + Retry-After, which Logic Apps
// retries on its own schedule). Queued and scheduled work runs without it, on the longer background budget.
import type { HttpHandler, HttpRequest, InvocationContext } from '@azure/functions';
import { getConfig } from '../../shared/config';
import { withRetryBudget } from '../../shared/http/retryBudget';

/** Wraps a handler so every Defender call it makes, however deep, shares the request's deadline. */
export function synchronousRetryBudget(handler: HttpHandler, now: () => number = Date.now): HttpHandler {
  return (req: HttpRequest, ctx: InvocationContext) => {
    const arrived = now();
    let config;
    try {
      config = getConfig();
    } catch {
      // Invalid settings: the handler answers CONFIG_INVALID itself, and makes no call to budget.
      return handler(req, ctx);
    }
    return withRetryBudget({ maxRetries: config.maxRetries, deadline: arrived + config.httpDeadlineMs }, () =>
      handler(req, ctx),
    );
  };
}
