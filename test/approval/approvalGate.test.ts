// The approval gate's pieces without a host: link tokens (signed for one approval and one expiry, refused when
// changed), the gate's record life (created once per workflow/owner/step/input, the request sent exactly once even
// when a send fails first, a pending approval past its expiry becomes 'expired'), and decisions through the record's
// version (the first wins; later ones see it).
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe, it } from 'node:test';
import { ApprovalClosedError, approvalForLink, decideApproval } from '../../shared/approval/decide';
import { approvalIdOf, createApprovalGate } from '../../shared/approval/gate';
import { signApprovalToken, verifyApprovalToken } from '../../shared/approval/token';
import type { ApprovalRecord, ApprovalRequest, ApprovalStore } from '../../shared/approval/types';
import { silentLogger } from '../../shared/logger';

/** The store's contract in memory: create fails on an existing id, replace only at the current version. */
function memoryStore(
  key = randomBytes(32),
): ApprovalStore & { rows: Map<string, { record: ApprovalRecord; version: string }> } {
  const rows = new Map<string, { record: ApprovalRecord; version: string }>();
  let n = 0;
  return {
    rows,
    get: async (id) => structuredClone(rows.get(id)),
    create: async (record) => {
      if (rows.has(record.id)) return undefined;
      const version = String(++n);
      rows.set(record.id, { record: structuredClone(record), version });
      return version;
    },
    replace: async (record, version) => {
      if (rows.get(record.id)?.version !== version) return undefined;
      const next = String(++n);
      rows.set(record.id, { record: structuredClone(record), version: next });
      return next;
    },
    signingKey: async () => key,
  };
}

const request = (over: Partial<ApprovalRequest> = {}): ApprovalRequest => ({
  workflow: 'contain-user',
  runId: '11111111-2222-4333-8444-555555555555',
  owner: 'r:11111111-2222-4333-8444-555555555555',
  trigger: 'http',
  stepId: 'disable',
  action: 'disable the user account',
  target: { kind: 'user', id: 'amy.wong@contoso.com' },
  incidentId: '3309',
  input: { user: 'amy.wong@contoso.com', incidentId: '3309' },
  approval: { mode: 'ask', teamsSecret: 'approvals', expiresInMs: 60_000 },
  ...over,
});

describe('approval link tokens', () => {
  const key = randomBytes(32);
  const id = 'a'.repeat(32);
  const expiresAt = new Date(Date.now() + 3_600_000).toISOString();
  const token = signApprovalToken(key, id, expiresAt);

  it('verify the approval and expiry they were signed for', () => {
    const ok = verifyApprovalToken(key, id, token);
    assert.equal(ok.ok, true);
    assert.equal(ok.ok && ok.expiresAtMs, Math.ceil(Date.parse(expiresAt) / 1000) * 1000);
  });

  it('refuse another approval, another key, a changed expiry or MAC, and malformed tokens', () => {
    const [exp, mac] = token.split('.') as [string, string];
    const flipped = mac.slice(0, 10) + (mac[10] === 'A' ? 'B' : 'A') + mac.slice(11);
    for (const [what, k, i, t] of [
      ['another approval', key, 'b'.repeat(32), token],
      ['another key', randomBytes(32), id, token],
      ['a later expiry', key, id, `${Number(exp) + 3600}.${mac}`],
      ['a changed MAC', key, id, `${exp}.${flipped}`],
      ['no token', key, id, undefined],
      ['not a token', key, id, 'x'],
      ['a short MAC', key, id, `${exp}.${mac.slice(0, 20)}`],
    ] as const)
      assert.equal(verifyApprovalToken(k, i, t).ok, false, what);
  });
});

describe('the approval gate', () => {
  it('creates one record per workflow, owner, step and input, and sends the request once, retrying a failed send', async () => {
    const store = memoryStore();
    let sends = 0;
    let fail = true;
    const gate = createApprovalGate({
      store,
      channels: {
        teams: async () => {
          sends++;
          if (fail) throw new Error('Teams webhook down');
        },
      },
      defaults: { expiresInMs: 60_000 },
      baseUrl: 'https://riposte.example',
      now: () => new Date(),
      logger: silentLogger,
    });
    await assert.rejects(gate.check(request()), /Teams webhook down/);
    assert.equal([...store.rows.values()][0]?.record.notified, false, 'not sent: sent again next time');
    fail = false;
    const first = await gate.check(request());
    assert.equal(first.state, 'pending');
    const again = await gate.check(request());
    assert.equal(again.id, first.id);
    assert.equal(sends, 2, 'one failed send, one that went out; none after');
    assert.equal(store.rows.size, 1);
    const other = await gate.check(request({ input: { user: 'raj.patel@contoso.com' } }));
    assert.notEqual(other.id, first.id, 'another user: another approval');
    assert.equal(first.id, approvalIdOf(request()));
  });

  it('turns a pending approval past its expiry into expired (a timeout is a rejection)', async () => {
    const store = memoryStore();
    let now = Date.now();
    const gate = createApprovalGate({
      store,
      channels: { teams: async () => undefined },
      defaults: { expiresInMs: 60_000 },
      baseUrl: undefined,
      now: () => new Date(now),
      logger: silentLogger,
    });
    assert.equal((await gate.check(request())).state, 'pending');
    now += 61_000;
    const expired = await gate.check(request());
    assert.equal(expired.state, 'expired');
    assert.match(expired.decidedBy ?? '', /timeout/);
  });
});

describe('deciding', () => {
  it('the first decision wins, later ones are told it; a link for another expiry is refused', async () => {
    const store = memoryStore();
    const gate = createApprovalGate({
      store,
      channels: { teams: async () => undefined },
      defaults: { expiresInMs: 60_000 },
      baseUrl: undefined,
      now: () => new Date(),
      logger: silentLogger,
    });
    const info = await gate.check(request());
    const key = await store.signingKey();
    const resumed: string[] = [];
    const deps = {
      store,
      resume: async (runId: string) => void resumed.push(runId),
      now: () => new Date(),
      logger: silentLogger,
    };
    const token = signApprovalToken(key, info.id, info.expiresAt);
    const a = await approvalForLink(deps, info.id, token);
    const b = await approvalForLink(deps, info.id, token);
    const first = await decideApproval(deps, a, 'reject', 'Ana');
    assert.equal(first.state, 'rejected');
    // `b` holds the old version: its decision finds the record changed and reports the first one.
    await assert.rejects(decideApproval(deps, b, 'approve', 'Bob'), (e: unknown) => {
      assert.ok(e instanceof ApprovalClosedError);
      assert.equal(e.code, 'APPROVAL_DECIDED');
      assert.equal(e.record.decidedBy, 'Ana');
      return true;
    });
    assert.deepEqual(resumed, [request().runId], 'the run is resumed once');
    const later = signApprovalToken(key, info.id, new Date(Date.parse(info.expiresAt) + 3_600_000).toISOString());
    await assert.rejects(approvalForLink(deps, info.id, later), { code: 'APPROVAL_LINK_INVALID' });
  });
});
