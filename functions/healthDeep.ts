import { app, type HttpRequest, type HttpResponseInit, type InvocationContext } from '@azure/functions';
import type { AppDeps } from '../shared/deps';
import { deepHealth, type DeepHealthOptions } from '../shared/health';
import { toHttpResponse } from './lib/httpErrors';
import { createPoisonQueue, createStorageClients, getDeps as defaultGetDeps } from './lib/lazy';
import { synchronousRetryBudget } from './lib/retryBudget';
import { rejectUnknownQuery } from './lib/params';

const poisonQueues = new WeakMap<AppDeps['config'], DeepHealthOptions>();

/** The ticket-event poison queue, counted when storage is configured; built once per config (one token cache). */
function poisonQueueOf({ config }: AppDeps): DeepHealthOptions {
  if (!config.storageConnectionString && !config.storageAccountName) return {};
  let options = poisonQueues.get(config);
  if (!options) {
    options = { poisonQueue: createPoisonQueue(createStorageClients(config), config.ticketEventsQueue) };
    poisonQueues.set(config, options);
  }
  return options;
}

export function makeHealthDeep(getDeps: () => AppDeps = defaultGetDeps) {
  return async (req: HttpRequest, ctx: InvocationContext): Promise<HttpResponseInit> => {
    try {
      rejectUnknownQuery(req, []);
      const deps = getDeps();
      const result = await deepHealth(deps, poisonQueueOf(deps));
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
