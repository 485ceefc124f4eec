// Builders for signed deliveries and the shipped mappings, shared by the webhook tests.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { InputError } from '../../shared/errors';
import {
  compileMapping,
  loadMappings,
  parseDelivery,
  signJira,
  signStandardWebhook,
  type RawDelivery,
  type SourceMapping,
  type TicketEvent,
  type WebhookSecrets,
  type WebhookSource,
} from '../../shared/webhooks';

export const REPO = join(__dirname, '..', '..');
/**
 * The `input` block of a workflow run by ticket deliveries: the fields the shipped mappings give
 * (mappings/*.yaml), as YAML at the top level of a workflow file.
 */
export const TICKET_WORKFLOW_INPUT = `input:
  incidentId: { type: string, required: true }
  ticketId: { type: string }
  status: { type: string }
  assignedTo: { type: string }
  classification: { type: string }
  determination: { type: string }
  comment: { type: string }
`;
export const NOW = new Date('2024-11-25T14:05:00Z');
export const NOW_S = Math.floor(NOW.getTime() / 1000);

// Test-only secrets (never real ones): a whsec_ key for Standard Webhooks, plain text for Jira.
export const SECRETS = {
  jira: 'jira-test-secret-Ω',
  servicenow: 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw',
  generic: 'generic-plain-secret',
} as const;

export function fixture(name: string): Buffer {
  return readFileSync(join(__dirname, 'fixtures', name));
}

export function fixtureJson(name: string): Record<string, unknown> {
  return JSON.parse(fixture(name).toString('utf8')) as Record<string, unknown>;
}

export function secretsOf(map: Partial<Record<WebhookSource, string[]>>): WebhookSecrets & { calls: number } {
  const s = {
    calls: 0,
    async get(source: WebhookSource) {
      s.calls += 1;
      return map[source] ?? [];
    },
  };
  return s;
}

export const defaultSecrets = (): WebhookSecrets & { calls: number } =>
  secretsOf({ jira: [SECRETS.jira], servicenow: [SECRETS.servicenow], generic: [SECRETS.generic] });

const asBuffer = (body: Buffer | string | object): Buffer =>
  Buffer.isBuffer(body) ? body : Buffer.from(typeof body === 'string' ? body : JSON.stringify(body), 'utf8');

export function jiraDelivery(
  body: Buffer | string | object,
  options: { secret?: string; identifier?: string; headers?: Record<string, string | undefined> } = {},
): RawDelivery {
  const raw = asBuffer(body);
  return {
    source: 'jira',
    headers: {
      'content-type': 'application/json',
      'x-atlassian-webhook-identifier': options.identifier ?? 'b7c5f1e2-3d4a-4f5b-8c6d-7e8f9a0b1c2d',
      'x-atlassian-webhook-flow': 'Primary',
      ...signJira(raw, options.secret ?? SECRETS.jira),
      ...options.headers,
    },
    body: raw,
    receivedAt: NOW,
  };
}

export function standardDelivery(
  source: 'servicenow' | 'generic',
  body: Buffer | string | object,
  options: {
    secret?: string | string[];
    id?: string;
    timestamp?: number;
    headers?: Record<string, string | undefined>;
  } = {},
): RawDelivery {
  const raw = asBuffer(body);
  return {
    source,
    headers: {
      'content-type': 'application/json',
      ...signStandardWebhook({
        id: options.id ?? 'msg_2pYkZ8t0Qv',
        timestamp: options.timestamp ?? NOW_S - 2,
        body: raw,
        secret: options.secret ?? SECRETS[source],
      }),
      ...options.headers,
    },
    body: raw,
    receivedAt: NOW,
  };
}

let shipped: Promise<Map<WebhookSource, SourceMapping>> | undefined;
export function shippedMappings(): Promise<Map<WebhookSource, SourceMapping>> {
  shipped ??= loadMappings(join(REPO, 'mappings'));
  return shipped;
}

export async function shippedMapping<S extends WebhookSource>(
  source: S,
): Promise<Extract<SourceMapping, { source: S }>> {
  const m = (await shippedMappings()).get(source);
  if (!m) throw new Error(`no shipped mapping for ${source}`);
  return m as Extract<SourceMapping, { source: S }>;
}

/** A shipped mapping file as plain data, to tweak and compile in a test. */
export function shippedRaw(source: WebhookSource): Record<string, unknown> {
  return parseYaml(readFileSync(join(REPO, 'mappings', `${source}.yaml`), 'utf8')) as Record<string, unknown>;
}

export function variant<S extends WebhookSource>(
  source: S,
  change: (raw: Record<string, unknown>) => void,
): Extract<SourceMapping, { source: S }> {
  const raw = shippedRaw(source);
  change(raw);
  return compileMapping(raw, `test/${source}.yaml`) as Extract<SourceMapping, { source: S }>;
}

/** Parses and insists on an event (not an ignored delivery). */
export function parseEvent(d: RawDelivery, m: SourceMapping): TicketEvent {
  const r = parseDelivery(d, m);
  if ('ignored' in r) throw new Error(`expected an event, got ignored: ${r.ignored}`);
  return r;
}

export function parseIgnored(d: RawDelivery, m: SourceMapping): string {
  const r = parseDelivery(d, m);
  if (!('ignored' in r)) throw new Error(`expected ignored, got event ${JSON.stringify(r)}`);
  return r.ignored;
}

/** Runs fn and returns the InputError it throws (failing otherwise). */
export function inputError(fn: () => unknown): InputError {
  try {
    fn();
  } catch (e) {
    if (e instanceof InputError) return e;
    throw e;
  }
  throw new Error('expected an InputError');
}
