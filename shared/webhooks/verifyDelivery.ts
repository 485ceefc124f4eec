// Authenticates a delivery before anything reads its JSON (re-serialising would break the MAC). Schemes
// (webhooks-and-host.md §1.3, §3): Jira admin webhooks sign the raw body (`x-hub-signature: sha256=<hex>`);
// ServiceNow and generic senders use Standard Webhooks v1 (`v1,<base64>` over `${id}.${timestamp}.${body}`).
import { timingSafeEqual } from 'node:crypto';
import { ConfigError, InputError } from '../errors';
import { header, parseBodyObject } from './readBody';
import { jiraMac, standardWebhookKey, standardWebhookMac } from './signDelivery';
import { isWebhookSource, WEBHOOK_SOURCES, type RawDelivery, type WebhookSource } from './types';
import { WebhookAuthError } from './webhookAuthError';

/** Current and, during rotation, previous secrets of a source (Key Vault or settings; see webhookSecrets.ts). */
export interface WebhookSecrets {
  get(source: WebhookSource): Promise<string[]>;
}

export interface VerifyDeliveryOptions {
  now: Date;
  /** Allowed clock difference, both directions, for `webhook-timestamp` (and Jira's future-dated events). Default 300. */
  toleranceSeconds?: number;
  /** Oldest Jira event accepted, by the payload `timestamp`: Jira retries can arrive ~30 min late. Default 3600. */
  jiraMaxAgeSeconds?: number;
}

const MAC_BYTES = 32;
const MAX_SIGNATURES = 10;
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;
// Printable ASCII without spaces; the ServiceNow rule sends `<sys_id>.<sys_mod_count>`.
const WEBHOOK_ID = /^[\x21-\x7e]{1,256}$/;

/**
 * Checks the delivery's source, signature and freshness. Replays inside the window are the dedupe store's job.
 * @throws {WebhookAuthError} with `reason` missing-signature | malformed-signature | bad-signature | stale-timestamp | unknown-source.
 * @throws {InputError} (Jira only) when a correctly signed body has no usable `timestamp`.
 * @throws {ConfigError} when no secret is configured for the source.
 */
export async function verifyDelivery(
  d: RawDelivery,
  secrets: WebhookSecrets,
  options: VerifyDeliveryOptions,
): Promise<void> {
  if (!isWebhookSource(d.source)) {
    throw new WebhookAuthError(
      'unknown-source',
      `Unknown webhook source ${JSON.stringify(String(d.source).slice(0, 40))}; expected one of: ${WEBHOOK_SOURCES.join(', ')}`,
    );
  }
  const tolerance = options.toleranceSeconds ?? 300;
  if (d.source === 'jira') {
    const given = jiraSignature(d.headers);
    const keys = await configuredSecrets(secrets, d.source);
    if (
      !anyMatch(
        [given],
        keys.map((s) => jiraMac(s, d.body)),
      )
    ) {
      throw new WebhookAuthError('bad-signature', 'x-hub-signature does not match the body');
    }
    checkJiraAge(d.body, options.now, options.jiraMaxAgeSeconds ?? 3600, tolerance);
    return;
  }
  const { id, timestamp, signatures } = standardHeaders(d.headers);
  const keys = (await configuredSecrets(secrets, d.source)).map(standardWebhookKey);
  if (
    !anyMatch(
      signatures,
      keys.map((k) => standardWebhookMac(k, id, timestamp, d.body)),
    )
  ) {
    throw new WebhookAuthError('bad-signature', 'webhook-signature does not match the delivery');
  }
  const skew = Math.floor(options.now.getTime() / 1000) - Number(timestamp);
  if (skew > tolerance) {
    throw new WebhookAuthError(
      'stale-timestamp',
      `webhook-timestamp is ${skew} s old; at most ${tolerance} s is accepted`,
    );
  }
  if (-skew > tolerance) {
    throw new WebhookAuthError(
      'stale-timestamp',
      `webhook-timestamp is ${-skew} s in the future; at most ${tolerance} s is accepted`,
    );
  }
}

