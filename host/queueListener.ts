// Queue trigger listener, after the storage queue extension: poll with randomised exponential backoff up to
// maxPollingInterval, run up to batchSize + newBatchThreshold messages at once, delete on success, make a failed
// message visible again after visibilityTimeout, and move it to `<queue>-poison` once it has failed
// maxDequeueCount times (webhooks-and-host.md §5.2).
import type { DequeuedMessageItem, QueueClient } from '@azure/storage-queue';
import type { QueueSettings } from './hostConfig';
import type { Invoker } from './invoker';
import { decodeMessage } from './storageQueues';
import { describeError } from './log';

export interface QueueListenerOptions {
  functionName: string;
  queueName: string;
  client: QueueClient;
  getPoisonClient: () => Promise<QueueClient>;
  settings: QueueSettings;
  invoker: Invoker;
  /** How long a received message stays invisible while it runs (covers functionTimeout). */
  leaseMs: number;
  log: (message: string) => void;
}

/** The extension's floor between polls when a queue is empty. */
const MIN_POLL_MS = 100;

export class QueueListener {
  readonly #o: QueueListenerOptions;
  readonly #running = new Set<Promise<void>>();
  #stopped = false;
  #loop: Promise<void> | undefined;
  #backoffMs = MIN_POLL_MS;
  #wake: (() => void) | undefined;
  #lastPollEmpty = false;

  constructor(options: QueueListenerOptions) {
    this.#o = options;
  }

  get queueName(): string {
    return this.#o.queueName;
  }

  start(): void {
    this.#loop ??= this.#pollLoop();
  }

  /** Poll now instead of waiting out the backoff (new messages were just written, or someone waits for a drain). */
  wake(): void {
    this.#backoffMs = MIN_POLL_MS;
    this.#wake?.();
  }

  /** True when nothing runs and the queue holds no message at all (visible or not). */
  async isIdle(): Promise<boolean> {
    if (this.#running.size > 0 || !this.#lastPollEmpty) return false;
    const props = await this.#o.client.getProperties();
    return (props.approximateMessagesCount ?? 0) === 0 && this.#running.size === 0;
  }

  /** Stop polling and wait for running messages (bounded). */
  async stop(timeoutMs: number): Promise<void> {
    this.#stopped = true;
    this.#wake?.();
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      Promise.allSettled([this.#loop, ...this.#running]),
      new Promise((r) => (timer = setTimeout(r, timeoutMs))),
    ]);
    clearTimeout(timer);
  }

  async #sleep(ms: number): Promise<void> {
    await new Promise<void>((resolve) => {
      const timer = setTimeout(done, ms);
      function done() {
        clearTimeout(timer);
        resolve();
      }
      this.#wake = done;
    });
    this.#wake = undefined;
  }

  async #pollLoop(): Promise<void> {
    const { settings, client } = this.#o;
    while (!this.#stopped) {
      if (this.#running.size > settings.newBatchThreshold) {
        await Promise.race(this.#running);
        continue;
      }
      let messages: DequeuedMessageItem[];
      try {
        const res = await client.receiveMessages({
          numberOfMessages: settings.batchSize,
          visibilityTimeout: Math.ceil(this.#o.leaseMs / 1000),
        });
        messages = res.receivedMessageItems;
      } catch (err) {
        if (this.#stopped) break;
        this.#o.log(`Queue '${this.#o.queueName}': receive failed: ${describeError(err)}`);
        messages = [];
      }
      if (this.#stopped) {
        // Received but not started: hand them back at once rather than leaving them invisible for the lease.
        await Promise.allSettled(messages.map((m) => client.updateMessage(m.messageId, m.popReceipt, undefined, 0)));
        break;
      }
      if (messages.length === 0) {
        this.#lastPollEmpty = this.#running.size === 0;
        // Randomised exponential backoff (±20%) capped at maxPollingInterval, as the extension's polling strategy.
        const delay = Math.min(settings.maxPollingIntervalMs, this.#backoffMs) * (0.8 + Math.random() * 0.4);
        this.#backoffMs = Math.min(settings.maxPollingIntervalMs, this.#backoffMs * 2);
        await this.#sleep(delay);
        continue;
      }
      this.#lastPollEmpty = false;
      this.#backoffMs = MIN_POLL_MS;
      for (const m of messages) {
        const p = this.#process(m).catch((err: unknown) =>
          this.#o.log(`Queue '${this.#o.queueName}': message ${m.messageId} handling failed: ${describeError(err)}`),
        );
        this.#running.add(p);
        void p.finally(() => {
          this.#running.delete(p);
          // A slot came free or a failed message is visible again: look again soon.
          this.wake();
        });
      }
    }
  }

  async #toPoison(m: DequeuedMessageItem, why: string): Promise<void> {
    const poison = await this.#o.getPoisonClient();
    // The original wire text, so a poison-queue consumer sees exactly what was sent.
    await poison.sendMessage(m.messageText);
    await this.#o.client.deleteMessage(m.messageId, m.popReceipt);
    this.#o.log(
      `Message ${m.messageId} has reached MaxDequeueCount or failed to decode (${why}); moved to '${this.#o.queueName}-poison'.`,
    );
  }

  async #process(m: DequeuedMessageItem): Promise<void> {
    const { settings, client, functionName } = this.#o;
    if (m.dequeueCount > settings.maxDequeueCount) {
      return this.#toPoison(m, `dequeueCount ${m.dequeueCount}`);
    }
    const text = decodeMessage(m.messageText, settings.messageEncoding);
    if (text === null) return this.#toPoison(m, 'message is not valid base64; check messageEncoding');

    const iso = (d: Date | undefined) => ({ string: d ? d.toISOString() : '' });
    const outcome = await this.#o.invoker.run(
      functionName,
      // As text: the library parses JSON text into objects itself, as with the real host's payloads.
      { string: text },
      {
        reason: `New queue message detected on '${this.#o.queueName}'.`,
        triggerMetadata: {
          QueueTrigger: { string: text },
          DequeueCount: { int: m.dequeueCount },
          Id: { string: m.messageId },
          PopReceipt: { string: m.popReceipt },
          InsertionTime: iso(m.insertedOn),
          ExpirationTime: iso(m.expiresOn),
          NextVisibleTime: iso(m.nextVisibleOn),
        },
      },
    );
    if (outcome.ok) {
      await client.deleteMessage(m.messageId, m.popReceipt);
    } else if (m.dequeueCount >= settings.maxDequeueCount) {
      await this.#toPoison(m, `dequeueCount ${m.dequeueCount}`);
    } else {
      await client.updateMessage(m.messageId, m.popReceipt, undefined, Math.round(settings.visibilityTimeoutMs / 1000));
    }
  }
}
