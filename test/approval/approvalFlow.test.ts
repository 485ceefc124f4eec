// The approval gate end to end through the Function host over HTTP (issue 14 item 5): a run whose destructive step
// (disableUser) needs approval is answered 202 + Location and parked (its state in Table storage, its continuation on
// the workflow-runs queue); the Teams card (Adaptive Card 1.5, Action.OpenUrl) carries the link; opening the link
// (GET, HEAD, OPTIONS) decides nothing; a forged or tampered token is 403; the page's POST decides once (a replayed
// POST is 409 with the first decision); the run resumes from the queue and the sandbox shows the outcome; an approval
// nobody decides expires (410) and the run ends as rejected; the authenticated decision API records the caller.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { users } from '../../sandbox/seed/entities';
import type { RunReport } from '../../shared/engine';
import { startHarness, type Harness, type Reply } from '../e2e/harness';
import { registerSecrets } from '../setup/logCapture';
import { approvalContent, approvalLinks, setUpCallback, setUpTeams } from './approvalContent';

const amy = users[0];
const raj = users[1];
const lena = users[3];
let content: ReturnType<typeof approvalContent>;
let h: Harness;

before(async () => {
  content = approvalContent();
  h = await startHarness({ settings: { CONTENT_DIR: content.dir } });
  // One webhook for the file: the app caches the Key Vault secret holding its URL, and each test acts on its own user.
  setUpTeams(h.sandbox);
  setUpCallback(h.sandbox);
});
after(async () => {
  await h?.close();
  content?.remove();
});

async function fetchReply(url: string, init: RequestInit = {}): Promise<Reply> {
  const res = await fetch(url, init);
  const text = await res.text();
  return {
    status: res.status,
    headers: res.headers,
    text,
    json: <T>() => JSON.parse(text) as T,
  };
}

async function poll(location: string, timeoutMs = 60_000): Promise<Reply> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const r = await fetchReply(location);
    if (r.status !== 202) return r;
    if (Date.now() > deadline) throw new Error(`still 202 after ${timeoutMs} ms: ${r.text}`);
    await new Promise((res) => setTimeout(res, 200));
  }
}

interface Parked {
  location: string;
  link: string;
  approvalId: string;
}

/** Starts the workflow for `user`; checks the 202, the pending approval and the one card. */
async function startParked(workflow: string, user: string): Promise<Parked> {
  const cards = h.sandbox.control.teamsDeliveries().length;
  const r = await h.call('POST', `/api/workflows/${workflow}/run`, { body: { input: { user, incidentId: '3309' } } });
  assert.equal(r.status, 202, r.text);
  const body = r.json<{ handoff: { reason: string }; approvals: { id: string; state: string; action: string }[] }>();
  assert.equal(body.handoff.reason, 'approval');
  assert.equal(body.approvals.length, 1);
  assert.equal(body.approvals[0]?.state, 'pending');
  assert.equal(body.approvals[0]?.action, 'disable the user account');
  const links = approvalLinks(h.sandbox);
  assert.equal(links.length, cards + 1, 'one card posted');
  const card = h.sandbox.control.teamsDeliveries().at(-1)?.cards[0] as { version: string; body: unknown[] };
  assert.equal(card.version, '1.5');
  assert.match(JSON.stringify(card.body), new RegExp(user.replace('.', '\\.')));
  const link = new URL(links.at(-1) ?? '', h.host.url).toString();
  return { location: r.headers.get('location') ?? '', link, approvalId: body.approvals[0]?.id ?? '' };
}

const tokenOf = (link: string): string => new URL(link).searchParams.get('token') ?? '';
const decisionUrl = (p: Parked): string => `${h.host.url}/api/approvals/${p.approvalId}/decision`;
const form = (fields: Record<string, string>): RequestInit => ({
  method: 'POST',
  headers: { 'content-type': 'application/x-www-form-urlencoded' },
  body: new URLSearchParams(fields).toString(),
});

