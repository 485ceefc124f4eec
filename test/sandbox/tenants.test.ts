// The multi-tenant sandbox (sandbox/tenants.ts): each added tenant is its own Entra tenant (tenant id, app
// registration, secret) with its own incidents, quota and counters; the home tenant behaves as before.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startSandbox, type AddedTenant, type Sandbox } from '../../sandbox';
import { claimsOf, client, GRAPH_SCOPE } from './helpers';

describe('sandbox: several tenants', () => {
  let sandbox: Sandbox;
  let contoso: AddedTenant;

  before(async () => {
    sandbox = await startSandbox({ rateLimitScale: 1 });
    contoso = sandbox.control.addTenant({ secretName: 'contoso-secret' });
  });
  after(() => sandbox.close());

  const tokenRequest = (tenantId: string, clientId: string, secret: string) =>
    client(sandbox).post(
      `/${tenantId}/oauth2/v2.0/token`,
      new URLSearchParams({
        grant_type: 'client_credentials',
        client_id: clientId,
        client_secret: secret,
        scope: GRAPH_SCOPE,
      }),
    );

  it("issues a tenant's token only for its own app and secret, with its tid and issuer", async () => {
    const secret = sandbox.control.tenant(contoso.tenantId).currentSecret();
    assert.notEqual(secret, sandbox.control.currentSecret());
    const ok = await tokenRequest(contoso.tenantId, contoso.clientId, secret);
    assert.equal(ok.status, 200);
    const claims = claimsOf((ok.data as { access_token: string }).access_token);
    assert.equal(claims.tid, contoso.tenantId);
    assert.equal(claims.iss, `${sandbox.url}/${contoso.tenantId}/v2.0`);
    assert.equal(claims.appid, contoso.clientId);

    // The home tenant's app is not registered there (AADSTS700016), nor is its secret valid for contoso's app.
    const wrongApp = await tokenRequest(contoso.tenantId, sandbox.clientId, sandbox.control.currentSecret());
    assert.equal(wrongApp.status, 400);
    assert.match(String((wrongApp.data as { error_description: string }).error_description), /^AADSTS700016:/);
    const wrongSecret = await tokenRequest(contoso.tenantId, contoso.clientId, sandbox.control.currentSecret());
    assert.equal(wrongSecret.status, 401);
    assert.match(String((wrongSecret.data as { error_description: string }).error_description), /^AADSTS7000215:/);
  });

  it("answers the APIs with the token's tenant's data and counts and throttles each tenant apart", async () => {
    sandbox.control.tenant(contoso.tenantId).addIncident({ displayName: 'contoso only' });
    const secret = sandbox.control.tenant(contoso.tenantId).currentSecret();
    const t = (await tokenRequest(contoso.tenantId, contoso.clientId, secret)).data as { access_token: string };
    const graph = client(sandbox, sandbox.graphBaseUrl);
    const res = await graph.get('/security/incidents', { headers: { Authorization: `Bearer ${t.access_token}` } });
    assert.equal(res.status, 200);
    assert.deepEqual(
      (res.data as { value: { displayName: string }[] }).value.map((i) => i.displayName),
      ['contoso only'],
    );
    assert.equal(sandbox.control.tenant(contoso.tenantId).counters().api.incidentsList, 1);
    assert.equal(sandbox.control.counters().api.incidentsList, 0);
    assert.ok(sandbox.control.incidents().length > 1, 'the home tenant keeps its seed incidents');
    assert.ok(!sandbox.control.incidents().some((i) => i.displayName === 'contoso only'));

    // Contoso's 50 a minute are its own: using them up throttles contoso, not the home tenant.
    for (let i = 1; i < 50; i++)
      await graph.get('/security/incidents', { headers: { Authorization: `Bearer ${t.access_token}` } });
    const throttled = await graph.get('/security/incidents', {
      headers: { Authorization: `Bearer ${t.access_token}` },
    });
    assert.equal(throttled.status, 429);
    assert.equal(sandbox.control.tenant(contoso.tenantId).counters().throttled, 1);
    const home = await tokenRequest(sandbox.tenantId, sandbox.clientId, sandbox.control.currentSecret());
    const homeList = await graph.get('/security/incidents', {
      headers: { Authorization: `Bearer ${(home.data as { access_token: string }).access_token}` },
    });
    assert.equal(homeList.status, 200);
    assert.equal(sandbox.control.counters().throttled, 0);
  });

  it('refuses a token re-labelled for another tenant (its signature no longer matches)', async () => {
    const home = await tokenRequest(sandbox.tenantId, sandbox.clientId, sandbox.control.currentSecret());
    const [h, p] = (home.data as { access_token: string }).access_token.split('.');
    const claims = JSON.parse(Buffer.from(p ?? '', 'base64url').toString('utf8')) as Record<string, unknown>;
    const forged = `${h}.${Buffer.from(JSON.stringify({ ...claims, tid: contoso.tenantId })).toString('base64url')}.x`;
    const res = await client(sandbox, sandbox.graphBaseUrl).get('/security/incidents', {
      headers: { Authorization: `Bearer ${forged}` },
    });
    assert.equal(res.status, 401, 'a token re-labelled for another tenant fails its signature there');
  });

  it('reset removes the added tenants', async () => {
    sandbox.control.reset();
    assert.throws(() => sandbox.control.tenant(contoso.tenantId), /no tenant/);
    const res = await tokenRequest(contoso.tenantId, contoso.clientId, 'x');
    assert.equal(res.status, 400);
    assert.match(String((res.data as { error_description: string }).error_description), /^AADSTS90002:/);
  });
});
