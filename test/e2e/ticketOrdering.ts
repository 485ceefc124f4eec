// Ticket events out of order and from several tickets at once, over real HTTP through the local host and the
// queue, checked in the sandbox afterwards (issue 11, items 4 and 14). ticketOrdering.test.ts runs it on Graph,
// ticketOrderingLegacy.test.ts on the legacy API; each starts its own harness plus a second host process on the
// same sandbox, Azurite and queue, so two instances apply messages at once.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { TableClient } from '@azure/data-tables';
import { deliveryRowKey } from '../../shared/automation/deliveryLog';
import { Scratch, startHostProcess, type HostProcess } from '../reliability/harness';
import { riposteCommentsOf, startHarness, storedIncident, waitFor, webhookFixture, type Harness } from './harness';

type JiraCategory = 'new' | 'indeterminate' | 'done';

const CATEGORY_NAMES: Record<JiraCategory, [string, string]> = {
  new: ['10000', 'To Do'],
  indeterminate: ['3', 'In Progress'],
  done: ['10001', 'Done'],
};

/**
 * A Jira Cloud `jira:issue_updated` delivery whose changelog names the status (Atlassian, "Webhooks",
 * https://developer.atlassian.com/cloud/jira/platform/webhooks/ : `timestamp` in ms, `issue.fields.status.
 * statusCategory.key`, `changelog {id, items[{field, fieldId, from, fromString, to, toString}]}`; the field list as
 * in shared/reference/webhooks-and-host.md §1.5). Built on test/webhooks/fixtures/jira-issue-resolved.json.
 */
export function jiraStatusEvent(o: {
  incidentId: string;
  issueId: string;
  key: string;
  changelogId: string;
  category: JiraCategory;
  timestamp: number;
  comment?: { id: string; text: string };
}): Record<string, unknown> {
  const base = webhookFixture('jira-issue-resolved.json') as {
    issue: { fields: Record<string, unknown> };
    [k: string]: unknown;
  };
  const [statusId, statusName] = CATEGORY_NAMES[o.category];
  const updated = new Date(o.timestamp).toISOString().replace('Z', '+0000');
  const fields: Record<string, unknown> = {
    ...base.issue.fields,
    status: {
      id: statusId,
      name: statusName,
      statusCategory: { id: o.category === 'done' ? 3 : o.category === 'new' ? 2 : 4, key: o.category },
    },
    customfield_10123: o.incidentId,
    customfield_10124: null,
    updated,
  };
  if (o.category !== 'done') {
    fields.resolution = null;
    fields.resolutiondate = null;
  }
  return {
    ...base,
    timestamp: o.timestamp,
    issue: { id: o.issueId, key: o.key, self: `https://example.atlassian.net/rest/api/2/issue/${o.issueId}`, fields },
    changelog: {
      id: o.changelogId,
      items: [
        {
          field: 'status',
          fieldtype: 'jira',
          fieldId: 'status',
          from: '1',
          fromString: 'x',
          to: statusId,
          toString: statusName,
        },
      ],
    },
    ...(o.comment
      ? {
          comment: {
            id: o.comment.id,
            author: { accountId: '5b10ac8d82e05b22cc7d4ef5', displayName: 'Ana Analyst' },
            body: o.comment.text,
            created: updated,
            jsdPublic: false,
          },
        }
      : {}),
  };
}

/**
 * A ServiceNow business-rule delivery for an `incident` record (ServiceNow's Table API field names and formats:
 * `sys_updated_on` `yyyy-MM-dd HH:mm:ss` UTC, `sys_mod_count`, `state` 2 In Progress / 6 Resolved, `close_code`,
 * `close_notes`; ServiceNow/ServiceNowDocs c_TableAPI.md and c_IncidentManagementStateModel.md, as summarised in
 * shared/reference/integration-conventions.md §5.2). Built on test/webhooks/fixtures/servicenow-incident-resolved.json.
 */
export function serviceNowEvent(o: {
  incidentId: string;
  sysId: string;
  number: string;
  modCount: number;
  state: '2' | '6' | '7';
  updatedOn: Date;
  changed: string[];
  closeNotes?: string;
  workNote?: string;
}): Record<string, unknown> {
  const base = webhookFixture('servicenow-incident-resolved.json');
  const when = o.updatedOn.toISOString().replace('T', ' ').slice(0, 19);
  return {
    ...base,
    sys_id: o.sysId,
    number: o.number,
    sys_mod_count: String(o.modCount),
    sys_updated_on: when,
    state: o.state,
    correlation_id: o.incidentId,
    close_notes: o.closeNotes ?? (o.state === '2' ? '' : base.close_notes),
    close_code: o.state === '2' ? '' : base.close_code,
    work_notes: o.workNote ? `${when} - Ana Analyst (Work notes)\n${o.workNote}\n\n` : '',
    changed_fields: o.changed,
  };
}

