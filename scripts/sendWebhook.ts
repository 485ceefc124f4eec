// `npm run send-webhook -- [options]`: sends one signed generic webhook delivery (Standard Webhooks scheme) to a
// running Riposte, e.g. against `npm start`, which prints a usable secret and function key:
//   npm run send-webhook -- --url http://localhost:7071 --key <function key> --secret whsec_... \
//     --incident 3309 --status resolved --classification truePositive --determination phishing --comment "Closed"
import { randomUUID } from 'node:crypto';
import { parseArgs } from 'node:util';
import { signStandardWebhook } from '../shared/webhooks';

export const USAGE = `Usage: npm run send-webhook -- --secret <whsec_...> --incident <id> [options]

Sends one signed delivery to POST <url>/api/webhooks/generic (Standard Webhooks signature) and prints the
answer. npm start prints the secret and function key to use.

Options:
  --url <url>              The Function App (default http://localhost:7071).
  --key <key>              Function key, sent as x-functions-key.
  --secret <secret>        The generic source's signing secret (WEBHOOK_SECRET_GENERIC), required.
  --incident <id>          The Defender incident id, required.
  --ticket <id>            The ticket id (default DEMO-1).
  --status <status>        active, inProgress or resolved.
  --assignedTo <upn>       Assign the incident.
  --classification <c>     truePositive, informationalExpectedActivity or falsePositive.
  --determination <d>      e.g. phishing, malware, clean (needs --classification).
  --comment <text>         A comment to add.
  --id <event id>          The delivery id (default a new msg_<uuid>): reuse one to see a redelivery ignored.
  -h, --help               This text.

Exit codes: 0 the delivery was accepted (2xx); 1 it was refused or Riposte could not be reached; 2 usage error.`;

const OPTIONS = {
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
  help: { type: 'boolean', short: 'h' },
} as const;

/** @returns the exit code. */
export async function main(argv: string[]): Promise<number> {
  let values: ReturnType<typeof parseArgs<{ args: string[]; options: typeof OPTIONS }>>['values'];
  try {
    ({ values } = parseArgs({ args: argv, options: OPTIONS }));
  } catch (e) {
    console.error(`send-webhook: ${(e as Error).message}\nRun npm run send-webhook -- --help for usage.`);
    return 2;
  }
  if (values.help) {
    console.log(USAGE);
    return 0;
  }
  const missing = (['secret', 'incident'] as const).filter((k) => !values[k]);
  if (missing.length > 0) {
    console.error(`send-webhook: ${missing.map((k) => `--${k}`).join(' and ')} required\n\n${USAGE}`);
    return 2;
  }
  let endpoint: URL;
  try {
    endpoint = new URL('/api/webhooks/generic', values.url);
  } catch {
    console.error(`send-webhook: --url must be a URL, got '${values.url}'`);
    return 2;
  }
  const payload: Record<string, string> = { incidentId: values.incident as string, ticketId: values.ticket };
  for (const k of ['status', 'assignedTo', 'classification', 'determination', 'comment'] as const) {
    if (values[k] !== undefined) payload[k] = values[k];
  }
  const body = JSON.stringify(payload);
  const id = values.id ?? `msg_${randomUUID()}`;
  const secret = values.secret as string;
  let headers: Record<string, string>;
  try {
    headers = signStandardWebhook({ id, timestamp: Math.floor(Date.now() / 1000), body, secret });
  } catch (e) {
    // The message names the format problem, never the secret.
    console.error(`send-webhook: --secret: ${(e as Error).message}`);
    return 2;
  }
  let res: Response;
  try {
    res = await fetch(endpoint, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        ...(values.key ? { 'x-functions-key': values.key } : {}),
        ...headers,
      },
      body,
    });
  } catch (e) {
    const cause = (e as { cause?: { code?: string; message?: string } }).cause;
    console.error(
      `send-webhook: could not reach ${endpoint.origin}: ${cause?.code ?? cause?.message ?? (e as Error).message} (is npm start running?)`,
    );
    return 1;
  }
  console.log(res.status, await res.text());
  return res.ok ? 0 : 1;
}

if (require.main === module) {
  void main(process.argv.slice(2)).then((code) => {
    process.exitCode = code;
  });
}
