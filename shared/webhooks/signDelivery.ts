// Signing, for tests, docs, the benchmark and anyone writing a sender (the ServiceNow business rule does the same
// with GlideCertificateEncryption.generateMac). Verification in verifyDelivery.ts uses the same MAC functions.
import { createHmac } from 'node:crypto';
import { ConfigError } from '../errors';

const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/**
 * The HMAC key for a Standard Webhooks secret: `whsec_<base64>` → the decoded bytes (as the spec says); a secret
 * without the prefix is used as its UTF-8 bytes (so `s3cret` and `whsec_czNjcmV0` are the same key).
 * @throws {ConfigError} when a `whsec_` secret is not valid base64 (the secret itself is never in the message).
 */
export function standardWebhookKey(secret: string): Buffer {
  if (!secret.startsWith('whsec_')) return Buffer.from(secret, 'utf8');
  const b64 = secret.slice('whsec_'.length);
  if (b64 === '' || !BASE64.test(b64)) {
    throw new ConfigError(['a webhook secret starts with whsec_ but the rest is not base64']);
  }
  return Buffer.from(b64, 'base64');
}

/** HMAC-SHA256 over `${id}.${timestamp}.${body}` (Standard Webhooks v1). */
export function standardWebhookMac(key: Buffer, id: string, timestamp: string, body: Buffer): Buffer {
  return createHmac('sha256', key).update(`${id}.${timestamp}.`, 'utf8').update(body).digest();
}

/** HMAC-SHA256 over the raw body, keyed with the secret's UTF-8 bytes (Jira admin webhooks). */
export function jiraMac(secret: string, body: Buffer): Buffer {
  return createHmac('sha256', Buffer.from(secret, 'utf8')).update(body).digest();
}

export interface SignStandardWebhookOptions {
  /** `webhook-id`: unique per event, reused on retries (the ServiceNow rule sends `sys_id.sys_mod_count`). */
  id: string;
  /** Unix seconds, or a Date. */
  timestamp: number | Date;
  body: Buffer | string;
  /** One secret, or several to sign with each (what a sender does during rotation). */
  secret: string | readonly string[];
}

/**
 * Headers of a Standard Webhooks v1 delivery (ServiceNow and generic sources).
 * @returns `webhook-id`, `webhook-timestamp` and `webhook-signature` (`v1,<base64>`, space-separated when several).
 */
export function signStandardWebhook(options: SignStandardWebhookOptions): Record<string, string> {
  const ts = String(
    options.timestamp instanceof Date ? Math.floor(options.timestamp.getTime() / 1000) : Math.floor(options.timestamp),
  );
  const body = typeof options.body === 'string' ? Buffer.from(options.body, 'utf8') : options.body;
  const secrets = typeof options.secret === 'string' ? [options.secret] : options.secret;
  const signature = secrets
    .map((s) => `v1,${standardWebhookMac(standardWebhookKey(s), options.id, ts, body).toString('base64')}`)
    .join(' ');
  return { 'webhook-id': options.id, 'webhook-timestamp': ts, 'webhook-signature': signature };
}

/** The `x-hub-signature` header of a Jira admin webhook delivery: `sha256=<lowercase hex>`. */
export function signJira(body: Buffer | string, secret: string): Record<string, string> {
  const raw = typeof body === 'string' ? Buffer.from(body, 'utf8') : body;
  return { 'x-hub-signature': `sha256=${jiraMac(secret, raw).toString('hex')}` };
}
