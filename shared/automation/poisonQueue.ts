// The ticket-event poison queue (`<TICKET_EVENTS_QUEUE>-poison`), for operators: what failed and why, and putting
// a delivery back on the main queue after a fix. Two writers put messages there:
// - Riposte itself (applyTicketEvent), when a delivery cannot succeed or its last attempt failed: base64 JSON
//   `{ message, reason, attempts, failedAt }` (ticketQueue.sendPoison);
// - the Functions host (and the local host), after maxDequeueCount failed invocations or an undecodable message:
//   the original message text, unchanged, with no reason.
// Azure queues cannot be listed or addressed by id: a message is read by receiving it, which hides it for a while.
// A scan therefore holds every message it has seen hidden until it ends (so it never sees one twice), then makes
// the ones it did not act on visible again at once; the hiding time is the safety net if the scan dies. Two
// operators scanning at once each see only what the other is not holding; a delivery replayed twice is still
// applied once, because the queue trigger keys its writes by the delivery's event id.
import type { DequeuedMessageItem, PeekedMessageItem, QueueClient } from '@azure/storage-queue';
import type { StorageClients } from './storageClients';

/** How long a scan hides what it has received (seconds): ample for a scan, short if the scanner dies. */
const HOLD_SECONDS = 60;
/** The service's maximum per receive or peek. */
const BATCH = 32;

export interface PoisonEntry {
  /** The queue's message id. */
  id: string;
  insertedOn: string;
  expiresOn: string;
  /** 'riposte': written by Riposte with the reason; 'host': moved by the Functions host, no reason recorded. */
  writer: 'riposte' | 'host' | 'unknown';
  reason?: string;
  attempts?: number;
  failedAt?: string;
  source?: string;
  eventId?: string;
  incidentId?: string;
  ticketId?: string;
  /** The queue trigger's message as decoded (a ticket event), or undefined when the text is not one. */
  message: unknown;
  /** Base64 text to put back on the main queue; undefined when there is nothing a trigger could apply. */
  replayText?: string;
}

export interface PoisonActionResult {
  /** Message ids acted on. */
  done: PoisonEntry[];
  /** Ids asked for and not found (already replayed or purged, expired, or held by someone else's scan right now). */
  notFound: string[];
  /** `--all`: messages that arrived after the command started, left for the next one. */
  arrivedSince: number;
  /** Entries that could not be replayed (not a ticket event), with why. */
  refused: { entry: PoisonEntry; why: string }[];
}

export interface PoisonQueue {
  readonly name: string;
  readonly mainQueue: string;
  /** The queue's approximate message count (0 when the queue does not exist yet). */
  count(): Promise<number>;
  /** Every message, oldest first. */
  list(): Promise<PoisonEntry[]>;
  /** One message by id or unique id prefix. @throws {AmbiguousIdError} when a prefix matches several. */
  show(id: string): Promise<PoisonEntry | undefined>;
  /** Puts the messages back on the main queue, then deletes them here. `'all'`: those present when it started. */
  replay(ids: readonly string[] | 'all'): Promise<PoisonActionResult>;
  /** Deletes the messages. */
  purge(ids: readonly string[] | 'all'): Promise<PoisonActionResult>;
}

export class AmbiguousIdError extends Error {
  constructor(
    readonly prefix: string,
    readonly matches: string[],
  ) {
    super(`'${prefix}' matches ${matches.length} messages (${matches.slice(0, 5).join(', ')}); give more of the id`);
    this.name = 'AmbiguousIdError';
  }
}

const fromBase64 = (text: string): string | undefined => {
  // The queue trigger's default encoding; text that is not base64 is shown as it is.
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(text)) return undefined;
  return Buffer.from(text, 'base64').toString('utf8');
};
const toBase64 = (value: unknown): string => Buffer.from(JSON.stringify(value), 'utf8').toString('base64');

function parseJson(text: string | undefined): unknown {
  if (text === undefined) return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);

