import { app, type HttpRequest, type HttpResponseInit, type InvocationContext } from '@azure/functions';
import type { AppDeps } from '../shared/deps';
import { toHttpResponse } from './lib/httpErrors';
import { getDeps as defaultGetDeps } from './lib/lazy';
import { synchronousRetryBudget } from './lib/retryBudget';
import { incidentIdParam, rejectUnknownQuery } from './lib/params';

export function makeGetIncident(getDeps: () => Pick<AppDeps, 'defender'> = defaultGetDeps) {
  return async (req: HttpRequest, ctx: InvocationContext): Promise<HttpResponseInit> => {
    try {
      rejectUnknownQuery(req, []);
      const id = incidentIdParam(req);
      const incident = await getDeps().defender.getIncident(id);
      return { status: 200, jsonBody: incident };
    } catch (err) {
      return toHttpResponse(err, ctx);
    }
  };
}

export const getIncident = makeGetIncident();

app.http('getIncident', {
  methods: ['GET'],
  authLevel: 'function',
  route: 'incidents/{id}',
  handler: synchronousRetryBudget(getIncident),
});
