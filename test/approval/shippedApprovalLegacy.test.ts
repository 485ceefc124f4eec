// The approval gate on DEFENDER_API=legacy, end to end through the Function host over HTTP: the shipped
// isolate-device-on-high-severity workflow reads the incident from the legacy API (its alerts' device evidence), is
// answered 202 + Location while the approval is pending, the Teams card links to the page, the page's POST approves,
// and the run resumes from the workflow-runs queue: the sandbox shows the device isolated and scanned once and the
// incident commented through the legacy API. (shippedApproval.test.ts covers DEFENDER_API=graph.)
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { devices } from '../../sandbox/seed/entities';
import type { RunReport } from '../../shared/engine';
import { startHarness, type Harness, type Reply } from '../e2e/harness';
import { registerSecrets } from '../setup/logCapture';
import { approvalContent, approvalLinks, setUpTeams, TEAMS_SECRET } from './approvalContent';

const hrWs = devices.find((d) => d.deviceName.startsWith('ws-hr-007'));
let content: ReturnType<typeof approvalContent>;
let h: Harness;

before(async () => {
  content = approvalContent();
  h = await startHarness({
    api: 'legacy',
    settings: { CONTENT_DIR: content.dir, APPROVAL_TEAMS_SECRET_NAME: TEAMS_SECRET },
  });
  setUpTeams(h.sandbox);
  const channel = h.sandbox.control.createTeamsWebhook();
  registerSecrets([channel]);
  h.sandbox.control.setSecret('teams-webhook-url', channel);
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

describe('approval on DEFENDER_API=legacy (shipped workflow, over HTTP)', () => {
  it('isolate-device-on-high-severity: parked, approved on the page, resumed from the queue; isolated, scanned and commented once', async () => {
    assert.ok(hrWs);
    const c = h.sandbox.control;
    const isolated = (): boolean => c.machines().find((m) => m.computerDnsName === hrWs.deviceName)?.isolation != null;
    const r = await h.call('POST', '/api/workflows/isolate-device-on-high-severity/run', {
      body: { input: { incidentId: '3310' } },
    });
    assert.equal(r.status, 202, r.text);
    const body = r.json<{ handoff: { reason: string }; approvals: { id: string; state: string; action: string }[] }>();
    assert.equal(body.handoff.reason, 'approval');
    assert.deepEqual(
      body.approvals.map((a) => [a.state, a.action]),
      [['pending', 'isolate device']],
    );
    const link = new URL(
      approvalLinks(h.sandbox)
        .filter((l) => l.includes(`/api/approvals/${body.approvals[0]?.id ?? '?'}`))
        .at(-1) ?? '',
      h.host.url,
    );
    assert.equal(isolated(), false, 'nothing isolated before the decision');
    const location = r.headers.get('location') ?? '';
    assert.equal((await fetchReply(link.toString())).status, 200, 'the page opens');
    assert.equal((await fetchReply(location)).status, 202, 'opening the page decided nothing');

    const decided = await fetchReply(`${h.host.url}/api/approvals/${body.approvals[0]?.id}/decision`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({
        token: link.searchParams.get('token') ?? '',
        decision: 'approve',
        approver: 'Ana Analyst',
      }).toString(),
    });
    assert.equal(decided.status, 200, decided.text);
    const deadline = Date.now() + 90_000;
    let done = await fetchReply(location);
    while (done.status === 202 && Date.now() < deadline) {
      await new Promise((res) => setTimeout(res, 200));
      done = await fetchReply(location);
    }
    assert.equal(done.status, 200, done.text);
    const report = done.json<RunReport>();
    assert.equal(report.status, 'succeeded', done.text);
    assert.deepEqual(
      [report.approvals?.[0]?.state, report.approvals?.[0]?.decidedBy],
      ['approved', 'Ana Analyst (approval link)'],
    );
    assert.equal(isolated(), true, 'the sandbox shows the device isolated');
    const actions = c.machineActions().filter((a) => a.computerDnsName === hrWs.deviceName);
    assert.deepEqual(actions.map((a) => a.type).sort(), ['Isolate', 'RunAntiVirusScan'], 'isolated and scanned once');
    assert.ok(c.incident(3310)?.comments.some((x) => /isolated and scanned 1 device/.test(x.comment)));
    const legacyCommentWrites = c.requests().filter((q) => q.api === 'legacy' && q.method !== 'GET').length;
    assert.ok(legacyCommentWrites >= 1, 'the comment went through the legacy API');
    assert.deepEqual(
      c.requests().filter((q) => q.api === 'graph'),
      [],
      'nothing went to Graph',
    );
  });
});
