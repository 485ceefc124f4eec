// The shipped containment workflows behind the approval gate, end to end through the Function host over HTTP (issue
// 14 "Ship with it"): isolate-device-on-high-severity and contain-compromised-user, started as Logic Apps would, are
// answered 202 + Location while the approval is pending; the approval card on the sandbox's Teams webhook carries the
// link; the page's POST decides; the run resumes from the workflow-runs queue and the sandbox shows the device
// isolated and scanned (approved), or the account still enabled and the tickets untouched (rejected), the report
// naming who decided and when.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { devices, users } from '../../sandbox/seed/entities';
import type { RunReport } from '../../shared/engine';
import { startHarness, type Harness, type Reply } from '../e2e/harness';
import { registerSecrets } from '../setup/logCapture';
import { approvalContent, approvalLinks, setUpTeams, TEAMS_SECRET } from './approvalContent';

const hrWs = devices.find((d) => d.deviceName.startsWith('ws-hr-007'));
const lena = users[3];
let content: ReturnType<typeof approvalContent>;
let h: Harness;

before(async () => {
  content = approvalContent();
  // The shipped workflows name no approval channel: the APPROVAL_TEAMS_SECRET_NAME default sends the card.
  h = await startHarness({ settings: { CONTENT_DIR: content.dir, APPROVAL_TEAMS_SECRET_NAME: TEAMS_SECRET } });
  setUpTeams(h.sandbox);
  const c = h.sandbox.control;
  // The SOC channel (notifyTeams) is another webhook; Jira and ServiceNow credentials for the write-back.
  const channel = c.createTeamsWebhook();
  registerSecrets([channel]);
  c.setSecret('teams-webhook-url', channel);
  c.setSecret('jira-credentials', JSON.stringify(c.jiraCredentials()));
  const sn = c.serviceNowCredentials();
  c.setSecret('servicenow-credentials', JSON.stringify({ username: sn.username, password: sn.password }));
});
after(async () => {
  await h?.close();
  content?.remove();
});

async function fetchReply(url: string, init: RequestInit = {}): Promise<Reply> {
  const res = await fetch(url, init);
  const text = await res.text();
  return { status: res.status, headers: res.headers, text, json: <T>() => JSON.parse(text) as T };
}

async function poll(location: string): Promise<Reply> {
  const deadline = Date.now() + 90_000;
  for (;;) {
    const r = await fetchReply(location);
    if (r.status !== 202) return r;
    if (Date.now() > deadline) throw new Error(`still 202: ${r.text}`);
    await new Promise((res) => setTimeout(res, 200));
  }
}

/** Starts a shipped workflow; checks the 202 and the approval card; @returns Location and the card's link. */
async function startParked(
  workflow: string,
  input: Record<string, unknown>,
  action: string,
): Promise<{ location: string; link: string; approvalId: string }> {
  const before = approvalLinks(h.sandbox).filter((l) => l.includes('/api/approvals/')).length;
  const r = await h.call('POST', `/api/workflows/${workflow}/run`, { body: { input } });
  assert.equal(r.status, 202, r.text);
  const body = r.json<{ handoff: { reason: string }; approvals: { id: string; state: string; action: string }[] }>();
  assert.equal(body.handoff.reason, 'approval');
  assert.deepEqual(
    body.approvals.map((a) => [a.state, a.action]),
    [['pending', action]],
  );
  const links = approvalLinks(h.sandbox).filter((l) => l.includes('/api/approvals/'));
  assert.equal(links.length, before + 1, 'one approval card on the Teams webhook');
  const link = new URL(links.at(-1) ?? '', h.host.url).toString();
  assert.ok(link.includes(body.approvals[0]?.id ?? '?'), 'the card links to this approval');
  return { location: r.headers.get('location') ?? '', link, approvalId: body.approvals[0]?.id ?? '' };
}

