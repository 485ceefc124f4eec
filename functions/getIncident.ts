import { app, type HttpRequest, type HttpResponseInit, type InvocationContext } from '@azure/functions';
import type { AppDeps } from '../shared/deps';
import { authLevelFor } from '../shared/auth/callerAuthConfig';
import { withCallerAuth } from './lib/callerAuth';
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

/** Function key (app context) or the caller's bearer token (on behalf of the caller), per HTTP_AUTH_MODE. */
export const getIncident = withCallerAuth('getIncident', makeGetIncident);

app.http('getIncident', {
  methods: ['GET'],
  authLevel: authLevelFor('getIncident'),
  route: 'incidents/{id}',
  handler: synchronousRetryBudget(getIncident),
});
