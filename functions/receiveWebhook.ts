import { app, type HttpRequest, type HttpResponseInit, type InvocationContext } from '@azure/functions';
import { getAutomation as defaultGetAutomation, type Automation } from '../shared/automation';
import { acceptDelivery } from '../shared/automation/acceptDelivery';
import { readRawBody } from './lib/httpBody';
import { toHttpResponse } from './lib/httpErrors';

/** POST /api/webhooks/{source}: verify, normalise, enqueue, answer 202 (or 200 for a duplicate or ignored event). */
export function makeReceiveWebhook(getAutomation: () => Promise<Automation> = defaultGetAutomation) {
  return async (req: HttpRequest, ctx: InvocationContext): Promise<HttpResponseInit> => {
    try {
      const receivedAt = new Date();
      const automation = await getAutomation();
      const body = await readRawBody(req, automation.deps.config.webhookMaxBodyBytes);
      const headers: Record<string, string> = {};
      req.headers.forEach((value, name) => {
        headers[name.toLowerCase()] = value;
      });
      const outcome = await acceptDelivery(automation, { source: req.params.source ?? '', headers, body, receivedAt });
      ctx.info(`[webhook] ${req.params.source} ${outcome.status}`, {
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
