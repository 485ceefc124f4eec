// Deliveries as the vendors send them, built from their documented examples (fixtures/INDEX.md), and signed here
// from the specs (not with Riposte's own signer, so a signing bug cannot hide by being on both sides):
// - Standard Webhooks v1: `v1,` + base64 HMAC-SHA256 over `${id}.${timestamp}.${body}`, keyed by the base64 secret
//   after `whsec_` (standard-webhooks spec/standard-webhooks.md, "Signature scheme").
// - Jira admin webhooks: `x-hub-signature: sha256=<hex HMAC-SHA256 of the raw body>` keyed by the secret's bytes
//   (shared/reference/integration-conventions.md §4.3).
import { createHmac, randomBytes, randomUUID } from 'node:crypto';
import { fixtureJson } from './fixtures';

export interface Delivery {
  body: string;
  headers: Record<string, string>;
}

/** Standard Webhooks headers for `body`, signed with a `whsec_` secret. */
export function standardWebhooksDelivery(
  body: string,
  secret: string,
  o: { id?: string; timestamp?: number } = {},
): Delivery {
  const id = o.id ?? `msg_${randomBytes(12).toString('hex')}`;
  const timestamp = String(o.timestamp ?? Math.floor(Date.now() / 1000));
  const key = Buffer.from(secret.replace(/^whsec_/, ''), 'base64');
  const signature = createHmac('sha256', key).update(`${id}.${timestamp}.${body}`).digest('base64');
  return {
    body,
    headers: {
      'content-type': 'application/json',
      'webhook-id': id,
      'webhook-timestamp': timestamp,
      'webhook-signature': `v1,${signature}`,
    },
  };
}

/** A Jira admin-webhook delivery of `payload`, signed with `secret`. */
export function jiraDelivery(payload: object, secret: string, deliveryId: string = randomUUID()): Delivery {
  const body = JSON.stringify(payload);
  return {
    body,
    headers: {
      'content-type': 'application/json',
      'x-hub-signature': `sha256=${createHmac('sha256', Buffer.from(secret, 'utf8')).update(body).digest('hex')}`,
      'x-atlassian-webhook-identifier': deliveryId,
      'x-atlassian-webhook-flow': 'Primary',
    },
  };
}

/** Jira's fixed status categories (Jira REST API `statusCategory`: key, id, colour, name). */
const CATEGORIES = {
  new: { id: 2, key: 'new', colorName: 'blue-gray', name: 'To Do' },
  indeterminate: { id: 4, key: 'indeterminate', colorName: 'yellow', name: 'In Progress' },
  done: { id: 3, key: 'done', colorName: 'green', name: 'Done' },
} as const;
const STATUS_IDS = { new: '10000', indeterminate: '3', done: '10001' } as const;

export interface JiraChange {
  /** The Defender incident the ticket is linked to (the shipped mapping reads a `defender-<id>` label). */
  incidentId: string;
  /** The status category the issue moves to (a `status` changelog item is added). */
  to: keyof typeof CATEGORIES;
  from?: keyof typeof CATEGORIES;
  /** Event time in ms (Jira's `timestamp`); default now. */
  timestamp?: number;
  issueKey?: string;
  /** Jira's changelog ids grow with each change (default random). */
  changelogId?: number;
}

/**
 * Atlassian's documented `jira:issue_updated` example with the three things a real delivery about a linked ticket
 * carries on top: a fresh `timestamp`, the link (label `defender-<id>`, mappings/jira.yaml) and a status transition
 * (the issue's `fields.status` and a `status` changelog item, in the example's own item shape).
 */
export function jiraIssueUpdated(c: JiraChange): Record<string, unknown> {
  const p = fixtureJson<{
    timestamp: number;
    issue: { id: string; key: string; self: string; fields: Record<string, unknown> & { labels: string[] } };
    changelog: { id: number; items: Record<string, unknown>[] };
  }>('jira/issue-updated-example.json');
  const from = c.from ?? 'new';
  const issueId = String(10000 + Math.floor(Math.random() * 89999));
  p.timestamp = c.timestamp ?? Date.now();
  p.issue.id = issueId;
  p.issue.key = c.issueKey ?? `JRA-${issueId}`;
  p.issue.self = p.issue.self.replace(/\/\d+$/, `/${issueId}`);
  p.issue.fields.labels = [...p.issue.fields.labels, `defender-${c.incidentId}`];
  p.issue.fields.status = {
    self: `https://your-domain.atlassian.net/rest/api/2/status/${STATUS_IDS[c.to]}`,
    id: STATUS_IDS[c.to],
    name: CATEGORIES[c.to].name,
    statusCategory: {
      self: `https://your-domain.atlassian.net/rest/api/2/statuscategory/${CATEGORIES[c.to].id}`,
      ...CATEGORIES[c.to],
    },
  };
  p.changelog.id = c.changelogId ?? Math.floor(Math.random() * 1_000_000);
  p.changelog.items = [
    {
      toString: CATEGORIES[c.to].name,
      to: STATUS_IDS[c.to],
      fromString: CATEGORIES[from].name,
      from: STATUS_IDS[from],
      fieldtype: 'jira',
      field: 'status',
    },
  ];
  return p;
}

/** ServiceNow's `yyyy-MM-dd HH:mm:ss` (UTC, the stored value). */
export function serviceNowTime(d: Date): string {
  return d.toISOString().slice(0, 19).replace('T', ' ');
}

export interface ServiceNowChange {
  incidentId: string;
  /** Incident state code: 2 In Progress, 6 Resolved, 7 Closed. */
  state: string;
  closeCode?: string;
  closeNotes?: string;
  workNotes?: string;
  /** Default now. */
  updatedOn?: Date;
  /** Which fields the business rule reports as changed (default: the ones set here). */
  changed?: string[];
  sysId?: string;
  number?: string;
  /** `sys_mod_count`, which grows with every update of the record (default random). */
  modCount?: number;
}

/**
 * The incident record from ServiceNow's Table API documentation, as an after-update business rule posts it
 * (mappings/README.md): the record's own fields and formats, with the link to Defender (`correlation_id`,
 * `correlation_display`), the change, `sys_updated_on` and `sys_mod_count` set, and `changed_fields`.
 */
export function serviceNowIncident(c: ServiceNowChange): Record<string, unknown> {
  const record = fixtureJson<{ result: Record<string, unknown> }>(
    'servicenow/table-api-patch-incident-response.json',
  ).result;
  const changed = ['state'];
  record.sys_id = c.sysId ?? randomBytes(16).toString('hex');
  record.number = c.number ?? `INC${String(Math.floor(Math.random() * 9_000_000) + 1_000_000)}`;
  record.sys_mod_count = String(c.modCount ?? Number(record.sys_mod_count) + 1 + Math.floor(Math.random() * 1000));
  record.sys_updated_on = serviceNowTime(c.updatedOn ?? new Date());
  record.correlation_id = c.incidentId;
  record.correlation_display = 'Microsoft Defender XDR';
  record.state = c.state;
  record.incident_state = c.state;
  if (c.closeCode !== undefined) {
    record.close_code = c.closeCode;
    changed.push('close_code');
  }
  if (c.closeNotes !== undefined) {
    record.close_notes = c.closeNotes;
    changed.push('close_notes');
  }
  if (c.workNotes !== undefined) {
    record.work_notes = c.workNotes;
    changed.push('work_notes');
  }
  record.changed_fields = c.changed ?? changed;
  return record;
}
