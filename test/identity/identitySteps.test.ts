// The identity containment steps (issue 14 item 4) through the real engine, the real Graph client over TLS and the
// sandbox's users and riskyUsers (response-actions.md §6): the sandbox state changes, a dry run shows the exact
// request and changes nothing, a re-run sends nothing (target key user:<id>), a UPN resolves to the object id,
// unknown users fail naming `user`, a privileged target fails with Graph's 403, and literal input is checked at load.
import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';
import { PRIVILEGED_USER, startSandbox, type Sandbox } from '../../sandbox/index';
import { users } from '../../sandbox/seed/entities';
import { runWorkflow, type EngineDeps } from '../../shared/engine';
import { createQueryLibrary } from '../../shared/queries';
import { createMemoryStateStore } from '../../shared/state/memoryState';
import type { StateStore } from '../../shared/state/types';
import { parseWorkflow, WorkflowError } from '../../shared/workflows';
import { sandboxDeps } from '../integration/sandboxDeps';

let sb: Sandbox;
before(async () => {
  sb = await startSandbox({ rateLimitScale: 0.05 });
});
after(() => sb?.close());
beforeEach(() => sb.control.reset());

const queries = createQueryLibrary([]);
const amy = users[0];

const CONTAIN = `
name: contain-user
triggers: { http: true }
input:
  user: { type: string, required: true }
steps:
  - id: revoke
    kind: revokeUserSessions
    input: { user: '\${ $input.user }', incidentId: 3309 }
  - id: disable
    kind: disableUser
    approval: none
    input: { user: '\${ $input.user }', incidentId: 3309 }
  - id: compromised
    kind: confirmUserCompromised
    input: { user: '\${ $input.user }' }
`;

function run(yaml: string, input: unknown, o: { state?: StateStore; dryRun?: boolean; api?: 'graph' | 'legacy' } = {}) {
  const api = o.api ?? 'graph';
  const wf = parseWorkflow(yaml, 'test.yaml', queries, { backend: api });
  const deps: EngineDeps = {
    defender: sandboxDeps(sb, api, {}).defender,
    queries,
    state: o.state ?? createMemoryStateStore(),
  };
  return runWorkflow(wf, { trigger: 'http', input, dryRun: o.dryRun ?? false }, deps);
}

const writes = (): number => {
  const c = sb.control.counters().api;
  return c.usersUpdate + c.usersRevoke + c.riskyUsersAction;
};

