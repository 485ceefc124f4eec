// `riposte poison list|show|replay|purge`: the ticket-event poison queue for operators. What failed and why, and
// putting deliveries back on the main queue once the cause is fixed (the queue trigger applies them again, once
// each: its writes are keyed by the delivery's event id).
import { parseArgs } from 'node:util';
import { CLOUDS, type Cloud } from '../shared/clouds';
import type { Env } from '../shared/config';
import {
  AmbiguousIdError,
  createPoisonQueue,
  type PoisonActionResult,
  type PoisonEntry,
  type PoisonQueue,
} from '../shared/automation/poisonQueue';
import { createStorageClients, type StorageClients } from '../shared/automation/storageClients';
import { redact } from '../shared/logger';
import { EXIT } from './exitCodes';
import { effectiveSettings } from './settings';
import { UsageError } from './usageError';

export const POISON_OPTIONS = {
  settings: { type: 'string' },
  all: { type: 'boolean' },
  yes: { type: 'boolean' },
  json: { type: 'boolean' },
} as const;

const DEFAULT_QUEUE = 'riposte-ticket-events';

export const POISON_USAGE = `Usage: riposte poison <list | show <id> | replay <id>... | replay --all | purge <id>... --yes | purge --all --yes>

Ticket events the queue trigger could not apply land on <TICKET_EVENTS_QUEUE>-poison (${DEFAULT_QUEUE}-poison
by default), with the reason when Riposte put them there; the Functions host moves a message there without
one after maxDequeueCount failed attempts. Poison messages expire after 7 days.

Subcommands:
  list                   Every message: id, when it landed, source, event id, incident and reason.
  show <id>              One message in full: the ticket event, the reason and the attempts.
  replay <id>...         Put messages back on the main queue, where the queue trigger applies them again,
                         then delete them here. Fix the cause first. Safe to repeat or to run twice at once:
                         a delivery is applied once, keyed by its event id.
  purge <id>...          Delete messages for good (needs --yes).
  <id> is a message id from list, or enough of its first characters to be unique.

Options:
  --all                  replay or purge every message present when the command starts.
  --yes                  Confirm purge.
  --settings <file>      Settings file (default ./local.settings.json). AzureWebJobsStorage (or
                         AzureWebJobsStorage__accountName, with a managed identity) and TICKET_EVENTS_QUEUE
                         come from the environment first, then this file.
  --json                 Machine-readable output on stdout.
  -h, --help             This text.

Exit codes: 0 done; 1 an id was not found or could not be replayed, or storage failed; 2 usage or settings error.`;

interface Io {
  stdout(text: string): void;
  stderr(text: string): void;
  cwd: string;
  env?: Record<string, string | undefined>;
}

const hasManagedIdentity = (env: Env): boolean => Boolean(env.IDENTITY_ENDPOINT || env.MSI_ENDPOINT);

/** The poison queue the settings name. @throws {UsageError} when no storage is configured or usable here. */
export function poisonQueueFromSettings(settings: Env): PoisonQueue {
  const queue = settings.TICKET_EVENTS_QUEUE || DEFAULT_QUEUE;
  if (!/^[a-z0-9](?:[a-z0-9]|-(?=[a-z0-9])){2,56}$/.test(queue))
    throw new UsageError(
      'TICKET_EVENTS_QUEUE must be a valid queue name (3-57 lower-case letters, digits, single dashes)',
    );
  const connection = settings.AzureWebJobsStorage || undefined;
  const accountName = settings.AzureWebJobsStorage__accountName || undefined;
  if (!connection && !accountName) {
    throw new UsageError(
      'no storage configured: set AzureWebJobsStorage (a connection string) or AzureWebJobsStorage__accountName, in the environment or local.settings.json (--settings)',
    );
  }
  if (!connection && !hasManagedIdentity(settings)) {
    throw new UsageError(
      'AzureWebJobsStorage__accountName needs a managed identity (IDENTITY_ENDPOINT or MSI_ENDPOINT) to reach storage; run where it exists (Cloud Shell, an Azure VM or container with a queue data role), or set AzureWebJobsStorage to a connection string',
    );
  }
  const cloud = (settings.DEFENDER_CLOUD || 'public') as Cloud;
  if (!CLOUDS.includes(cloud)) throw new UsageError(`DEFENDER_CLOUD must be one of ${CLOUDS.join(', ')}`);
  const clients: StorageClients = createStorageClients({
    storageConnectionString: connection,
    storageAccountName: accountName,
    cloud,
    managedIdentityClientId: settings.MANAGED_IDENTITY_CLIENT_ID || undefined,
  });
  return createPoisonQueue(clients, queue);
}

