import { app, type HttpResponseInit } from '@azure/functions';
import { shallowHealth } from '../shared/health';

/** Anonymous: safe for load balancers and uptime probes. Reveals setting names that are wrong, never values. */
export async function health(): Promise<HttpResponseInit> {
  const result = shallowHealth(process.env);
  return { status: result.status === 'ok' ? 200 : 503, jsonBody: result };
}

app.http('health', { methods: ['GET'], authLevel: 'anonymous', route: 'health', handler: health });
