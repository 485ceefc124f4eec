// An approval callback endpoint (the customer's own HTTPS URL that Riposte POSTs approval requests to): it takes JSON,
// answers 202, and keeps what it received for tests to inspect. Its URL carries a random path segment, like a secret
// webhook URL, and lives in Key Vault; the contract of the body is Riposte's own (shared/approval/channels.ts).
import { randomBytes } from 'node:crypto';
import type { FaultSpec } from './faults';
import { isPlainObject, json, jsonBody, type Reply, type SandboxRequest } from './httpUtil';
import type { Route } from './router';

export interface CallbackDelivery {
  id: string;
  body: Record<string, unknown>;
  at: string;
}

export class CallbackReceivers {
  private readonly ids = new Set<string>();
  deliveries: CallbackDelivery[] = [];

  create(origin: string): string {
    const id = randomBytes(16).toString('hex');
    this.ids.add(id);
    return `${origin}/callbacks/${id}`;
  }

  reset(): void {
    this.ids.clear();
    this.deliveries = [];
  }

  receive(req: SandboxRequest, id: string, now: () => Date): Reply {
    if (!this.ids.has(id)) return json(404, { error: 'no such callback' });
    const body = jsonBody(req);
    if (body instanceof Error || !isPlainObject(body)) return json(400, { error: 'a JSON object is expected' });
    this.deliveries.push({ id, body, at: now().toISOString() });
    return { status: 202, headers: {} };
  }
}

export function callbackRoutes(receivers: CallbackReceivers, now: () => Date): Route[] {
  return [
    {
      methods: ['POST'],
      pattern: /^\/callbacks\/([0-9a-f]{32})\/?$/,
      family: 'callback',
      target: 'other',
      faultReply: (_req: SandboxRequest, spec: FaultSpec): Reply => json(spec.status ?? 500, { error: 'injected' }),
      handle: (req, [id = '']) => receivers.receive(req, id, now),
    },
  ];
}