describe('approval before a destructive action (Teams card, link page, queue resumption)', () => {
  it('opening the link decides nothing; rejecting once stops the run; a replayed POST is 409; the account stays enabled', async () => {
    const c0 = h.sandbox.control.counters().api;
    const p = await startParked('contain-user', amy.upn);
    assert.equal(h.sandbox.control.user(amy.objectId)?.accountEnabled, true);
    assert.equal(h.sandbox.control.counters().api.usersRevoke - c0.usersRevoke, 1, 'the revoke before the gate ran');

    // Link scanners: GET, HEAD and OPTIONS change nothing.
    const page = await fetchReply(p.link);
    assert.equal(page.status, 200);
    assert.match(page.headers.get('content-security-policy') ?? '', /default-src 'none'/);
    assert.match(page.text, /disable the user account/);
    assert.match(page.text, new RegExp(`user ${amy.upn.replace('.', '\\.')}`));
    assert.match(page.text, /3309/);
    await fetchReply(p.link, { method: 'HEAD' });
    await fetchReply(p.link, { method: 'OPTIONS' });
    await fetchReply(`${p.link}&decision=approve`);
    const still = await fetchReply(p.location);
    assert.equal(still.status, 202, 'still waiting after the link was opened four ways');
    assert.equal(h.sandbox.control.user(amy.objectId)?.accountEnabled, true);

    // Forged and tampered tokens: 403, nothing decided.
    const token = tokenOf(p.link);
    const tampered = token.slice(0, -2) + (token.endsWith('AA') ? 'BB' : 'AA');
    for (const t of [tampered, `${Number(token.split('.')[0]) + 3600}.${token.split('.')[1]}`, 'x']) {
      const r = await fetchReply(decisionUrl(p), form({ token: t, decision: 'approve', approver: 'Mallory' }));
      assert.equal(r.status, 403, r.text);
    }
    // Another approval's id with this token: 403 as well.
    const other = await fetchReply(
      `${h.host.url}/api/approvals/${'0'.repeat(32)}/decision`,
      form({ token, decision: 'approve', approver: 'Mallory' }),
    );
    assert.equal(other.status, 403);

    const rejected = await fetchReply(decisionUrl(p), form({ token, decision: 'reject', approver: 'Ana Analyst' }));
    assert.equal(rejected.status, 200, rejected.text);
    const replay = await fetchReply(decisionUrl(p), form({ token, decision: 'approve', approver: 'Ana Analyst' }));
    assert.equal(replay.status, 409, 'a replayed decision changes nothing');
    assert.match(replay.text, /rejected by Ana Analyst/);

    const done = await poll(p.location);
    assert.equal(done.status, 200, done.text);
    const report = done.json<RunReport>();
    assert.equal(report.status, 'stopped');
    assert.equal(report.approvals?.[0]?.state, 'rejected');
    assert.equal(report.approvals?.[0]?.decidedBy, 'Ana Analyst (approval link)');
    assert.ok(report.approvals?.[0]?.decidedAt);
    assert.equal(h.sandbox.control.user(amy.objectId)?.accountEnabled, true, 'rejected: the account stays enabled');
    assert.equal(h.sandbox.control.counters().api.usersUpdate - c0.usersUpdate, 0);
    assert.equal(
      h.sandbox.control.counters().api.usersRevoke - c0.usersRevoke,
      1,
      'the resumed run did not revoke again',
    );
  });

  it('the authenticated decision API approves, naming the caller; the run resumes and disables the account once', async () => {
    const c0 = h.sandbox.control.counters().api;
    const p = await startParked('contain-user', raj.objectId);
    const noKey = await h.call('POST', `/api/approvals/${p.approvalId}/decide`, {
      body: { decision: 'approve', approver: 'soar-bot' },
      key: false,
    });
    assert.equal(noKey.status, 401);
    const missing = await h.call('POST', `/api/approvals/${p.approvalId}/decide`, { body: { decision: 'approve' } });
    assert.equal(missing.status, 400);
    assert.equal(missing.json<{ error: { field: string } }>().error.field, 'approver');
    // Two approvers at once (two instances may take them): the record's ETag lets exactly one decide.
    const both = await Promise.all(
      ['soar-bot', 'soar-bot-2'].map((approver) =>
        h.call('POST', `/api/approvals/${p.approvalId}/decide`, { body: { decision: 'approve', approver } }),
      ),
    );
    assert.deepEqual(both.map((r) => r.status).sort(), [200, 409], both.map((r) => r.text).join('\n'));
    const ok = both.find((r) => r.status === 200) as Reply;
    assert.equal(ok.json<{ state: string }>().state, 'approved');
    const winner = ok.json<{ decidedBy: string }>().decidedBy;
    const done = await poll(p.location);
    const report = done.json<RunReport>();
    assert.equal(report.status, 'succeeded', done.text);
    assert.equal(report.approvals?.[0]?.decidedBy, winner);
    assert.match(winner, /^soar-bot(-2)? \(decision API\)$/);
    assert.equal(h.sandbox.control.user(raj.objectId)?.accountEnabled, false, 'approved: disabled');
    assert.equal(h.sandbox.control.counters().api.usersUpdate - c0.usersUpdate, 1);
    assert.equal(h.sandbox.control.counters().api.usersRevoke - c0.usersRevoke, 1);
    const again = await h.call('POST', `/api/approvals/${p.approvalId}/decide`, {
      body: { decision: 'reject', approver: 'late' },
    });
    assert.equal(again.status, 409);
  });

  it('no decision before expiry counts as rejection: the run resumes from the queue and stops; the link answers 410', async () => {
    const p = await startParked('contain-user-quick', lena.objectId);
    const done = await poll(p.location, 90_000);
    const report = done.json<RunReport>();
    assert.equal(report.status, 'stopped', done.text);
    assert.equal(report.approvals?.[0]?.state, 'expired');
    assert.match(report.stopReason ?? '', /expired/);
    assert.equal(h.sandbox.control.user(lena.objectId)?.accountEnabled, true);
    const late = await fetchReply(decisionUrl(p), form({ token: tokenOf(p.link), decision: 'approve', approver: 'x' }));
    assert.equal(late.status, 410);
    assert.equal((await fetchReply(p.link)).status, 410);
  });

  it('an HTTP callback gets what will happen and the approve/reject URLs; only a POST to one decides', async () => {
    const svc = users[2];
    const r = await h.call('POST', '/api/workflows/contain-user-callback/run', {
      body: { input: { user: svc.objectId, incidentId: '3309' } },
    });
    assert.equal(r.status, 202, r.text);
    const location = r.headers.get('location') ?? '';
    const sent = h.sandbox.control.callbackDeliveries();
    assert.equal(sent.length, 1, 'one callback');
    const body = sent[0]?.body as {
      type: string;
      approval: { action: string; target: { kind: string; id: string }; incidentId: string; expiresAt: string };
      links: { page: string; approve: string; reject: string };
    };
    assert.equal(body.type, 'riposte.approval.requested');
    assert.equal(body.approval.action, 'disable the user account');
    assert.deepEqual(body.approval.target, { kind: 'user', id: svc.objectId });
    assert.equal(body.approval.incidentId, '3309');
    assert.ok(body.links.approve.startsWith(h.host.url), 'absolute URLs on the app itself');
    registerSecrets([new URL(body.links.approve).searchParams.get('token') ?? '']);
    // A GET of the decision URL (a scanner following it) is no decision.
    assert.notEqual((await fetchReply(body.links.approve)).status, 200);
    assert.equal((await fetchReply(location)).status, 202);
    const approved = await fetchReply(body.links.approve, { method: 'POST', headers: { accept: 'application/json' } });
    assert.equal(approved.status, 200, approved.text);
    assert.equal(
      approved.json<{ state: string; decidedBy: string }>().decidedBy,
      'the holder of the approval link (approval link)',
    );
    const rejectLater = await fetchReply(body.links.reject, {
      method: 'POST',
      headers: { accept: 'application/json' },
    });
    assert.equal(rejectLater.status, 409);
    assert.equal(rejectLater.json<{ error: { code: string } }>().error.code, 'APPROVAL_DECIDED');
    const done = await poll(location);
    assert.equal(done.json<RunReport>().status, 'succeeded', done.text);
    assert.equal(h.sandbox.control.user(svc.objectId)?.accountEnabled, false);
  });
});
