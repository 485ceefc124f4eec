// One journey per shipped workflow: how to prepare the sandbox so a run has something to change, the input a user
// would give it on the CLI or over HTTP, the delivery each ticketing source would send, and the incident state the
// run must leave behind. A workflow added to workflows/ without an entry here fails the journeys suite by name.
import assert from 'node:assert/strict';
import { createSeedTables } from '../../sandbox/kql';
import type { StoredAlert } from '../../sandbox';
import { isRiposteComment } from '../../shared/engine';
import type { AppStack } from '../helpers/appStack';
import {
  jiraDelivery,
  jiraIssueUpdated,
  serviceNowIncident,
  standardWebhooksDelivery,
  type Delivery,
} from '../contracts/vendorPayloads';
import type { EntryPoint, WebhookSource } from './entryPoints';

export interface JourneyCase {
  incidentId: string;
  ticketId: string;
  /** The workflow input for CLI and HTTP runs (a timer run uses the workflow's defaults). */
  input: Record<string, unknown>;
}

export interface WorkflowJourney {
  /** Prepares the sandbox for one run through `entry` and returns what the run is about. */
  setup(stack: AppStack, entry: EntryPoint): Promise<JourneyCase>;
  /** The delivery `source` sends for this case (required when the workflow declares webhook sources). */
  delivery?(stack: AppStack, source: WebhookSource, c: JourneyCase): Delivery;
  /** Asserts the incident state the run must have produced. */
  verify(stack: AppStack, c: JourneyCase, entry: EntryPoint): void;
}

const DAY = 86_400_000;
const iso = (ms: number): string => new Date(ms).toISOString();
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const serial = (): string => String(Math.floor(Math.random() * 9_000_000) + 1_000_000);

function incident(stack: AppStack, id: string) {
  const i = stack.sandbox.control.incident(id);
  assert.ok(i, `sandbox incident ${id}`);
  return i;
}
const riposteComments = (stack: AppStack, id: string): string[] =>
  incident(stack, id)
    .comments.map((c) => c.comment)
    .filter((c) => isRiposteComment(c));

/** A ticket id in the source's own style. */
const ticketIdFor = (entry: EntryPoint): string =>
  entry === 'webhook:jira' ? `SEC-${serial().slice(0, 4)}` : `INC${serial()}`;

const newIncident = (stack: AppStack, extra: Parameters<AppStack['sandbox']['control']['addIncident']>[0] = {}) =>
  String(stack.sandbox.control.addIncident({ status: 'active', ...extra }).id);

// suspicious-powershell sweeps its default watched devices; ws-hr-007 is one of them.
const PS_HOST = 'ws-hr-007.contoso.local';
/** When the last suspicious-powershell journey on a stack finished: the next run's window starts about then. */
const lastSweep = new WeakMap<AppStack, number>();

const suspiciousPowershell: WorkflowJourney = {
  async setup(stack) {
    // A scheduled run covers [previous window end, now - 5 min): leave a few seconds after the previous run so the
    // new events below fall inside this run's window whichever entry point ran before.
    const wait = (lastSweep.get(stack) ?? 0) + 3000 - Date.now();
    if (wait > 0) await sleep(wait);
    const control = stack.sandbox.control;
    const template = control
      .incidents()
      .flatMap((i) => i.alerts)
      .find((a) => a.evidence.some((e) => e.kind === 'device' && e.deviceDnsName === PS_HOST));
    assert.ok(template, `a seed alert with device evidence for ${PS_HOST}`);
    const alert: StoredAlert = { ...structuredClone(template), id: `da63710000${serial()}_${serial()}`, status: 'new' };
    const id = newIncident(stack, { displayName: 'Journey: encoded PowerShell on ws-hr-007', alerts: [alert] });
    const tables = createSeedTables(new Date());
    const events = tables.get('DeviceProcessEvents');
    const row = events?.rows.find((r) => r.DeviceName === PS_HOST && / -enc /.test(String(r.ProcessCommandLine)));
    assert.ok(events && row, `a seed encoded-PowerShell event on ${PS_HOST}`);
    const now = Date.now();
    // One event inside a first or resumed window, one just inside a window that starts where the last run ended.
    for (const at of [now - 10 * 60_000, now - 5 * 60_000 - 2000]) {
      events.rows.push({ ...row, Timestamp: iso(at), ProcessCreationTime: iso(at), ReportId: Number(serial()) });
    }
    control.setHuntingTables(tables);
    return { incidentId: id, ticketId: '', input: {} };
  },
  verify(stack, c) {
    lastSweep.set(stack, Date.now());
    const i = incident(stack, c.incidentId);
    assert.ok(i.customTags.includes('suspicious-powershell'), `tagged: ${JSON.stringify(i.customTags)}`);
    const comments = riposteComments(stack, c.incidentId);
    assert.ok(
      comments.some((t) => t.includes('ws-hr-007')),
      `a comment naming the host: ${JSON.stringify(comments)}`,
    );
  },
};

const staleIncidentTriage: WorkflowJourney = {
  setup(stack) {
    const now = Date.now();
    const id = newIncident(stack, {
      displayName: 'Journey: forgotten incident',
      createdDateTime: iso(now - 12 * DAY),
      lastUpdateDateTime: iso(now - 10 * DAY),
    });
    return Promise.resolve({ incidentId: id, ticketId: '', input: {} });
  },
  verify(stack, c) {
    const i = incident(stack, c.incidentId);
    assert.ok(i.customTags.includes('stale'), `tagged stale: ${JSON.stringify(i.customTags)}`);
    assert.equal(i.assignedTo, 'triage@contoso.com');
    assert.ok(
      riposteComments(stack, c.incidentId).some((t) => t.includes('triage@contoso.com')),
      'a comment saying why',
    );
  },
};

