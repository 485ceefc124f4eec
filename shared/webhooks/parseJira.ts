// Jira Cloud admin webhooks (webhooks-and-host.md §1.5): `jira:issue_created`, `jira:issue_updated` (edits,
// transitions and comments, told apart by the changelog) and `comment_created`. Only fields named in the
// changelog are applied, so editing a summary never re-sends a status someone since changed in Defender.
import type { IncidentUpdate } from '../defender/types';
import { InputError } from '../errors';
import { hasRiposteMarker, jiraCommentText } from './commentText';
import { tableKey } from './fieldPath';
import { findIncidentId, mapTicketFields } from './mapTicketFields';
import { isoFromMillis } from './parseTime';
import { header, isRecord } from './readBody';
import type { IgnoredDelivery, JiraMapping, RawDelivery, TicketEvent } from './types';

interface JiraComment {
  id: string;
  text: string;
  authorId: string | undefined;
  /** False for JSM internal notes and comments restricted to a role or group. */
  isPublic: boolean;
}

const EVENTS: Record<string, 'created' | 'updated' | 'comment'> = {
  'jira:issue_created': 'created',
  'jira:issue_updated': 'updated',
  comment_created: 'comment',
};

function idText(v: unknown, where: string): string {
  if (typeof v === 'number' && Number.isSafeInteger(v)) return String(v);
  if (typeof v === 'string' && /^[\x21-\x7e]{1,64}$/.test(v)) return v;
  throw new InputError(where, `${where} must be an id`);
}

function accountId(user: unknown): string | undefined {
  return isRecord(user) && typeof user.accountId === 'string' && user.accountId !== '' ? user.accountId : undefined;
}

function readComment(v: unknown): JiraComment | undefined {
  if (v === undefined || v === null) return undefined;
  if (!isRecord(v)) throw new InputError('body.comment', 'body.comment must be an object');
  const text = jiraCommentText(v.body);
  if (text === undefined) {
    throw new InputError(
      'body.comment.body',
      'body.comment.body must be text or an Atlassian Document Format document',
    );
  }
  const restricted = isRecord(v.visibility) && typeof v.visibility.value === 'string';
  return {
    id: idText(v.id, 'body.comment.id'),
    text,
    authorId: accountId(v.updateAuthor) ?? accountId(v.author),
    isPublic: v.jsdPublic !== false && !restricted,
  };
}

/** Field ids and names the changelog says changed (`fieldId` is missing on some captures: fall back to `field`). */
function changedFields(changelog: unknown): { id: string | undefined; fields: Set<string> } {
  const fields = new Set<string>();
  if (changelog === undefined || changelog === null) return { id: undefined, fields };
  if (!isRecord(changelog)) throw new InputError('body.changelog', 'body.changelog must be an object');
  const items = changelog.items ?? [];
  if (!Array.isArray(items)) throw new InputError('body.changelog.items', 'body.changelog.items must be a list');
  items.forEach((item, i) => {
    if (!isRecord(item))
      throw new InputError(`body.changelog.items[${i}]`, `body.changelog.items[${i}] must be an object`);
    for (const k of [item.fieldId, item.field]) if (typeof k === 'string' && k !== '') fields.add(k);
  });
  const id =
    changelog.id === undefined || changelog.id === null ? undefined : idText(changelog.id, 'body.changelog.id');
  return { id, fields };
}

function commentExclusion(c: JiraComment, m: JiraMapping): string | undefined {
  if (m.comments.visibility === 'public' && !c.isPublic) {
    return `comment ${c.id} is internal and comments.visibility is public`;
  }
  if (m.comments.visibility === 'internal' && c.isPublic) {
    return `comment ${c.id} is public and comments.visibility is internal`;
  }
  if (c.text === '') return `comment ${c.id} has no text`;
  return undefined;
}