async function configuredSecrets(secrets: WebhookSecrets, source: WebhookSource): Promise<string[]> {
  const list = (await secrets.get(source)).filter((s) => typeof s === 'string' && s !== '');
  if (list.length === 0) throw new ConfigError([`no webhook secret is configured for source '${source}'`]);
  return list;
}

function jiraSignature(headers: RawDelivery['headers']): Buffer {
  const value = header(headers, 'x-hub-signature');
  if (value === undefined) throw new WebhookAuthError('missing-signature', 'Missing x-hub-signature header');
  const m = /^sha256=([0-9a-fA-F]{64})$/.exec(value);
  if (!m?.[1]) {
    throw new WebhookAuthError('malformed-signature', 'x-hub-signature must be sha256=<64 hex digits>');
  }
  return Buffer.from(m[1], 'hex');
}

function standardHeaders(headers: RawDelivery['headers']): { id: string; timestamp: string; signatures: Buffer[] } {
  const value = header(headers, 'webhook-signature');
  if (value === undefined) throw new WebhookAuthError('missing-signature', 'Missing webhook-signature header');
  const id = header(headers, 'webhook-id');
  if (id === undefined || !WEBHOOK_ID.test(id)) {
    throw new WebhookAuthError('malformed-signature', 'webhook-id must be 1-256 printable characters without spaces');
  }
  const timestamp = header(headers, 'webhook-timestamp');
  if (timestamp === undefined || !/^\d{1,12}$/.test(timestamp)) {
    throw new WebhookAuthError('malformed-signature', 'webhook-timestamp must be whole Unix seconds');
  }
  const entries = value.split(/\s+/);
  if (entries.length > MAX_SIGNATURES) {
    throw new WebhookAuthError('malformed-signature', `webhook-signature has more than ${MAX_SIGNATURES} entries`);
  }
  const signatures: Buffer[] = [];
  for (const entry of entries) {
    const comma = entry.indexOf(',');
    // Other schemes (v1a ed25519) are skipped, as the spec asks; they cannot authenticate with a shared secret.
    if (comma < 0 || entry.slice(0, comma) !== 'v1') continue;
    const b64 = entry.slice(comma + 1);
    if (!BASE64.test(b64)) continue;
    const mac = Buffer.from(b64, 'base64');
    if (mac.length === MAC_BYTES) signatures.push(mac);
  }
  if (signatures.length === 0) {
    throw new WebhookAuthError(
      'malformed-signature',
      'webhook-signature has no well-formed v1 signature (expected v1,<base64 of a 32-byte HMAC-SHA256>)',
    );
  }
  return { id, timestamp, signatures };
}

/**
 * True when any given signature equals any expected one. Every pair is compared, with no early exit, so the time
 * taken says nothing about which secret (current or previous) matched. Lengths are public (always 32 bytes here).
 */
function anyMatch(given: readonly Buffer[], expected: readonly Buffer[]): boolean {
  let matched = 0;
  for (const want of expected) {
    for (const got of given) matched |= got.length === want.length && timingSafeEqual(got, want) ? 1 : 0;
  }
  return matched === 1;
}

function checkJiraAge(body: Buffer, now: Date, maxAgeSeconds: number, toleranceSeconds: number): void {
  const payload = parseBodyObject(body);
  const ts = payload.timestamp;
  if (typeof ts !== 'number' || !Number.isFinite(ts)) {
    throw new InputError('body.timestamp', 'body.timestamp must be the event time in milliseconds since the epoch');
  }
  const ageSeconds = Math.floor((now.getTime() - ts) / 1000);
  if (ageSeconds > maxAgeSeconds) {
    throw new WebhookAuthError(
      'stale-timestamp',
      `Jira event is ${ageSeconds} s old; at most ${maxAgeSeconds} s is accepted`,
    );
  }
  if (-ageSeconds > toleranceSeconds) {
    throw new WebhookAuthError(
      'stale-timestamp',
      `Jira event is ${-ageSeconds} s in the future; at most ${toleranceSeconds} s is accepted`,
    );
  }
}
