import { app, type HttpRequest, type HttpResponseInit, type InvocationContext } from '@azure/functions';
import type { AppDeps } from '../shared/deps';
import { deepHealth } from '../shared/health';
import { toHttpResponse } from './lib/httpErrors';
import { getDeps as defaultGetDeps } from './lib/lazy';
import { synchronousRetryBudget } from './lib/retryBudget';
import { rejectUnknownQuery } from './lib/params';

export function makeHealthDeep(getDeps: () => AppDeps = defaultGetDeps) {
  return async (req: HttpRequest, ctx: InvocationContext): Promise<HttpResponseInit> => {
    try {
      rejectUnknownQuery(req, []);
      const result = await deepHealth(getDeps());
      return { status: result.status === 'ok' ? 200 : 503, jsonBody: result };
    } catch (err) {
      return toHttpResponse(err, ctx);
    }
  };
}

export const healthDeep = makeHealthDeep();

app.http('healthDeep', {
  methods: ['GET'],
  authLevel: 'function',
  route: 'health/deep',
  handler: synchronousRetryBudget(healthDeep),
});