const oneLine = (s: string | undefined, max: number): string => {
  const t = (s ?? '').replace(/\s+/g, ' ').trim();
  return t.length > max ? `${t.slice(0, max - 1)}…` : t;
};

function reasonOf(e: PoisonEntry): string {
  if (e.reason !== undefined) return e.reason;
  if (e.writer === 'host')
    return '(no reason recorded: moved by the Functions host after its last attempt; see the logs)';
  return '(not a ticket event)';
}

function formatList(entries: PoisonEntry[], queue: PoisonQueue): string {
  if (entries.length === 0) return `${queue.name}: empty\n`;
  const lines = [`${queue.name}: ${entries.length} message(s), oldest first`, ''];
  lines.push(
    `  ${'id'.padEnd(36)}  ${'landed'.padEnd(20)}  ${'source'.padEnd(10)}  ${'incident'.padEnd(9)}  event id / reason`,
  );
  for (const e of entries) {
    lines.push(
      `  ${e.id.padEnd(36)}  ${e.insertedOn.slice(0, 19).padEnd(20)}  ${(e.source ?? '-').padEnd(10)}  ${(e.incidentId ?? '-').padEnd(9)}  ${e.eventId ?? '-'}`,
    );
    lines.push(`  ${''.padEnd(36)}  ${oneLine(reasonOf(e), 110)}`);
  }
  lines.push('', 'riposte poison show <id> for one in full; replay <id> (or --all) once the cause is fixed.');
  return `${lines.join('\n')}\n`;
}

function formatEntry(e: PoisonEntry, queue: PoisonQueue): string {
  const lines = [
    `Message ${e.id} on ${queue.name}`,
    `  landed     ${e.insertedOn} (expires ${e.expiresOn})`,
    `  written by ${e.writer === 'riposte' ? 'Riposte (applyTicketEvent)' : e.writer === 'host' ? 'the Functions host' : 'unknown'}`,
    ...(e.failedAt
      ? [`  failed at  ${e.failedAt}${e.attempts !== undefined ? ` after ${e.attempts} attempt(s)` : ''}`]
      : []),
    `  reason     ${reasonOf(e)}`,
    ...(e.source ? [`  source     ${e.source}`] : []),
    ...(e.eventId ? [`  event id   ${e.eventId}`] : []),
    ...(e.ticketId ? [`  ticket     ${e.ticketId}`] : []),
    ...(e.incidentId ? [`  incident   ${e.incidentId}`] : []),
    `  replayable ${e.replayText !== undefined ? 'yes' : 'no'}`,
    '',
    'Message:',
    JSON.stringify(e.message, null, 2),
  ];
  return `${lines.join('\n')}\n`;
}

function formatResult(verb: 'replayed' | 'purged', r: PoisonActionResult, queue: PoisonQueue): string {
  const lines: string[] = [];
  const where = verb === 'replayed' ? ` to ${queue.mainQueue}` : '';
  lines.push(`${r.done.length} message(s) ${verb}${where}${r.done.length ? ':' : '.'}`);
  for (const e of r.done)
    lines.push(`  ${e.id}  ${e.source ?? '-'} ${e.eventId ?? ''} incident ${e.incidentId ?? '-'}`);
  for (const f of r.refused) lines.push(`Not ${verb}: ${f.entry.id}: ${f.why}`);
  for (const id of r.notFound)
    lines.push(`Not found: ${id} (already replayed or purged, expired, or being handled by another command right now)`);
  if (r.arrivedSince > 0)
    lines.push(`${r.arrivedSince} message(s) arrived while this ran and were left for the next command.`);
  if (verb === 'replayed' && r.done.length > 0)
    lines.push(`The queue trigger applies them shortly; one that fails again comes back here with its reason.`);
  return `${lines.join('\n')}\n`;
}