export function ticketOrderingSuite(api: 'graph' | 'legacy'): void {
  let h: Harness;
  let second: HostProcess;
  const scratch = new Scratch();

  before(async () => {
    h = await startHarness({ api });
    // A second Function App instance: its own process, same storage and sandbox, polling the same queue.
    second = await startHostProcess({
      settings: h.settings,
      hostJsonPath: scratch.hostJson({
        visibilityTimeout: '00:00:01',
        maxPollingInterval: '00:00:00.2',
        maxDequeueCount: 3,
      }),
    });
  });

  after(async () => {
    await second?.stop();
    await h?.close();
    scratch.cleanup();
  });

  const newIncident = (): string => String(h.sandbox.control.addIncident({ status: 'active' }).id);
  const stored = (id: string) => storedIncident(h, Number(id));
  const deliveries = (): TableClient =>
    TableClient.fromConnectionString(h.azurite.connectionString, 'RiposteDeliveries', {
      allowInsecureConnection: true,
    });
  /** The delivery-log row an operator reads for an event. */
  const deliveryRow = (source: string, eventId: string) =>
    deliveries().getEntity<Record<string, unknown>>(source, deliveryRowKey(eventId));
  const accepted = (status: number, text: string): void => assert.equal(status, 202, text);

  describe(`late ticket events never undo newer ones (${api})`, () => {
    it('Jira: resolved at t2, then a late "in progress" at t1: acknowledged, recorded stale, incident stays resolved', async () => {
      const incidentId = newIncident();
      const t2 = Date.now();
      const resolved = jiraStatusEvent({
        incidentId,
        issueId: '20001',
        key: 'SEC-901',
        changelogId: '70002',
        category: 'done',
        timestamp: t2,
      });
      const r1 = await h.webhook('jira', resolved);
      accepted(r1.status, r1.text);
      await waitFor('the incident resolved', () => stored(incidentId).status === 'resolved');
      await h.host.drainQueues(20_000);

      // Jira retried an earlier delivery ~2 minutes late (it may, for up to ~30 min: reference §4.2).
      const late = jiraStatusEvent({
        incidentId,
        issueId: '20001',
        key: 'SEC-901',
        changelogId: '70001',
        category: 'indeterminate',
        timestamp: t2 - 120_000,
        comment: { id: '80001', text: 'Looking into it.' },
      });
      const r2 = await h.webhook('jira', late);
      accepted(r2.status, r2.text);
      // Comments are additive: the late comment still lands, its status does not.
      await waitFor('the late comment', () =>
        riposteCommentsOf(h, Number(incidentId)).some((c) => c.includes('[SEC-901] Looking into it.')),
      );
      await h.host.drainQueues(20_000);
      assert.equal(stored(incidentId).status, 'resolved');
      const row = await deliveryRow('jira', 'jira:issue:20001:changelog:70001');
      assert.equal(row.outcome, 'stale');
      assert.equal(row.skippedFields, 'status,link:sec-901');
      assert.ok(
        [...h.logs, ...second.lines].some((l) => l.includes('[ticket-sync] stale') && l.includes(incidentId)),
        'a log event names the stale event',
      );
      const applied = await deliveryRow('jira', 'jira:issue:20001:changelog:70002');
      assert.equal(applied.outcome, 'applied');
    });

    it('ServiceNow: two updates in the same second are ordered by sys_mod_count, whatever order they arrive in', async () => {
      const incidentId = newIncident();
      const sysId = randomUUID().replace(/-/g, '');
      const second0 = new Date(Math.floor(Date.now() / 1000) * 1000);
      const resolved = serviceNowEvent({
        incidentId,
        sysId,
        number: 'INC0020002',
        modCount: 9,
        state: '6',
        updatedOn: second0,
        changed: ['state', 'close_code'],
      });
      const inProgress = serviceNowEvent({
        incidentId,
        sysId,
        number: 'INC0020002',
        modCount: 8,
        state: '2',
        updatedOn: second0,
        changed: ['state'],
      });
      const r1 = await h.webhook('servicenow', resolved, { id: `${sysId}.9` });
      accepted(r1.status, r1.text);
      await waitFor('the incident resolved', () => stored(incidentId).status === 'resolved');
      await h.host.drainQueues(20_000);
      const r2 = await h.webhook('servicenow', inProgress, { id: `${sysId}.8` });
      accepted(r2.status, r2.text);
      await h.host.drainQueues(20_000);
      await waitFor('the late update recorded', async () => {
        const row = await deliveryRow('servicenow', `servicenow:${sysId}:8`).catch(() => undefined);
        return row?.outcome !== undefined;
      });
      assert.equal(stored(incidentId).status, 'resolved');
      assert.equal((await deliveryRow('servicenow', `servicenow:${sysId}:8`)).outcome, 'stale');
    });
  });

  describe(`Standard Webhooks envelope and ServiceNow resolution notes (${api})`, () => {
    it('generic: a Standard Webhooks envelope is applied; a later-delivered but older envelope is recorded stale', async () => {
      const incidentId = newIncident();
      // Payload structure of the Standard Webhooks spec v1.0.0 ({type, timestamp, data}; reference §3.2), signed
      // with webhook-id / webhook-timestamp / webhook-signature by the harness (§3.1).
      const now = Date.now();
      const resolved = {
        type: 'ticket.updated',
        timestamp: new Date(now).toISOString(),
        data: { incidentId, status: 'Resolved', ticketId: 'CHG-31', comment: 'Closed by the change board.' },
      };
      const r1 = await h.webhook('generic', resolved, { id: `msg_${randomUUID()}` });
      accepted(r1.status, r1.text);
      await waitFor('the envelope applied', () => stored(incidentId).status === 'resolved');
      await h.host.drainQueues(20_000);
      assert.ok(stored(incidentId).customTags.includes('ticket:CHG-31'));
      assert.ok(
        riposteCommentsOf(h, Number(incidentId)).some((c) => c.startsWith('[CHG-31] Closed by the change board.')),
      );

      const lateId = `msg_${randomUUID()}`;
      const late = {
        type: 'ticket.updated',
        timestamp: new Date(now - 60_000).toISOString(),
        data: { incidentId, status: 'In Progress', ticketId: 'CHG-31' },
      };
      const r2 = await h.webhook('generic', late, { id: lateId });
      accepted(r2.status, r2.text);
      await h.host.drainQueues(20_000);
      await waitFor('the late envelope recorded', async () => {
        const row = await deliveryRow('generic', `generic:${lateId}`).catch(() => undefined);
        return row?.outcome !== undefined;
      });
      assert.equal(stored(incidentId).status, 'resolved');
      assert.equal((await deliveryRow('generic', `generic:${lateId}`)).outcome, 'stale');
    });

    it('ServiceNow: resolving a record puts its close code and close_notes in the incident comment', async () => {
      const incidentId = newIncident();
      const sysId = randomUUID().replace(/-/g, '');
      const payload = serviceNowEvent({
        incidentId,
        sysId,
        number: 'INC0020031',
        modCount: 4,
        state: '6',
        updatedOn: new Date(),
        changed: ['state', 'close_code', 'close_notes'],
        closeNotes: 'Password reset; MFA re-registered.',
      });
      const r = await h.webhook('servicenow', payload, { id: `${sysId}.4` });
      accepted(r.status, r.text);
      const [comment] = await waitFor('the resolution comment', () => {
        const c = riposteCommentsOf(h, Number(incidentId));
        return c.length > 0 ? c : undefined;
      });
      assert.match(
        comment!,
        /^\[INC0020031\] Resolution code: Resolved by caller\nResolution notes: Password reset; MFA re-registered\. — \[riposte:[0-9a-f]{8}\]$/,
      );
      assert.equal(stored(incidentId).status, 'resolved');
    });
  });

  describe(`two tickets linked to one incident (${api})`, () => {
    it('events from six tickets, applied at once on two instances, all leave their link tag', async () => {
      const incidentId = newIncident();
      // Slow Defender answers widen the read-modify-write window of the tag list (both APIs replace it whole).
      h.sandbox.control.injectFaults({ target: 'incidents', delayMs: 150, count: 200 });
      try {
        const keys = [1, 2, 3, 4, 5, 6].map((n) => `SEC-95${n}`);
        const replies = await Promise.all(
          keys.map((key, i) =>
            h.webhook(
              'jira',
              jiraStatusEvent({
                incidentId,
                issueId: `2095${i}`,
                key,
                changelogId: `7095${i}`,
                category: 'indeterminate',
                timestamp: Date.now(),
                comment: { id: `8095${i}`, text: `Picked up in ${key}.` },
              }),
            ),
          ),
        );
        for (const r of replies) accepted(r.status, r.text);
        await waitFor(
          'a comment from every ticket',
          () => riposteCommentsOf(h, Number(incidentId)).length >= keys.length,
          60_000,
        );
        await h.host.drainQueues(60_000);
      } finally {
        h.sandbox.control.clearFaults();
      }
      const tags = stored(incidentId).customTags;
      for (const key of ['SEC-951', 'SEC-952', 'SEC-953', 'SEC-954', 'SEC-955', 'SEC-956'])
        assert.ok(tags.includes(`ticket:${key}`), `ticket:${key} in ${JSON.stringify(tags)}`);
    });
  });
}
