// Storage queue plumbing shared by the queue trigger and the queue output binding: connection lookup the way the
// host resolves a binding's `connection`, cached clients, and the extension's message encoding (base64 by default).
import { QueueServiceClient, type QueueClient } from '@azure/storage-queue';
import type { RpcTypedData } from './fakeCore';

const DEFAULT_CONNECTION = 'AzureWebJobsStorage';

/**
 * Resolve a binding's `connection` setting to a connection string: the setting itself, then `AzureWebJobs<name>`.
 * `fallback` (the local Azurite) replaces a missing value and `UseDevelopmentStorage=true`, whose fixed ports would
 * miss an Azurite running on random ports.
 */
export function resolveConnectionString(
  connection: unknown,
  lookup: (name: string) => string | undefined,
  fallback: string | undefined,
): string | undefined {
  const name = typeof connection === 'string' && connection !== '' ? connection : DEFAULT_CONNECTION;
  const value = lookup(name) ?? lookup(`AzureWebJobs${name}`);
  if (value === undefined || value === '' || /^\s*UseDevelopmentStorage=true\s*;?\s*$/i.test(value)) {
    return fallback ?? value;
  }
  return value;
}

export class QueueClients {
  readonly #services = new Map<string, QueueServiceClient>();
  readonly #created = new Map<string, Promise<unknown>>();

  /** A client for `queueName`, creating the queue once if it does not exist. */
  async get(connectionString: string, queueName: string): Promise<QueueClient> {
    let service = this.#services.get(connectionString);
    if (!service) {
      service = QueueServiceClient.fromConnectionString(connectionString);
      this.#services.set(connectionString, service);
    }
    const client = service.getQueueClient(queueName);
    const key = `${client.url}`;
    let created = this.#created.get(key);
    if (!created) {
      created = client.createIfNotExists();
      this.#created.set(key, created);
      created.catch(() => this.#created.delete(key));
    }
    await created;
    return client;
  }
}

/** Encode message text (or bytes) for the wire as the queue extension does. */
export function encodeMessage(body: string | Uint8Array, encoding: 'base64' | 'none'): string {
  const bytes = typeof body === 'string' ? Buffer.from(body, 'utf8') : Buffer.from(body);
  return encoding === 'base64' ? bytes.toString('base64') : bytes.toString('utf8');
}

/**
 * Decode wire text; `null` when the text is not valid base64 (the extension then moves the message to poison).
 * .NET's Convert.FromBase64String ignores whitespace, so do we.
 */
export function decodeMessage(text: string, encoding: 'base64' | 'none'): string | null {
  if (encoding === 'none') return text;
  const compact = text.replace(/\s+/g, '');
  if (compact.length % 4 !== 0 || !/^[A-Za-z0-9+/]*={0,2}$/.test(compact)) return null;
  return Buffer.from(compact, 'base64').toString('utf8');
}

/**
 * Messages an output binding value stands for: an array means one message per element (strings as is, anything
 * else as JSON), any other value one message.
 */
export function outputMessages(data: RpcTypedData): Array<string | Uint8Array> {
  if (data.string !== undefined && data.string !== null) return [data.string];
  if (data.bytes) return [data.bytes];
  if (data.int !== undefined && data.int !== null) return [String(data.int)];
  if (data.double !== undefined && data.double !== null) return [String(data.double)];
  if (data.json !== undefined && data.json !== null) {
    const value: unknown = JSON.parse(data.json);
    if (Array.isArray(value)) return value.map((v: unknown) => (typeof v === 'string' ? v : JSON.stringify(v)));
    return [data.json];
  }
  if (data.collectionString?.string) return data.collectionString.string;
  if (data.collectionBytes?.bytes) return data.collectionBytes.bytes;
  return [];
}
