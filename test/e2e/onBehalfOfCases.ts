// On behalf of the caller, end to end through the Function host (onBehalfOf.test.ts: Graph, onBehalfOfLegacy.test.ts:
// legacy): analysts' Entra ID tokens minted by the sandbox, validated by Riposte (jose, the sandbox's JWKS over TLS),
// exchanged with the real OnBehalfOfCredential at the sandbox's OBO grant, and the Defender API called with the
// delegated token, so the sandbox applies the analyst's own role and records them as the actor.
import assert from 'node:assert/strict';
import { generateKeyPairSync, randomUUID, sign } from 'node:crypto';
import { after, before, beforeEach, describe, it } from 'node:test';
import { SANDBOX_CALLER_APP_ID, SANDBOX_USERS } from '../../sandbox';
import { users } from '../../sandbox/seed/entities';
import type { RunReport } from '../../shared/engine';
import { isRiposteComment } from '../../shared/steps';
import { errorOf, startHarness, type Harness } from './harness';

/** A directory user the shipped contain-compromised-user workflow could disable. */
const TARGET_UPN = users[3]!.upn;

export function describeOnBehalfOf(api: 'graph' | 'legacy'): void {
  let h: Harness;
  before(async () => {
    h = await startHarness({
      api,
      // Incident endpoints on behalf of the caller; hunting stays on the function key (per-endpoint mode).
      settings: { HTTP_AUTH_MODE: 'bearer;runHuntingQuery=functionKey' },
    });
  });
  after(async () => {
    await h?.close();
  });
  beforeEach(() => h.sandbox.control.reset());

  const token = (
    user: string,
    o: { scopes?: string[]; audience?: string; ver?: '1.0' | '2.0'; tenantId?: string; shiftSeconds?: number } = {},
  ): string =>
    h.sandbox.control.userToken(user, {
      audience: o.audience ?? h.sandbox.clientId,
      scopes: o.scopes ?? ['access_as_user'],
      clientAppId: SANDBOX_CALLER_APP_ID,
      ...(o.ver ? { ver: o.ver } : {}),
      ...(o.tenantId ? { tenantId: o.tenantId } : {}),
      ...(o.shiftSeconds ? { shiftSeconds: o.shiftSeconds } : {}),
    });
  const asCaller = (method: string, path: string, bearer: string, body?: unknown) =>
    h.call(method, path, { key: false, headers: { authorization: `Bearer ${bearer}` }, ...(body ? { body } : {}) });
  const incidentId = (): number => h.sandbox.control.incidents().find((i) => i.status !== 'resolved')!.id;

  describe(`on behalf of the caller (${api})`, () => {
    it('the analyst updates an incident: the sandbox attributes the change to them, through Riposte as the client app', async () => {
      const id = incidentId();
      const r = await asCaller('PATCH', `/api/incidents/${id}`, token('analyst'), {
        status: 'inProgress',
        comment: 'Triaged by the analyst through Riposte',
      });
      assert.equal(r.status, 200, r.text);
      const stored = h.sandbox.control.incident(id)!;
      assert.equal(stored.status, 'inProgress');
      assert.equal(stored.comments.at(-1)?.createdBy, SANDBOX_USERS.analyst.upn);
      if (api === 'graph') assert.equal(stored.lastModifiedBy, SANDBOX_USERS.analyst.upn);
      const audit = h.sandbox.control.userAudit().filter((e) => e.family === 'incidentsUpdate');
      assert.ok(audit.length > 0);
      for (const e of audit) {
        assert.equal(e.oid, SANDBOX_USERS.analyst.oid);
        assert.equal(e.appId, h.sandbox.clientId, 'the downstream token is the OBO token issued to Riposte');
      }
      // Also a v1 token (aud api://{clientId}, iss sts.windows.net): Riposte's API may be on either version.
      const v1 = await asCaller(
        'GET',
        `/api/incidents/${id}`,
        token('analyst', { ver: '1.0', audience: `api://${h.sandbox.clientId}` }),
      );
      assert.equal(v1.status, 200, v1.text);
    });

    it("the read-only analyst reads, but a change is 403 with the API's denial and names them; nothing changes", async () => {
      const id = incidentId();
      const before = h.sandbox.control.incident(id);
      const read = await asCaller('GET', `/api/incidents/${id}`, token('reader'));
      assert.equal(read.status, 200, read.text);
      const r = await asCaller('PATCH', `/api/incidents/${id}`, token('reader'), { status: 'inProgress' });
      assert.equal(r.status, 403, r.text);
      const e = errorOf(r) as ReturnType<typeof errorOf> & { upstreamStatus?: number };
      assert.equal(e.code, 'USER_FORBIDDEN');
      assert.equal(e.upstreamStatus, 403);
      assert.match(e.message, new RegExp(SANDBOX_USERS.reader.upn.replace('.', '\\.')));
      if (api === 'graph') assert.match(e.message, /user does not have valid roles/);
      assert.deepEqual(h.sandbox.control.incident(id), before);
      // A user with no Defender role is refused a read too.
      const none = await asCaller('GET', `/api/incidents/${id}`, token('outsider'));
      assert.equal(none.status, 403, none.text);
      assert.equal(errorOf(none).code, 'USER_FORBIDDEN');
    });

    it('refuses forged, expired, wrong-audience, wrong-tenant tokens with 401 and a Bearer challenge', async () => {
      const id = incidentId();
      // Same claims, signed with a key that is not the authority's.
      const good = token('analyst');
      const [header, payload] = good.split('.') as [string, string];
      const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
      const forged = `${header}.${payload}.${sign('RSA-SHA256', Buffer.from(`${header}.${payload}`), privateKey).toString('base64url')}`;
      const cases: [string, string, RegExp][] = [
        ['forged', forged, /signature/],
        ['expired', token('analyst', { shiftSeconds: -7200 }), /expired/],
        ['wrong audience', token('analyst', { audience: 'https://graph.microsoft.com' }), /another audience/],
        ['wrong tenant', token('analyst', { tenantId: randomUUID() }), /not allowed/],
        ['not a JWT', 'abc.def', /well-formed|bearer token/],
      ];
      for (const [name, bearer, text] of cases) {
        const r = await asCaller('GET', `/api/incidents/${id}`, bearer);
        assert.equal(r.status, 401, `${name}: ${r.text}`);
        const e = errorOf(r);
        assert.equal(e.code, 'TOKEN_INVALID', name);
        assert.match(e.message, text, name);
        assert.match(
          r.headers.get('www-authenticate') ?? '',
          /^Bearer error="invalid_token", error_description="/,
          name,
        );
        assert.ok(!r.text.includes(bearer), `${name}: the token is never echoed`);
      }
      const missing = await h.call('GET', `/api/incidents/${id}`, { key: false });
      assert.equal(missing.status, 401, missing.text);
      assert.match(errorOf(missing).message, /No access token/);
      // App Service authentication's principal header is never trusted alone (identity-modes.md §3.4).
      const principal = Buffer.from(JSON.stringify({ auth_typ: 'aad', claims: [] })).toString('base64');
      const headerOnly = await h.call('GET', `/api/incidents/${id}`, {
        key: false,
        headers: { 'x-ms-client-principal': principal, 'x-ms-client-principal-name': SANDBOX_USERS.analyst.upn },
      });
      assert.equal(headerOnly.status, 401, headerOnly.text);
      assert.match(errorOf(headerOnly).message, /X-MS-CLIENT-PRINCIPAL alone is not trusted/);
      assert.equal(h.sandbox.control.userAudit().length, 0, 'nothing reached the API');
    });

    it('refuses a scope-less user token and an app-only token with 403 insufficient_scope', async () => {
      const id = incidentId();
      for (const [name, bearer, text] of [
        ['no scp', token('analyst', { scopes: [] }), /no delegated scopes/],
        ['other scope', token('analyst', { scopes: ['Files.Read'] }), /lacks the scope access_as_user/],
        ['app-only', h.sandbox.control.appOnlyToken(h.sandbox.clientId), /app-only/],
      ] as const) {
        const r = await asCaller('GET', `/api/incidents/${id}`, bearer);
        assert.equal(r.status, 403, `${name}: ${r.text}`);
        assert.equal(errorOf(r).code, 'INSUFFICIENT_SCOPE', name);
        assert.match(errorOf(r).message, text, name);
        assert.match(r.headers.get('www-authenticate') ?? '', /error="insufficient_scope"/, name);
      }
    });

    it('a user without consent gets 403 naming AADSTS65001 from the on-behalf-of exchange', async () => {
      h.sandbox.control.setUserConsent('analyst', h.sandbox.clientId, false);
      const r = await asCaller('GET', `/api/incidents/${incidentId()}`, token('analyst'));
      assert.equal(r.status, 403, r.text);
      assert.equal(errorOf(r).code, 'USER_FORBIDDEN');
      assert.match(errorOf(r).message, /AADSTS65001/);
    });

    it('a user conditional access stops (MFA) gets 401 invalid_token naming them and AADSTS50079; nothing is changed', async () => {
      // ED v2-oauth2-on-behalf-of-flow.md, "Error response example": the middle tier hands the error to its client,
      // which signs the user in again interactively.
      h.sandbox.control.setUserMfaRequired('analyst', true);
      const id = incidentId();
      const before = h.sandbox.control.incident(id);
      const r = await asCaller('PATCH', `/api/incidents/${id}`, token('analyst'), { status: 'resolved' });
      assert.equal(r.status, 401, r.text);
      assert.equal(errorOf(r).code, 'TOKEN_INVALID');
      assert.match(errorOf(r).message, new RegExp(`${SANDBOX_USERS.analyst.upn.replace('.', '\\.')}.*sign in again`));
      assert.match(errorOf(r).message, /AADSTS50079/);
      assert.match(r.headers.get('www-authenticate') ?? '', /^Bearer error="invalid_token"/);
      assert.equal(r.headers.get('retry-after'), null, 'not an outage: retrying the same token cannot help');
      assert.deepEqual(h.sandbox.control.incident(id), before);
      assert.equal(h.sandbox.control.userAudit().length, 0, 'nothing reached the API');
      // Once the user satisfies the policy, the same call goes through.
      h.sandbox.control.setUserMfaRequired('analyst', false);
      const again = await asCaller('GET', `/api/incidents/${id}`, token('analyst'));
      assert.equal(again.status, 200, again.text);
    });

    it('a workflow run on behalf of the analyst: the report and the comment name them, the sandbox records them', async () => {
      const r = await asCaller('POST', '/api/workflows/ticket-closed-resolve/run', token('analyst'), {
        input: { incidentId: '3311', ticketId: 'INC0012345', closeCode: 'True positive - malware' },
      });
      assert.equal(r.status, 200, r.text);
      const report = r.json<RunReport>();
      assert.equal(report.status, 'succeeded');
      assert.deepEqual(report.actingUser, { upn: SANDBOX_USERS.analyst.upn, oid: SANDBOX_USERS.analyst.oid });
      const s = h.sandbox.control.incident(3311)!;
      assert.equal(s.status, 'resolved');
      const mine = s.comments.filter((c) => isRiposteComment(c.comment));
      assert.equal(mine.length, 1);
      assert.match(
        mine[0]!.comment,
        new RegExp(
          `\\(on behalf of ${SANDBOX_USERS.analyst.upn.replace('.', '\\.')}, ${SANDBOX_USERS.analyst.oid}\\) — \\[riposte:[0-9a-f]{8}\\]$`,
        ),
      );
      assert.equal(mine[0]!.createdBy, SANDBOX_USERS.analyst.upn, 'Defender attributes the comment to the analyst');
      // A run on behalf of the caller cannot go to the background (which would act as the app).
      const async = await h.call('POST', '/api/workflows/ticket-closed-resolve/run', {
        key: false,
        headers: { authorization: `Bearer ${token('analyst')}`, prefer: 'respond-async' },
        body: { input: { incidentId: '3310', ticketId: 'INC1', closeCode: 'True positive' } },
      });
      assert.equal(async.status, 400, async.text);
      assert.equal(errorOf(async).field, 'Prefer');
    });

    it("a workflow run by the read-only analyst fails 403 with the API's denial in its report; nothing changes", async () => {
      // Another incident and ticket than the analyst's run: Riposte's write guard remembers that one as done.
      const before = h.sandbox.control.incident(3310);
      assert.notEqual(before?.status, 'resolved');
      const r = await asCaller('POST', '/api/workflows/ticket-closed-resolve/run', token('reader'), {
        input: { incidentId: '3310', ticketId: 'INC0099999', closeCode: 'True positive - malware' },
      });
      assert.equal(r.status, 403, r.text);
      const report = r.json<RunReport>();
      assert.equal(report.status, 'failed');
      assert.equal(report.error?.code, 'USER_FORBIDDEN');
      assert.deepEqual(report.actingUser, { upn: SANDBOX_USERS.reader.upn, oid: SANDBOX_USERS.reader.oid });
      assert.deepEqual(h.sandbox.control.incident(3310), before);
    });

    it('a step that needs approval is refused 403 on behalf of the caller, never run as the app nor unasked', async () => {
      const target = h.sandbox.control.user(TARGET_UPN)!;
      assert.equal(target.accountEnabled, true);
      const r = await asCaller('POST', '/api/workflows/contain-compromised-user/run', token('analyst'), {
        input: { incidentId: String(incidentId()), user: TARGET_UPN },
      });
      assert.equal(r.status, 403, r.text);
      const report = r.json<RunReport>();
      assert.equal(report.error?.code, 'APPROVAL_NEEDS_APP_CONTEXT');
      assert.match(report.error?.message ?? '', /disableUser/);
      assert.match(report.error?.message ?? '', new RegExp(SANDBOX_USERS.analyst.upn.replace('.', '\\.')));
      assert.equal(report.approvals, undefined, 'no approval was requested');
      assert.equal(h.sandbox.control.user(TARGET_UPN)?.accountEnabled, true, 'the account was not disabled');
    });

    it('refuses mixing: a function key with a bearer, a key alone on a bearer endpoint, a bearer on a key endpoint', async () => {
      const id = incidentId();
      const both = await h.call('GET', `/api/incidents/${id}`, {
        headers: { authorization: `Bearer ${token('analyst')}` },
      });
      assert.equal(both.status, 400, both.text);
      assert.equal(errorOf(both).code, 'AUTH_MODE_MIXED');
      assert.match(errorOf(both).message, /both a function key and an access token/);
      const keyOnly = await h.call('GET', `/api/incidents/${id}`);
      assert.equal(keyOnly.status, 400, keyOnly.text);
      assert.match(errorOf(keyOnly).message, /not a function key/);
      // runHuntingQuery stays on the function key: a bearer there is refused, the key alone works as today.
      const hunt = await h.call('POST', '/api/hunting/device-logons', {
        headers: { authorization: `Bearer ${token('analyst')}` },
        body: { parameters: { deviceName: 'ws-fin-042.contoso.local' } },
      });
      assert.equal(hunt.status, 400, hunt.text);
      assert.equal(errorOf(hunt).code, 'AUTH_MODE_MIXED');
      const noKey = await h.call('POST', '/api/hunting/device-logons', { key: false, body: {} });
      assert.equal(noKey.status, 401, 'the host still demands the function key there');
    });
  });
}
