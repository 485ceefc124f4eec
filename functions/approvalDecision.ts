import { app, type HttpRequest, type HttpResponseInit, type InvocationContext } from '@azure/functions';
import type { Automation } from '../shared/automation';
import { loggerFromContext } from '../shared/logger';
import { readRawBody } from './lib/httpBody';
import { toHttpResponse } from './lib/httpErrors';
import { decideByLink, getAutomation as defaultGetAutomation } from './lib/lazy';

const MAX_FORM_BYTES = 4096;

/**
 * POST /api/approvals/{id}/decision: the approval page's form (application/x-www-form-urlencoded: token, decision,
 * approver), or an HTTP callback's approve/reject URL (token and decision in the query). Decides once: a second POST
 * answers 409 with the first decision, an expired approval 410, a forged or tampered token 403. Anonymous for the
 * host: the signed token is the credential. The answer is an HTML page, or JSON when the caller asks for it.
 */
export function makeApprovalDecision(getAutomation: () => Promise<Automation> = defaultGetAutomation) {
  return async (req: HttpRequest, ctx: InvocationContext): Promise<HttpResponseInit> => {
    try {
      const raw = await readRawBody(req, MAX_FORM_BYTES);
      const form = new URLSearchParams(raw.toString('utf8'));
      const pick = (name: string): string | undefined => form.get(name) ?? req.query.get(name) ?? undefined;
      const answer = await decideByLink(
        await getAutomation(),
        req.params.id ?? '',
        { token: pick('token'), decision: pick('decision'), approver: pick('approver') },
        loggerFromContext(ctx),
      );
      if ((req.headers.get('accept') ?? '').includes('application/json'))
        return {
          status: answer.status,
          jsonBody: answer.approval ?? { error: answer.error },
        };
      return { status: answer.status, headers: answer.headers, body: answer.body };
    } catch (err) {
      return toHttpResponse(err, ctx);
    }
  };
}

export const approvalDecision = makeApprovalDecision();

app.http('approvalDecision', {
  methods: ['POST'],
  authLevel: 'anonymous',
  route: 'approvals/{id}/decision',
  handler: approvalDecision,
});