/** The page's form POST (what the Approve and Reject buttons send). */
function decide(p: { link: string; approvalId: string }, decision: string, approver: string): Promise<Reply> {
  const token = new URL(p.link).searchParams.get('token') ?? '';
  return fetchReply(`${h.host.url}/api/approvals/${p.approvalId}/decision`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ token, decision, approver }).toString(),
  });
}

describe('the shipped containment workflows wait for approval (Teams card, page, queue resumption)', () => {
  it('isolate-device-on-high-severity: approved on the page, the device is isolated and scanned, the incident commented, the channel told', async () => {
    assert.ok(hrWs);
    const isolated = (): boolean =>
      h.sandbox.control.machines().find((m) => m.computerDnsName === hrWs.deviceName)?.isolation != null;
    const p = await startParked('isolate-device-on-high-severity', { incidentId: '3310' }, 'isolate device');
    const page = await fetchReply(p.link);
    assert.equal(page.status, 200);
    assert.match(page.text, /isolate device/);
    assert.equal(isolated(), false, 'nothing isolated before the decision');
    assert.equal((await fetchReply(p.location)).status, 202, 'opening the page decided nothing');

    const ok = await decide(p, 'approve', 'Ana Analyst');
    assert.equal(ok.status, 200, ok.text);
    const done = await poll(p.location);
    assert.equal(done.status, 200, done.text);
    const report = done.json<RunReport>();
    assert.equal(report.status, 'succeeded', done.text);
    assert.equal(report.approvals?.[0]?.state, 'approved');
    assert.equal(report.approvals?.[0]?.decidedBy, 'Ana Analyst (approval link)');
    assert.equal(isolated(), true, 'approved: the sandbox shows the device isolated');
    const actions = h.sandbox.control.machineActions().filter((a) => a.computerDnsName === hrWs.deviceName);
    assert.deepEqual(actions.map((a) => a.type).sort(), ['Isolate', 'RunAntiVirusScan'], 'isolated and scanned once');
    assert.ok(h.sandbox.control.incident(3310)?.comments.some((c) => /isolated and scanned 1 device/.test(c.comment)));
    const told = h.sandbox.control
      .teamsDeliveries()
      .filter((d) => /Devices isolated for incident 3310/.test(JSON.stringify(d.cards)));
    assert.equal(told.length, 1, 'one card to the SOC channel');
  });

  it('contain-compromised-user: rejected on the page, sessions revoked but the account stays enabled, no ticket note; the report says who and when', async () => {
    const c = h.sandbox.control;
    c.addJiraIssue('SEC-77');
    const rec = c.addServiceNowRecord({ number: 'INC0077001' });
    const inc = c.addIncident({ customTags: ['ticket:SEC-77', 'ticket:INC0077001'] });
    const revokes = c.counters().api.usersRevoke;
    const p = await startParked(
      'contain-compromised-user',
      { incidentId: String(inc.id), user: lena.upn },
      'disable the user account',
    );
    assert.equal(c.counters().api.usersRevoke - revokes, 1, 'sessions revoked before the gate');

    const no = await decide(p, 'reject', 'Raj Reviewer');
    assert.equal(no.status, 200, no.text);
    const done = await poll(p.location);
    const report = done.json<RunReport>();
    assert.equal(report.status, 'stopped', done.text);
    const a = report.approvals?.[0];
    assert.equal(a?.state, 'rejected');
    assert.equal(a?.decidedBy, 'Raj Reviewer (approval link)');
    assert.ok(a?.decidedAt && !Number.isNaN(Date.parse(a.decidedAt)), 'when it was rejected');
    assert.match(report.stopReason ?? '', /rejected \(Raj Reviewer/);
    assert.equal(c.user(lena.objectId)?.accountEnabled, true, 'rejected: the account stays enabled');
    assert.equal(c.counters().api.usersRevoke - revokes, 1, 'the resumed run did not revoke again');
    assert.equal(c.jiraIssue('SEC-77')?.comments.length, 0, 'no Jira comment');
    assert.equal(c.serviceNowRecord(rec.sys_id)?.work_notes.length, 0, 'no ServiceNow work note');
  });
});
