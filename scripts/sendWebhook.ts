// Sends one signed generic webhook delivery (Standard Webhooks scheme) to a running Riposte, e.g.
//   npx tsx scripts/sendWebhook.ts --url http://localhost:7071 --key <function key> --secret whsec_... \
//     --incident 3309 --status resolved --classification truePositive --determination phishing --comment "Closed"
import { randomUUID } from 'node:crypto';
import { parseArgs } from 'node:util';
import { signStandardWebhook } from '../shared/webhooks';

const { values } = parseArgs({
  options: {
    url: { type: 'string', default: 'http://localhost:7071' },
    key: { type: 'string' },
    secret: { type: 'string' },
    incident: { type: 'string' },
    status: { type: 'string' },
    assignedTo: { type: 'string' },
    classification: { type: 'string' },
    determination: { type: 'string' },
    comment: { type: 'string' },
    ticket: { type: 'string', default: 'DEMO-1' },
    id: { type: 'string' },
  },
});
if (!values.secret || !values.incident) {
  console.error('--secret and --incident are required');
  process.exit(2);
}
const payload: Record<string, string> = { incidentId: values.incident, ticketId: values.ticket ?? 'DEMO-1' };
for (const k of ['status', 'assignedTo', 'classification', 'determination', 'comment'] as const) {
  if (values[k] !== undefined) payload[k] = values[k] as string;
}
const body = JSON.stringify(payload);
const id = values.id ?? `msg_${randomUUID()}`;
const headers = signStandardWebhook({ id, timestamp: Math.floor(Date.now() / 1000), body, secret: values.secret });
void (async () => {
  const res = await fetch(`${values.url}/api/webhooks/generic`, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      ...(values.key ? { 'x-functions-key': values.key } : {}),
      ...headers,
    },
    body,
  });
  console.log(res.status, await res.text());
})();