function isTicketEventMessage(v: unknown): v is { kind: 'ticketEvent'; event: Record<string, unknown> } {
  return isObject(v) && v.kind === 'ticketEvent' && isObject(v.event);
}

/** What a poison message says, whoever wrote it. */
export function parsePoisonMessage(item: PeekedMessageItem | DequeuedMessageItem): PoisonEntry {
  const decoded = parseJson(fromBase64(item.messageText));
  const base = {
    id: item.messageId,
    insertedOn: item.insertedOn.toISOString(),
    expiresOn: item.expiresOn.toISOString(),
  };
  let entry: PoisonEntry;
  if (isObject(decoded) && 'reason' in decoded && 'message' in decoded) {
    entry = {
      ...base,
      writer: 'riposte',
      message: decoded.message,
      ...(str(decoded.reason) !== undefined ? { reason: str(decoded.reason) } : {}),
      ...(typeof decoded.attempts === 'number' ? { attempts: decoded.attempts } : {}),
      ...(str(decoded.failedAt) !== undefined ? { failedAt: str(decoded.failedAt) } : {}),
    };
    if (isTicketEventMessage(decoded.message)) entry.replayText = toBase64(decoded.message);
  } else if (isTicketEventMessage(decoded)) {
    entry = { ...base, writer: 'host', message: decoded, replayText: item.messageText };
  } else {
    entry = { ...base, writer: 'unknown', message: decoded ?? item.messageText };
  }
  if (isTicketEventMessage(entry.message)) {
    const e = entry.message.event;
    for (const k of ['source', 'eventId', 'incidentId', 'ticketId'] as const) {
      const v = str(e[k]);
      if (v !== undefined && v !== '') entry[k] = v;
    }
  }
  return entry;
}

const statusOf = (e: unknown): number | undefined => (e as { statusCode?: number } | null)?.statusCode;

/** Matches ids or unique prefixes against what is in the queue. */
function resolveIds(wanted: readonly string[], present: readonly string[]): Map<string, string> {
  const resolved = new Map<string, string>();
  for (const w of wanted) {
    const exact = present.find((p) => p === w);
    const matches = exact ? [exact] : present.filter((p) => p.startsWith(w));
    if (matches.length > 1) throw new AmbiguousIdError(w, matches);
    if (matches[0] !== undefined) resolved.set(w, matches[0]);
  }
  return resolved;
}