/** See parseDelivery. `body` is the already-parsed JSON object. */
export function parseJira(
  d: RawDelivery,
  body: Record<string, unknown>,
  m: JiraMapping,
): TicketEvent | IgnoredDelivery {
  const eventName = body.webhookEvent;
  if (typeof eventName !== 'string' || eventName === '') {
    throw new InputError('body.webhookEvent', 'body.webhookEvent must be the Jira event name');
  }
  const kind = Object.hasOwn(EVENTS, eventName) ? EVENTS[eventName] : undefined;
  if (kind === undefined) return { ignored: `Jira event ${JSON.stringify(eventName.slice(0, 60))} is not mapped` };
  if (kind === 'created' && !m.applyIssueCreated)
    return { ignored: `jira:issue_created is ignored (issueCreated: ignore in ${m.file})` };
  if (kind === 'comment' && !m.comments.enabled) return { ignored: `comments are off in ${m.file}` };
  if (kind === 'comment' && m.comments.from !== 'comment_created') {
    // The jira:issue_updated twin carries the same comment with the full issue (comment_created has a reduced one).
    return { ignored: `comments are taken from jira:issue_updated (comments.from in ${m.file})` };
  }

  const identifier = header(d.headers, 'x-atlassian-webhook-identifier');
  if (identifier === undefined || identifier.length > 256) {
    throw new InputError(
      'headers.x-atlassian-webhook-identifier',
      'x-atlassian-webhook-identifier header (the delivery id) must be present and at most 256 characters',
    );
  }
  const occurredAt = isoFromMillis(body.timestamp, 'body.timestamp');
  const issue = body.issue;
  if (!isRecord(issue)) throw new InputError('body.issue', 'body.issue must be an object');
  if (typeof issue.key !== 'string' || !/^[\x21-\x7e]{1,255}$/.test(issue.key)) {
    throw new InputError('body.issue.key', 'body.issue.key must be the issue key, e.g. SEC-42');
  }
  const key = issue.key;
  const issueId = idText(issue.id, 'body.issue.id');
  const fields = issue.fields ?? {};
  if (!isRecord(fields)) throw new InputError('body.issue.fields', 'body.issue.fields must be an object');
  const comment = readComment(body.comment);
  if (kind === 'comment' && !comment) throw new InputError('body.comment', 'comment_created must carry body.comment');
  const changelog = kind === 'updated' ? changedFields(body.changelog) : { id: undefined, fields: new Set<string>() };

  const base = 'body.issue.fields';
  const incidentId = findIncidentId(m.incidentId, { record: fields, base, file: m.file });
  if (incidentId === undefined) {
    const reduced =
      kind === 'comment' ? ' (comment_created carries a reduced issue: the issue_updated twin has every field)' : '';
    return { ignored: `Jira issue ${key} is not linked to a Defender incident${reduced}` };
  }

  const { update, warnings } =
    kind === 'comment'
      ? { update: {} as IncidentUpdate, warnings: [] as string[] }
      : mapTicketFields(m, {
          record: fields,
          base,
          file: m.file,
          ...(kind === 'updated' ? { changed: (f: string) => changelog.fields.has(f) } : {}),
        });
  const fieldChanges = Object.keys(update).length;

  const takeComment =
    comment !== undefined &&
    m.comments.enabled &&
    (kind === 'comment' || (kind === 'updated' && m.comments.from === 'issue_updated'));
  const excluded = takeComment ? commentExclusion(comment, m) : undefined;
  if (takeComment && excluded === undefined) update.comment = `[${key}] ${comment.text}`;

  if (Object.keys(update).length === 0) {
    return { ignored: excluded ?? (warnings[0] ? warnings.join('; ') : `no mapped field of ${key} changed`) };
  }

  // A comment alone is one logical event whichever twin delivered it; field changes are keyed by the changelog.
  const commentOnly = fieldChanges === 0 && comment !== undefined;
  const eventId = commentOnly
    ? `jira:comment:${comment.id}`
    : kind === 'created'
      ? `jira:issue:${issueId}:created`
      : `jira:issue:${issueId}:${changelog.id !== undefined ? `changelog:${changelog.id}` : `at:${String(body.timestamp)}`}`;
  const deliveryId = commentOnly ? `${identifier}:comment:${comment.id}` : identifier;

  const actor = accountId(body.user) ?? comment?.authorId;
  const isEcho = (id: string | undefined): boolean => id !== undefined && m.echoActors.has(tableKey(id));
  const echo =
    isEcho(actor) || (update.comment !== undefined && (isEcho(comment?.authorId) || hasRiposteMarker(comment?.text)));

  return {
    source: 'jira',
    deliveryId,
    eventId,
    ticketId: key,
    incidentId,
    occurredAt,
    // Changelog ids grow with each change on a site: they order two changes of one issue in the same millisecond.
    ...(changelog.id !== undefined && /^\d{1,30}$/.test(changelog.id) ? { sequence: changelog.id } : {}),
    ...(actor !== undefined ? { actor } : {}),
    update,
    echo,
    ...(warnings.length > 0 ? { warnings } : {}),
  };
}