/** `riposte poison …`. @returns the exit code. */
export async function poisonCommand(args: string[], io: Io): Promise<number> {
  try {
    return await poison(args, io);
  } catch (e) {
    // A prefix that matches several messages is the caller's to fix.
    if (e instanceof AmbiguousIdError) throw new UsageError(e.message);
    throw e;
  }
}

async function poison(args: string[], io: Io): Promise<number> {
  const { values, positionals } = parseArgs({ args, allowPositionals: true, options: POISON_OPTIONS });
  const [sub, ...ids] = positionals;
  const json = values.json === true;
  const all = values.all === true;
  switch (sub) {
    case 'list':
    case 'show':
    case 'replay':
    case 'purge':
      break;
    case undefined:
      throw new UsageError('poison needs a subcommand: list, show, replay or purge');
    default:
      throw new UsageError(`unknown poison subcommand '${sub}': list, show, replay or purge`);
  }
  if (sub === 'list' && ids.length > 0) throw new UsageError('poison list takes no id');
  if (sub === 'show' && ids.length !== 1) throw new UsageError('poison show takes one id');
  if ((sub === 'replay' || sub === 'purge') && all === ids.length > 0)
    throw new UsageError(`poison ${sub} takes message ids or --all (not both)`);
  if ((sub === 'list' || sub === 'show') && (all || values.yes))
    throw new UsageError(`--all and --yes are for replay and purge`);
  if (sub === 'replay' && values.yes) throw new UsageError('--yes is for purge');
  if (sub === 'purge' && !values.yes)
    throw new UsageError(
      `purge deletes ${all ? 'every poison message' : `${ids.length} message(s)`} for good: add --yes to confirm (riposte poison list shows them)`,
    );

  const { values: settings } = effectiveSettings({
    ...(values.settings !== undefined ? { settingsFile: values.settings } : {}),
    cwd: io.cwd,
    env: io.env ?? process.env,
  });
  const queue = poisonQueueFromSettings(settings);
  const out = (text: string): void => io.stdout(redact(text));

  if (sub === 'list') {
    const entries = await queue.list();
    out(
      json
        ? `${JSON.stringify({ queue: queue.name, messages: entries.map(view) }, null, 2)}\n`
        : formatList(entries, queue),
    );
    return EXIT.ok;
  }
  if (sub === 'show') {
    const entry = await queue.show(ids[0] as string);
    if (!entry) {
      io.stderr(`riposte: no message ${ids[0]} on ${queue.name} (riposte poison list shows what is there)\n`);
      return EXIT.failed;
    }
    out(json ? `${JSON.stringify(view(entry), null, 2)}\n` : formatEntry(entry, queue));
    return EXIT.ok;
  }
  const target = all ? ('all' as const) : ids;
  const result = sub === 'replay' ? await queue.replay(target) : await queue.purge(target);
  out(
    json
      ? `${JSON.stringify(
          {
            queue: queue.name,
            [sub === 'replay' ? 'replayed' : 'purged']: result.done.map(view),
            notFound: result.notFound,
            refused: result.refused.map((f) => ({ id: f.entry.id, why: f.why })),
            arrivedSince: result.arrivedSince,
          },
          null,
          2,
        )}\n`
      : formatResult(sub === 'replay' ? 'replayed' : 'purged', result, queue),
  );
  return result.notFound.length > 0 || result.refused.length > 0 ? EXIT.failed : EXIT.ok;
}

/** An entry as --json shows it: without the base64 copy of the message (it is `message`, decoded). */
function view(e: PoisonEntry): Omit<PoisonEntry, 'replayText'> & { replayable: boolean } {
  const { replayText, ...rest } = e;
  return { ...rest, replayable: replayText !== undefined };
}
