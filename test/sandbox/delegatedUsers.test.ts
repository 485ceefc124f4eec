// Delegated user tokens in the sandbox APIs: the API's delegated scope must be in `scp`, then the user's own
// Defender role decides (identity-modes.md §6); a change made with a user token is attributed to the user.
import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';
import { SANDBOX_CALLER_APP_ID, SANDBOX_USERS, startSandbox, type Sandbox } from '../../sandbox';
import { claimsOf, client } from './helpers';

let sandbox: Sandbox;
before(async () => {
  sandbox = await startSandbox({ rateLimits: false });
});
after(() => sandbox.close());
beforeEach(() => sandbox.control.reset());

const incidentId = (): number => sandbox.control.incidents()[0]!.id;

function userClient(api: 'graph' | 'legacy' | 'mde', user: string, scopes: string[], ver?: '1.0' | '2.0') {
  const audience =
    api === 'graph'
      ? 'https://graph.microsoft.com'
      : api === 'legacy'
        ? 'https://api.security.microsoft.com'
        : 'https://api.securitycenter.microsoft.com';
  const c = client(sandbox, api === 'graph' ? sandbox.graphBaseUrl : sandbox.url);
  const token = sandbox.control.userToken(user, { audience, scopes, clientAppId: sandbox.clientId, ver });
  c.defaults.headers.common.Authorization = `Bearer ${token}`;
  return c;
}

describe('sandbox delegated user tokens', () => {
  it('mints v2 and v1 user tokens with scp, oid, tid, name and the version-specific claims', () => {
    const v2 = claimsOf(
      sandbox.control.userToken('analyst', {
        audience: sandbox.clientId,
        scopes: ['access_as_user'],
        clientAppId: SANDBOX_CALLER_APP_ID,
      }),
    );
    assert.equal(v2.idtyp, 'user');
    assert.equal(v2.scp, 'access_as_user');
    assert.equal(v2.oid, SANDBOX_USERS.analyst.oid);
    assert.equal(v2.tid, sandbox.tenantId);
    assert.equal(v2.preferred_username, SANDBOX_USERS.analyst.upn);
    assert.equal(v2.name, SANDBOX_USERS.analyst.name);
    assert.equal(v2.azp, SANDBOX_CALLER_APP_ID);
    assert.equal(v2.iss, `${sandbox.url}/${sandbox.tenantId}/v2.0`);
    assert.equal(v2.roles, undefined);
    const v1 = claimsOf(
      sandbox.control.userToken('reader', {
        audience: `api://${sandbox.clientId}`,
        scopes: ['access_as_user'],
        clientAppId: SANDBOX_CALLER_APP_ID,
        ver: '1.0',
      }),
    );
    assert.equal(v1.iss, `https://sts.windows.net/${sandbox.tenantId}/`);
    assert.equal(v1.appid, SANDBOX_CALLER_APP_ID);
    assert.equal(v1.upn, SANDBOX_USERS.reader.upn);
    assert.equal(v1.azp, undefined);
  });

  it('Graph: the analyst updates an incident and is its lastModifiedBy and comment author; the audit names them', async () => {
    const id = incidentId();
    const graph = userClient('graph', 'analyst', ['SecurityIncident.ReadWrite.All']);
    const res = await graph.patch(`/security/incidents/${id}`, { status: 'active' });
    assert.equal(res.status, 200, JSON.stringify(res.data));
    const c = await graph.post(`/security/incidents/${id}/comments`, {
      '@odata.type': 'microsoft.graph.security.alertComment',
      comment: 'by hand',
    });
    assert.equal(c.status, 200, JSON.stringify(c.data));
    const stored = sandbox.control.incident(id)!;
    assert.equal(stored.lastModifiedBy, SANDBOX_USERS.analyst.upn);
    assert.equal(stored.comments.at(-1)?.createdBy, SANDBOX_USERS.analyst.upn);
    const audit = sandbox.control.userAudit();
    assert.ok(
      audit.some(
        (e) => e.oid === SANDBOX_USERS.analyst.oid && e.family === 'incidentsUpdate' && e.appId === sandbox.clientId,
      ),
    );
  });

  it('Graph: the read-only analyst reads but is refused a change with the documented 403 text; nothing changes', async () => {
    const id = incidentId();
    const before = sandbox.control.incident(id)!;
    const graph = userClient('graph', 'reader', ['SecurityIncident.ReadWrite.All']);
    assert.equal((await graph.get(`/security/incidents/${id}`)).status, 200);
    const res = await graph.patch(`/security/incidents/${id}`, { status: 'active' });
    assert.equal(res.status, 403);
    assert.equal(res.data.error.code, 'Forbidden');
    assert.match(res.data.error.message, /user does not have valid roles/);
    assert.deepEqual(sandbox.control.incident(id), before);
  });

  it('Graph: a user with no Defender role is refused even a read; a token without the scope is refused', async () => {
    const id = incidentId();
    const none = await userClient('graph', 'outsider', ['SecurityIncident.Read.All']).get(`/security/incidents/${id}`);
    assert.equal(none.status, 403);
    const noScope = await userClient('graph', 'analyst', ['User.Read']).patch(`/security/incidents/${id}`, {
      status: 'active',
    });
    assert.equal(noScope.status, 403);
    assert.match(noScope.data.error.message, /SecurityIncident\.ReadWrite\.All/);
  });

  it('legacy: Incident.ReadWrite lets the analyst change an incident (v1 token); the reader gets 403', async () => {
    const id = incidentId();
    const ok = await userClient('legacy', 'analyst', ['Incident.ReadWrite'], '1.0').patch(`/api/incidents/${id}`, {
      comment: 'from the analyst',
    });
    assert.equal(ok.status, 200, JSON.stringify(ok.data));
    assert.equal(sandbox.control.incident(id)?.comments.at(-1)?.createdBy, SANDBOX_USERS.analyst.upn);
    const denied = await userClient('legacy', 'reader', ['Incident.ReadWrite']).patch(`/api/incidents/${id}`, {
      comment: 'x',
    });
    assert.equal(denied.status, 403);
    assert.equal(denied.data.error.code, 'Forbidden');
    // The application scope name is not a delegated one.
    const appName = await userClient('legacy', 'analyst', ['Incident.ReadWrite.All']).get(`/api/incidents/${id}`);
    assert.equal(appName.status, 403);
  });

  it('MDE: Machine.Isolate and an operator role isolate; a changed role is denied from then on', async () => {
    const machineId = sandbox.control.machines()[0]!.id;
    const mde = userClient('mde', 'analyst', ['Machine.Isolate']);
    const ok = await mde.post(`/api/machines/${machineId}/isolate`, { Comment: 'c', IsolationType: 'Full' });
    assert.equal(ok.status, 201, JSON.stringify(ok.data));
    sandbox.control.setUserRole('analyst', 'reader');
    const denied = await mde.post(`/api/machines/${machineId}/unisolate`, { Comment: 'c' });
    assert.equal(denied.status, 403);
  });
});
