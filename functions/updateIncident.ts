import { app, type HttpRequest, type HttpResponseInit, type InvocationContext } from '@azure/functions';
import type { AppDeps } from '../shared/deps';
import { validateUpdate } from '../shared/defender/validateUpdate';
import { readJsonObject } from './lib/httpBody';
import { authLevelFor } from '../shared/auth/callerAuthConfig';
import { withCallerAuth } from './lib/callerAuth';
import { toHttpResponse } from './lib/httpErrors';
import { getDeps as defaultGetDeps } from './lib/lazy';
import { synchronousRetryBudget } from './lib/retryBudget';
import { incidentIdParam, rejectUnknownQuery } from './lib/params';

export function makeUpdateIncident(getDeps: () => Pick<AppDeps, 'defender' | 'config'> = defaultGetDeps) {
  return async (req: HttpRequest, ctx: InvocationContext): Promise<HttpResponseInit> => {
    try {
      rejectUnknownQuery(req, []);
      const id = incidentIdParam(req);
      const body = await readJsonObject(req);
      const deps = getDeps();
      // Validate before any call so a bad field never costs quota; errors name the field.
      const update = validateUpdate(body, deps.config.api);
      const incident = await deps.defender.updateIncident(id, update);
      return { status: 200, jsonBody: incident };
    } catch (err) {
      return toHttpResponse(err, ctx);
    }
  };
}

/** Function key (app context) or the caller's bearer token (on behalf of the caller), per HTTP_AUTH_MODE. */
export const updateIncident = withCallerAuth('updateIncident', makeUpdateIncident);

app.http('updateIncident', {
  methods: ['PATCH'],
  authLevel: authLevelFor('updateIncident'),
  route: 'incidents/{id}',
  handler: synchronousRetryBudget(updateIncident),
});
