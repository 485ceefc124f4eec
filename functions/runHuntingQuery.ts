import { app, type HttpRequest, type HttpResponseInit, type InvocationContext } from '@azure/functions';
import type { AppDeps } from '../shared/deps';
import { runNamedQuery } from '../shared/hunting';
import { readJsonObject } from './lib/httpBody';
import { authLevelFor } from '../shared/auth/callerAuthConfig';
import { withCallerAuth } from './lib/callerAuth';
import { toHttpResponse } from './lib/httpErrors';
import { getDeps as defaultGetDeps, getQueryLibrary } from './lib/lazy';
import { synchronousRetryBudget } from './lib/retryBudget';
import { rejectUnknownQuery } from './lib/params';

/** POST /api/hunting/{query} with `{ "params": {...}, "timespan": "P7D" }`: named library queries only, never raw KQL. */
export function makeRunHuntingQuery(getDeps: () => Pick<AppDeps, 'defender' | 'config'> = defaultGetDeps) {
  return async (req: HttpRequest, ctx: InvocationContext): Promise<HttpResponseInit> => {
    try {
      rejectUnknownQuery(req, []);
      const body = await readJsonObject(req, { allowEmpty: true });
      const deps = getDeps();
      const queries = await getQueryLibrary(deps.config);
      const result = await runNamedQuery(deps.defender, queries, req.params.query ?? '', body);
      return { status: 200, jsonBody: result };
    } catch (err) {
      return toHttpResponse(err, ctx);
    }
  };
}

/** Function key (app context) or the caller's bearer token (on behalf of the caller), per HTTP_AUTH_MODE. */
export const runHuntingQuery = withCallerAuth('runHuntingQuery', makeRunHuntingQuery);

app.http('runHuntingQuery', {
  methods: ['POST'],
  authLevel: authLevelFor('runHuntingQuery'),
  route: 'hunting/{query}',
  handler: synchronousRetryBudget(runHuntingQuery),
});