describe('identity containment steps (Graph users and riskyUsers)', () => {
  it('dry run shows each exact request and changes nothing', async () => {
    const before = sb.control.user(amy.objectId);
    const report = await run(CONTAIN, { user: amy.upn }, { dryRun: true });
    assert.equal(report.status, 'succeeded', JSON.stringify(report.error));
    const change = (id: string) => report.steps.find((s) => s.id === id)?.changes[0];
    assert.deepEqual(change('revoke'), {
      incidentId: '3309',
      target: { kind: 'user', id: amy.objectId },
      patch: { method: 'POST', path: `/users/${amy.objectId}/revokeSignInSessions` },
      outcome: 'wouldApply',
    });
    assert.deepEqual(change('disable')?.patch, {
      method: 'PATCH',
      path: `/users/${amy.objectId}`,
      body: { accountEnabled: false },
    });
    assert.deepEqual(change('compromised')?.patch, {
      method: 'POST',
      path: '/identityProtection/riskyUsers/confirmCompromised',
      body: { userIds: [amy.objectId] },
    });
    assert.equal(writes(), 0);
    assert.deepEqual(sb.control.user(amy.objectId), before);
  });

  for (const api of ['graph', 'legacy'] as const)
    it(`revokes, disables and confirms compromised once; a re-run sends nothing (DEFENDER_API=${api}: always Graph)`, async () => {
      const state = createMemoryStateStore();
      const stampedBefore = sb.control.user(amy.objectId)?.signInSessionsValidFromDateTime;
      const report = await run(CONTAIN, { user: amy.upn }, { state, api });
      assert.equal(report.status, 'succeeded', JSON.stringify(report.error));
      const u = sb.control.user(amy.objectId);
      assert.equal(u?.accountEnabled, false);
      assert.ok(Date.parse(u?.signInSessionsValidFromDateTime ?? '') > Date.parse(stampedBefore ?? ''));
      assert.equal(sb.control.riskyUser(amy.objectId)?.riskState, 'confirmedCompromised');
      assert.equal(sb.control.riskyUser(amy.objectId)?.riskLevel, 'high');
      assert.deepEqual(
        report.steps.map((s) => s.changes[0]?.outcome),
        ['applied', 'applied', 'applied'],
      );
      const sent = writes();
      assert.equal(sent, 3);
      const again = await run(CONTAIN, { user: amy.objectId }, { state, api });
      assert.equal(again.status, 'succeeded');
      assert.equal(writes(), sent, 'a re-run sends nothing');
      assert.deepEqual(
        again.steps.map((s) => s.changes[0]?.outcome),
        ['alreadyDone', 'alreadyDone', 'alreadyDone'],
      );
    });

  it('enableUser re-enables; confirmUserSafe dismisses the risk; an already-enabled user is left alone', async () => {
    const yaml = (kind: string) => `
name: undo
triggers: { http: true }
input: { user: { type: string, required: true } }
steps:
  - id: s
    kind: ${kind}
    input: { user: '\${ $input.user }' }
`;
    assert.equal(
      (
        await run(yaml('disableUser').replace("input: { user: '", "approval: none\n    input: { user: '"), {
          user: amy.objectId,
        })
      ).status,
      'succeeded',
    );
    assert.equal(sb.control.user(amy.objectId)?.accountEnabled, false);
    const enabled = await run(yaml('enableUser'), { user: amy.objectId });
    assert.equal(enabled.status, 'succeeded');
    assert.equal(sb.control.user(amy.objectId)?.accountEnabled, true);
    const before = sb.control.counters().api.usersUpdate;
    const again = await run(yaml('enableUser'), { user: amy.upn });
    assert.equal(again.steps[0]?.changes[0]?.outcome, 'unchanged');
    assert.equal(sb.control.counters().api.usersUpdate, before, 'nothing sent when the account already matches');
    const safe = await run(yaml('confirmUserSafe'), { user: amy.upn });
    assert.equal(safe.status, 'succeeded');
    assert.equal(sb.control.riskyUser(amy.objectId)?.riskState, 'confirmedSafe');
    assert.equal(sb.control.riskyUser(amy.objectId)?.riskLevel, 'none');
  });

  it('an unknown user fails naming the input; a privileged target fails with Graph 403 Authorization_RequestDenied', async () => {
    const unknown = await run(CONTAIN, { user: 'nobody@contoso.com' });
    assert.equal(unknown.status, 'failed');
    assert.equal(unknown.error?.code, 'INPUT_INVALID');
    assert.equal(unknown.error?.field, 'input.user');
    assert.equal(writes(), 0);

    const admin = await run(CONTAIN, { user: PRIVILEGED_USER.userPrincipalName });
    assert.equal(admin.status, 'failed');
    assert.equal(admin.error?.upstreamStatus, 403);
    assert.match(admin.error?.message ?? '', /Authorization_RequestDenied|Insufficient privileges/);
    assert.equal(sb.control.user(PRIVILEGED_USER.id)?.accountEnabled, true);
  });

  it('refuses at load: a malformed literal user, approval on a non-destructive kind, an unknown approval mode', () => {
    const bad = (yaml: string, pattern: RegExp) =>
      assert.throws(
        () => parseWorkflow(yaml, 'bad.yaml', queries, { backend: 'graph' }),
        (e: unknown) => e instanceof WorkflowError && pattern.test(e.message),
      );
    const base = (step: string) => `
name: bad
triggers: { http: true }
steps:
${step}`;
    bad(
      base(`  - { id: s, kind: disableUser, approval: none, input: { user: 'not a user' } }`),
      /user must be an Entra object id/,
    );
    bad(base(`  - { id: s, kind: revokeUserSessions, approval: none, input: { user: '${amy.upn}' } }`), /approval/);
    bad(base(`  - { id: s, kind: disableUser, approval: later, input: { user: '${amy.upn}' } }`), /approval/);
  });
});
