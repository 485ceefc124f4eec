// The ticket-event queue: webhooks enqueue verified events, a queue-triggered function applies them. Messages are
// base64 JSON, the encoding the Functions queue trigger expects by default (host.json messageEncoding). The
// workflow-runs queue (asynchronous HTTP runs) is the same kind of queue.
import type { QueueClient } from '@azure/storage-queue';
import { storageClientsFromConnectionString, type StorageClients } from './storageClients';

export interface TicketQueue {
  /** @param options.delayMs - keep the message invisible this long first (rounded up to seconds; 7 days at most). */
  send(message: unknown, options?: { delayMs?: number }): Promise<void>;
  /** Poison queue with the reason, written by the last attempt so the failure is explained where it lands. */
  sendPoison(message: unknown, reason: string, attempts: number): Promise<void>;
}

/** The queue service's longest visibility timeout: 7 days. */
const MAX_DELAY_SECONDS = 7 * 24 * 3600;

/** Any queue of JSON messages with a poison queue beside it. */
export type MessageQueue = TicketQueue;

/**
 * @param storage - a connection string, or clients from storageClients (identity-based storage).
 * @param sendTimeoutMs - bound on one send, retries included: the queue SDK has no client-side per-try timeout, so
 *   a connection that accepts and never answers would otherwise hold a waiting webhook sender until the function
 *   times out.
 */
export function createTicketQueue(
  storage: string | Pick<StorageClients, 'queue'>,
  queueName: string,
  sendTimeoutMs?: number,
): TicketQueue {
  const clients = typeof storage === 'string' ? storageClientsFromConnectionString(storage) : storage;
  const main = clients.queue(queueName);
  const poison = clients.queue(`${queueName}-poison`);
  const created = new Map<QueueClient, Promise<unknown>>();
  const ensure = async (q: QueueClient, options: { abortSignal?: AbortSignal } = {}): Promise<QueueClient> => {
    let p = created.get(q);
    if (!p) {
      p = q.createIfNotExists(options);
      created.set(q, p);
      p.catch(() => created.delete(q));
    }
    await p;
    return q;
  };
  const encode = (v: unknown): string => Buffer.from(JSON.stringify(v), 'utf8').toString('base64');
  return {
    async send(message, { delayMs } = {}) {
      const options = sendTimeoutMs ? { abortSignal: AbortSignal.timeout(sendTimeoutMs) } : {};
      const delay = delayMs ? { visibilityTimeout: Math.min(MAX_DELAY_SECONDS, Math.ceil(delayMs / 1000)) } : {};
      await (await ensure(main, options)).sendMessage(encode(message), { ...options, ...delay });
    },
    async sendPoison(message, reason, attempts) {
      await (
        await ensure(poison)
      ).sendMessage(encode({ message, reason, attempts, failedAt: new Date().toISOString() }));
    },
  };
}
