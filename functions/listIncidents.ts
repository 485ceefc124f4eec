import { app, type HttpRequest, type HttpResponseInit, type InvocationContext } from '@azure/functions';
import type { AppDeps } from '../shared/deps';
import type { Incident, IncidentFilter, IncidentStatus, Severity } from '../shared/defender/types';
import { InputError } from '../shared/errors';
import { authLevelFor } from '../shared/auth/callerAuthConfig';
import { withCallerAuth } from './lib/callerAuth';
import { toHttpResponse } from './lib/httpErrors';
import { getDeps as defaultGetDeps } from './lib/lazy';
import { synchronousRetryBudget } from './lib/retryBudget';
import { intParam, listParam, rejectUnknownQuery } from './lib/params';

export const MAX_LIST_LIMIT = 1000;
const FILTERS = ['assignedTo', 'createdSince', 'updatedSince'] as const;
const QUERY_PARAMETERS = ['status', 'severity', ...FILTERS, 'limit'];

/** The client names filter fields `filter.<name>`; an HTTP caller sent them as the query parameter `<name>`. */
function asQueryParameter(err: unknown): unknown {
  if (!(err instanceof InputError) || !err.field.startsWith('filter.')) return err;
  const name = err.field.slice('filter.'.length);
  return new InputError(name, err.message.split(err.field).join(name), { cause: err });
}

export function makeListIncidents(getDeps: () => Pick<AppDeps, 'defender'> = defaultGetDeps) {
  return async (req: HttpRequest, ctx: InvocationContext): Promise<HttpResponseInit> => {
    try {
      rejectUnknownQuery(req, QUERY_PARAMETERS);
      const limit = intParam(req, 'limit', 100, 1, MAX_LIST_LIMIT);
      const filter: IncidentFilter = { limit };
      // Enum values and dates are validated (and named in errors) by the client's filter normaliser.
      const status = listParam(req, 'status');
      if (status) filter.status = status as IncidentStatus[];
      const severity = listParam(req, 'severity');
      if (severity) filter.severity = severity as Severity[];
      for (const key of FILTERS) {
        const v = req.query.get(key);
        if (v !== null && v !== '') filter[key] = v;
      }
      const incidents: Incident[] = [];
      for await (const incident of getDeps().defender.listIncidents(filter)) incidents.push(incident);
      return { status: 200, jsonBody: { count: incidents.length, limit, value: incidents } };
    } catch (err) {
      return toHttpResponse(asQueryParameter(err), ctx);
    }
  };
}

/** Function key (app context) or the caller's bearer token (on behalf of the caller), per HTTP_AUTH_MODE. */
export const listIncidents = withCallerAuth('listIncidents', makeListIncidents);

app.http('listIncidents', {
  methods: ['GET'],
  authLevel: authLevelFor('listIncidents'),
  route: 'incidents',
  handler: synchronousRetryBudget(listIncidents),
});