const CLOSE_CODE = 'True positive - malware';

const ticketClosedResolve: WorkflowJourney = {
  setup(stack, entry) {
    const id = newIncident(stack, { displayName: 'Journey: ticket closed' });
    const ticketId = ticketIdFor(entry);
    return Promise.resolve({ incidentId: id, ticketId, input: { incidentId: id, ticketId, closeCode: CLOSE_CODE } });
  },
  delivery(stack, source, c) {
    if (source === 'generic') {
      const body = {
        incidentId: c.incidentId,
        ticketId: c.ticketId,
        status: 'resolved',
        classification: 'truePositive',
        determination: 'malware',
        comment: `Closed: ${CLOSE_CODE}`,
      };
      return standardWebhooksDelivery(JSON.stringify(body), stack.secrets.generic);
    }
    if (source === 'servicenow') {
      const record = serviceNowIncident({
        incidentId: c.incidentId,
        state: '7',
        closeCode: CLOSE_CODE,
        closeNotes: 'Malware removed, device reimaged.',
        number: c.ticketId,
      });
      return standardWebhooksDelivery(JSON.stringify(record), stack.secrets.servicenow);
    }
    const issue = jiraIssueUpdated({
      incidentId: c.incidentId,
      from: 'indeterminate',
      to: 'done',
      issueKey: c.ticketId,
    });
    return jiraDelivery(issue, stack.secrets.jira);
  },
  verify(stack, c, entry) {
    const i = incident(stack, c.incidentId);
    assert.equal(i.status, 'resolved');
    assert.ok(i.customTags.includes(`ticket:${c.ticketId}`), `tagged with the ticket: ${JSON.stringify(i.customTags)}`);
    if (entry === 'cli' || entry === 'http') {
      assert.deepEqual([i.classification, i.determination], ['truePositive', 'malware']);
    }
    // The workflow's own mark: its comment names the ticket and why the incident was resolved.
    const comments = riposteComments(stack, c.incidentId);
    assert.ok(
      comments.some((t) => t.startsWith(`Resolved because ticket ${c.ticketId} was closed`)),
      `ticket-closed-resolve's comment on the incident: ${JSON.stringify(comments)}`,
    );
  },
};

const SYNC_COMMENT = 'Investigating with the user';

const ticketSync: WorkflowJourney = {
  setup(stack, entry) {
    const id = newIncident(stack, { displayName: 'Journey: ticket in progress' });
    const ticketId = ticketIdFor(entry);
    return Promise.resolve({
      incidentId: id,
      ticketId,
      input: { incidentId: id, ticketId, status: 'inProgress', comment: `[${ticketId}] ${SYNC_COMMENT}` },
    });
  },
  delivery(stack, source, c) {
    if (source === 'generic') {
      const body = { incidentId: c.incidentId, ticketId: c.ticketId, status: 'inProgress', comment: SYNC_COMMENT };
      return standardWebhooksDelivery(JSON.stringify(body), stack.secrets.generic);
    }
    if (source === 'servicenow') {
      const record = serviceNowIncident({
        incidentId: c.incidentId,
        state: '2',
        workNotes: SYNC_COMMENT,
        number: c.ticketId,
      });
      return standardWebhooksDelivery(JSON.stringify(record), stack.secrets.servicenow);
    }
    const issue = jiraIssueUpdated({
      incidentId: c.incidentId,
      from: 'new',
      to: 'indeterminate',
      issueKey: c.ticketId,
    });
    return jiraDelivery(issue, stack.secrets.jira);
  },
  verify(stack, c, entry) {
    const i = incident(stack, c.incidentId);
    assert.equal(i.status, 'inProgress');
    assert.ok(i.customTags.includes(`ticket:${c.ticketId}`), `tagged with the ticket: ${JSON.stringify(i.customTags)}`);
    // The Jira delivery carries a transition only; every other one carries the comment.
    if (entry !== 'webhook:jira') {
      const comments = riposteComments(stack, c.incidentId);
      assert.ok(
        comments.some((t) => t.includes(SYNC_COMMENT)),
        `the ticket's comment on the incident: ${JSON.stringify(comments)}`,
      );
    }
  },
};

/**
 * Shipped workflows whose destructive steps wait for a person's approval: their journey (the run parks, the approval
 * is decided on its link, the run resumes from the queue) is driven through the host in the file named.
 */
export const APPROVAL_JOURNEYS: Readonly<Record<string, string>> = {
  'isolate-device-on-high-severity': 'test/e2e/shippedIsolateDevice.test.ts',
  'contain-compromised-user': 'test/approval/shippedApproval.test.ts',
  // Blocking a hash waits for approval too: the matrix approves it over HTTP on both APIs and checks the indicators.
  'block-hash-from-incident': 'test/e2e/shippedMatrix.test.ts',
};

export const JOURNEYS: Readonly<Record<string, WorkflowJourney>> = {
  'suspicious-powershell': suspiciousPowershell,
  'stale-incident-triage': staleIncidentTriage,
  'ticket-closed-resolve': ticketClosedResolve,
  'ticket-sync': ticketSync,
};
