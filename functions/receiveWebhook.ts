import { app, type HttpRequest, type HttpResponseInit, type InvocationContext } from '@azure/functions';
import type { Automation } from '../shared/automation';
import type { ErrorCode } from '../shared/errors';
import { isWebhookSource, WEBHOOK_SOURCES } from '../shared/webhooks/types';
import { loggerFromContext } from '../shared/logger';
import { checkJsonContentType, readRawBody } from './lib/httpBody';
import { HttpProblem, toHttpResponse } from './lib/httpErrors';
import { acceptDelivery, getAutomation as defaultGetAutomation } from './lib/lazy';

/**
 * POST /api/webhooks/{source}: verify, normalise, enqueue, answer 202 (or 200 for a duplicate or ignored event, 409
 * with Retry-After while another instance is accepting the same event: Jira Cloud and Standard Webhooks senders
 * retry a 409).
 */
export function makeReceiveWebhook(getAutomation: () => Promise<Automation> = defaultGetAutomation) {
  return async (req: HttpRequest, ctx: InvocationContext): Promise<HttpResponseInit> => {
    try {
      const receivedAt = new Date();
      const source = req.params.source ?? '';
      // The host has checked the function key: an unknown source is a webhook URL that does not exist (404, like an
      // unknown route), not a signature problem the sender could fix by re-signing (401). The body is never read.
      if (!isWebhookSource(source)) {
        throw new HttpProblem(
          'NOT_FOUND',
          `Unknown webhook source ${JSON.stringify(source.slice(0, 40))}; expected one of: ${WEBHOOK_SOURCES.join(', ')}`,
          { field: 'source' },
        );
      }
      // Every supported sender posts JSON (mappings/README.md): any other type is 415, before the body is read.
      checkJsonContentType(req.headers.get('content-type'), true);
      const automation = await getAutomation();
      const body = await readRawBody(req, automation.deps.config.webhookMaxBodyBytes);
      const headers: Record<string, string> = {};
      req.headers.forEach((value, name) => {
        headers[name.toLowerCase()] = value;
      });
      const outcome = await acceptDelivery(automation, { source, headers, body, receivedAt });
      if (outcome.status === 'inProgress') {
        const code: ErrorCode = 'DELIVERY_IN_PROGRESS';
        throw new HttpProblem(
          code,
          `Event ${outcome.eventId} is being accepted by another instance; retry after ${outcome.retryAfterSeconds} s`,
          { retryAfterSeconds: outcome.retryAfterSeconds },
        );
      }
      loggerFromContext(ctx).info(`[webhook] ${source} ${outcome.status}`, {
        eventId: outcome.eventId,
        ...(outcome.status === 'ignored' ? { reason: outcome.reason } : {}),
      });
      return { status: outcome.status === 'accepted' ? 202 : 200, jsonBody: outcome };
    } catch (err) {
      return toHttpResponse(err, ctx);
    }
  };
}

export const receiveWebhook = makeReceiveWebhook();

app.http('receiveWebhook', {
  methods: ['POST'],
  authLevel: 'function',
  route: 'webhooks/{source}',
  handler: receiveWebhook,
});