export function createPoisonQueue(clients: Pick<StorageClients, 'queue'>, mainQueueName: string): PoisonQueue {
  const name = `${mainQueueName}-poison`;
  const poison = clients.queue(name);
  const main: QueueClient = clients.queue(mainQueueName);

  const count = async (): Promise<number> => {
    try {
      return (await poison.getProperties()).approximateMessagesCount ?? 0;
    } catch (e) {
      if (statusOf(e) === 404) return 0;
      throw e;
    }
  };

  /**
   * Receives every message present (holding each hidden), lets `act` decide per message, and makes the ones it kept
   * visible again. Messages inserted after the scan started are left alone: a replayed delivery that fails again
   * comes back as a new message and must not be replayed by the same command.
   */
  async function scan(
    act: (m: DequeuedMessageItem) => Promise<'keep' | 'removed'>,
    { onlyOlder, done = () => false }: { onlyOlder: boolean; done?: () => boolean },
  ): Promise<number> {
    // The service's clock (its Date header, whole seconds), not ours: insertion times are the service's.
    let startedAt: number;
    try {
      startedAt = ((await poison.getProperties()).date ?? new Date()).getTime();
    } catch (e) {
      if (statusOf(e) === 404) return 0;
      throw e;
    }
    let newer = 0;
    const held = new Map<string, DequeuedMessageItem>();
    let stop = false;
    try {
      while (!stop) {
        let batch: DequeuedMessageItem[];
        try {
          batch = (await poison.receiveMessages({ numberOfMessages: BATCH, visibilityTimeout: HOLD_SECONDS }))
            .receivedMessageItems;
        } catch (e) {
          if (statusOf(e) === 404) return newer;
          throw e;
        }
        if (batch.length === 0) break;
        let fresh = 0;
        for (const m of batch) {
          const seen = held.has(m.messageId);
          held.set(m.messageId, m); // the newest pop receipt
          if (seen || stop) continue;
          fresh++;
          // Newer than the scan (a replayed delivery that failed again): not ours to act on.
          if (onlyOlder && m.insertedOn.getTime() >= startedAt + 1000) {
            newer++;
            continue;
          }
          if ((await act(m)) === 'removed') held.delete(m.messageId);
          stop = done();
        }
        // Only messages seen before came back (their hold ran out during a long scan): everything was visited.
        if (fresh === 0) break;
      }
      return newer;
    } finally {
      // Visible again now rather than after the hold; best effort, the hold expires anyway.
      await Promise.allSettled(
        [...held.values()].map((m) => poison.updateMessage(m.messageId, m.popReceipt, undefined, 0)),
      );
    }
  }

  const list = async (): Promise<PoisonEntry[]> => {
    const total = await count();
    if (total === 0) return [];
    if (total <= BATCH) {
      // Read-only when everything fits in one peek (the count is approximate: check it was all there).
      const peeked = (await poison.peekMessages({ numberOfMessages: BATCH })).peekedMessageItems;
      if (peeked.length < BATCH) return peeked.map(parsePoisonMessage);
    }
    const all: PoisonEntry[] = [];
    await scan(
      async (m) => {
        all.push(parsePoisonMessage(m));
        return 'keep';
      },
      { onlyOlder: false },
    );
    return all.sort((a, b) => a.insertedOn.localeCompare(b.insertedOn));
  };

  const show = async (id: string): Promise<PoisonEntry | undefined> => {
    const entries = await list();
    const found = resolveIds(
      [id],
      entries.map((e) => e.id),
    ).get(id);
    return entries.find((e) => e.id === found);
  };

  async function act(
    ids: readonly string[] | 'all',
    apply: (entry: PoisonEntry, m: DequeuedMessageItem) => Promise<string | undefined>,
  ): Promise<PoisonActionResult> {
    const result: PoisonActionResult = { done: [], notFound: [], refused: [], arrivedSince: 0 };
    // Prefixes are resolved against a listing first, so a typo never acts on the wrong message.
    let targets: Set<string> | undefined;
    if (ids !== 'all') {
      const present = (await list()).map((e) => e.id);
      const resolved = resolveIds(ids, present);
      result.notFound.push(...ids.filter((i) => !resolved.has(i)));
      targets = new Set(resolved.values());
      if (targets.size === 0) return result;
    }
    const remaining = new Set(targets);
    result.arrivedSince = await scan(
      async (m) => {
        if (targets && !targets.has(m.messageId)) return 'keep';
        remaining.delete(m.messageId);
        const entry = parsePoisonMessage(m);
        const refusal = await apply(entry, m);
        if (refusal !== undefined) {
          result.refused.push({ entry, why: refusal });
          return 'keep';
        }
        await poison.deleteMessage(m.messageId, m.popReceipt);
        result.done.push(entry);
        return 'removed';
      },
      { onlyOlder: ids === 'all', done: () => targets !== undefined && remaining.size === 0 },
    );
    // Listed a moment ago but gone now: someone else replayed or purged it, or it expired.
    result.notFound.push(
      ...[...remaining].map((id) => (ids === 'all' ? id : (ids.find((i) => id.startsWith(i)) ?? id))),
    );
    return result;
  }

  return {
    name,
    mainQueue: mainQueueName,
    count,
    list,
    show,
    replay: (ids) =>
      act(ids, async (entry) => {
        if (entry.replayText === undefined)
          return 'not a ticket event: nothing the queue trigger could apply (purge it)';
        await main.createIfNotExists();
        // Back on the main queue first, then deleted here: a crash in between leaves a duplicate, never a loss,
        // and the trigger applies a delivery once whatever number of copies arrive.
        await main.sendMessage(entry.replayText);
        return undefined;
      }),
    purge: (ids) => act(ids, async () => undefined),
  };
}
