// Graph security incidents through axios over TLS: list (filters, paging, $expand, $count), get, update, comments,
// and the 401/403 answers.
import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';
import type { AxiosInstance } from 'axios';
import { startSandbox, type Sandbox } from '../../sandbox';
import { apiClient, client, GRAPH_SCOPE, LEGACY_SCOPE, token } from './helpers';

let sandbox: Sandbox;
let graph: AxiosInstance;
before(async () => {
  sandbox = await startSandbox({ rateLimits: false });
  graph = await apiClient(sandbox, 'graph');
});
after(() => sandbox.close());
beforeEach(() => sandbox.control.reset());

interface GraphIncident {
  id: string;
  status: string;
  severity: string;
  classification: string;
  determination: string;
  assignedTo: string | null;
  customTags: string[];
  createdDateTime: string;
  lastUpdateDateTime: string;
  lastModifiedBy: string | null;
  comments: { comment: string; createdByDisplayName: string; createdDateTime: string }[];
  alerts?: { id: string; evidence: { '@odata.type': string }[] }[];
}
interface Page {
  value: GraphIncident[];
  '@odata.nextLink'?: string;
  '@odata.count'?: number;
  '@odata.context': string;
}

const ids = (p: Page): string[] => p.value.map((i) => i.id);

describe('GET /security/incidents', () => {
  it('lists the seed incidents newest first with the Graph envelope', async () => {
    const res = await graph.get<Page>('/security/incidents');
    assert.equal(res.status, 200);
    assert.match(String(res.headers['content-type']), /^application\/json;odata\.metadata=minimal/);
    assert.equal(res.data['@odata.context'], `${sandbox.url}/v1.0/$metadata#security/incidents`);
    assert.equal(res.data.value.length, 13);
    const created = res.data.value.map((i) => Date.parse(i.createdDateTime));
    assert.deepEqual(
      created,
      [...created].sort((a, b) => b - a),
    );
    const first = res.data.value[0];
    assert.equal(first?.id, '3312');
    assert.equal(first?.alerts, undefined);
  });

  it('filters with eq, ne, in, and, date comparisons; rejects other properties and bad values', async () => {
    const q = async (filter: string): Promise<string[]> => {
      const res = await graph.get<Page>('/security/incidents', { params: { $filter: filter } });
      assert.equal(res.status, 200, JSON.stringify(res.data));
      return ids(res.data);
    };
    assert.deepEqual(await q("status eq 'active'"), ['3312', '3311', '3309', '3300']);
    assert.deepEqual(await q("severity eq 'high' and status ne 'active'"), ['3310']);
    assert.deepEqual(await q("status in ('inProgress','redirected')"), ['3310', '3301']);
    assert.deepEqual(await q("assignedTo eq 'tier2@contoso.com'"), ['3312', '3306', '3302']);
    assert.deepEqual(await q("classification eq 'falsePositive'"), ['3307', '3302']);
    assert.deepEqual(await q("determination eq 'securityTesting'"), ['3308']);
    const since = new Date(Date.now() - 2 * 86_400_000).toISOString();
    assert.deepEqual(await q(`createdDateTime ge ${since}`), ['3312', '3311', '3310', '3309']);
    assert.deepEqual(await q(`lastUpdateDateTime gt ${since} and severity eq 'medium'`), ['3312', '3311']);

    const bad = await graph.get('/security/incidents', { params: { $filter: "displayName eq 'x'" } });
    assert.equal(bad.status, 400);
    assert.equal(bad.data.error.code, 'BadRequest');
    assert.match(bad.data.error.message, /displayName/);
    assert.equal(typeof bad.data.error.innerError['request-id'], 'string');
    const badEnum = await graph.get('/security/incidents', { params: { $filter: "status eq 'open'" } });
    assert.equal(badEnum.status, 400);
    assert.match(badEnum.data.error.message, /'open' is not a valid enumeration/);
  });

  it('pages with $top ≤ 50 and an absolute @odata.nextLink, with $count', async () => {
    for (let n = 0; n < 60; n++) sandbox.control.addIncident({ displayName: `bulk ${n}`, severity: 'low' });
    const tooMany = await graph.get('/security/incidents', { params: { $top: 51 } });
    assert.equal(tooMany.status, 400);
    assert.match(tooMany.data.error.message, /The limit of '50' for Top query has been exceeded/);

    const seen: string[] = [];
    let url: string | undefined =
      `${sandbox.graphBaseUrl}/security/incidents?$top=25&$count=true&$filter=${encodeURIComponent("severity eq 'low'")}`;
    let pages = 0;
    while (url) {
      const res: { status: number; data: Page } = await graph.get<Page>(url);
      assert.equal(res.status, 200);
      if (pages === 0) assert.equal(res.data['@odata.count'], 65);
      seen.push(...ids(res.data));
      url = res.data['@odata.nextLink'];
      if (url) assert.ok(url.startsWith(`${sandbox.graphBaseUrl}/security/incidents?`), url);
      pages += 1;
    }
    assert.equal(pages, 3);
    assert.equal(seen.length, 65);
    assert.equal(new Set(seen).size, 65);

    const skipped = await graph.get<Page>('/security/incidents', { params: { $skip: 70 } });
    assert.deepEqual([skipped.data.value.length, skipped.data['@odata.nextLink']], [3, undefined]);
    const defaultPage = await graph.get<Page>('/security/incidents');
    assert.equal(defaultPage.data.value.length, 50);
    assert.match(defaultPage.data['@odata.nextLink'] ?? '', /\$skip=50$/);
  });

  it('expands alerts with typed evidence', async () => {
    const res = await graph.get<Page>('/security/incidents', { params: { $expand: 'alerts', $top: 4 } });
    assert.equal(res.status, 200);
    const multi = res.data.value.find((i) => i.id === '3309');
    assert.deepEqual(
      multi?.alerts?.map((a) => a.id),
      ['da6371000000000000_1003', 'da6371000000000000_1001'],
    );
    const types = new Set(
      res.data.value.flatMap((i) => i.alerts ?? []).flatMap((a) => a.evidence.map((e) => e['@odata.type'])),
    );
    for (const t of [
      'deviceEvidence',
      'userEvidence',
      'ipEvidence',
      'fileEvidence',
      'processEvidence',
      'mailboxEvidence',
      'analyzedMessageEvidence',
      'urlEvidence',
      'mailboxConfigurationEvidence',
    ]) {
      assert.ok(types.has(`#microsoft.graph.security.${t}`), t);
    }
    const bad = await graph.get('/security/incidents', { params: { $expand: 'comments2' } });
    assert.equal(bad.status, 400);
  });
});

describe('GET/PATCH /security/incidents/{id} and comments', () => {
  it('gets one incident, 404 for an unknown id', async () => {
    const res = await graph.get('/security/incidents/3309?$expand=alerts');
    assert.equal(res.status, 200);
    assert.equal(res.data['@odata.context'], `${sandbox.url}/v1.0/$metadata#security/incidents/$entity`);
    assert.equal(res.data.alerts.length, 2);
    const missing = await graph.get('/security/incidents/999999');
    assert.equal(missing.status, 404);
    assert.equal(missing.data.error.code, 'NotFound');
  });

  it('updates the allowed fields, accepting enums in any case and returning camelCase', async () => {
    const res = await graph.patch('/security/incidents/3309', {
      status: 'Resolved',
      classification: 'TruePositive',
      determination: 'MultiStagedAttack',
      assignedTo: 'secops2@contoso.com',
      customTags: ['Riposte'],
      resolvingComment: 'Contained.',
      severity: 'HIGH',
    });
    assert.equal(res.status, 200, JSON.stringify(res.data));
    assert.deepEqual(
      [
        res.data.status,
        res.data.classification,
        res.data.determination,
        res.data.severity,
        res.data.assignedTo,
        res.data.customTags,
      ],
      ['resolved', 'truePositive', 'multiStagedAttack', 'high', 'secops2@contoso.com', ['Riposte']],
    );
    assert.equal(res.data.lastModifiedBy, `API-App:${sandbox.clientId}`);
    const stored = sandbox.control.incident('3309');
    assert.equal(stored?.status, 'resolved');
    assert.ok(stored?.alerts.every((a) => a.status === 'resolved'));
    assert.ok(Date.parse(stored?.lastUpdateDateTime ?? '') > Date.now() - 60_000);
    // Both doc spellings of renamed values are accepted; the GET spelling comes back.
    const renamed = await graph.patch('/security/incidents/3310', {
      classification: 'truePositive',
      determination: 'compromisedAccount',
    });
    assert.equal(renamed.data.determination, 'compromisedUser');
  });

  it('rejects bad enums, read-only and unknown properties, and incompatible determinations, naming them', async () => {
    const cases: Array<[Record<string, unknown>, RegExp]> = [
      [{ status: 'closed' }, /Invalid value 'closed' for property 'status'/],
      [{ severity: 'critical' }, /property 'severity'/],
      [{ createdDateTime: '2020-01-01T00:00:00Z' }, /'createdDateTime' is read-only/],
      [{ colour: 'red' }, /'colour' does not exist on type 'microsoft.graph.security.incident'/],
      [
        { classification: 'falsePositive', determination: 'malware' },
        /Determination 'malware' is not valid with classification 'falsePositive'/,
      ],
      [{ determination: 'phishing' }, /not valid with classification 'unknown'/],
      [{ customTags: 'x' }, /customTags/],
    ];
    for (const [body, message] of cases) {
      const res = await graph.patch('/security/incidents/3312', body);
      assert.equal(res.status, 400, JSON.stringify(body));
      assert.equal(res.data.error.code, 'BadRequest');
      assert.match(res.data.error.message, message);
    }
    assert.equal(sandbox.control.incident('3312')?.status, 'active');
  });

  it('adds comments and returns the whole list', async () => {
    const res = await graph.post('/security/incidents/3310/comments', {
      '@odata.type': 'microsoft.graph.security.alertComment',
      comment: 'Riposte isolated the device.',
    });
    assert.equal(res.status, 200);
    assert.equal(
      res.data['@odata.context'],
      `${sandbox.url}/v1.0/$metadata#Collection(microsoft.graph.security.alertComment)`,
    );
    assert.deepEqual(
      res.data.value.map((c: { comment: string }) => c.comment),
      ['Isolating the device while we review the downloaded script.', 'Riposte isolated the device.'],
    );
    assert.equal(res.data.value[1].createdByDisplayName, `API-App:${sandbox.clientId}`);
    assert.equal((await graph.post('/security/incidents/3310/comments', {})).status, 400);
    assert.equal((await graph.post('/security/incidents/1/comments', { comment: 'x' })).status, 404);
    assert.equal(sandbox.control.counters().api.comments, 3);
  });
});

describe('Graph authorization', () => {
  it('403 Missing application roles when the token lacks the role', async () => {
    sandbox.control.setRoles(['SecurityIncident.Read.All']);
    const readOnly = client(sandbox, sandbox.graphBaseUrl);
    readOnly.defaults.headers.common.Authorization = `Bearer ${await token(sandbox, GRAPH_SCOPE)}`;
    assert.equal((await readOnly.get('/security/incidents/3312')).status, 200);
    const patch = await readOnly.patch('/security/incidents/3312', { status: 'inProgress' });
    assert.equal(patch.status, 403);
    assert.equal(patch.data.error.code, 'Forbidden');
    assert.equal(
      patch.data.error.message,
      'Missing application roles. API required roles: SecurityIncident.ReadWrite.All, application roles: SecurityIncident.Read.All.',
    );
    const hunt = await readOnly.post('/security/runHuntingQuery', { Query: 'DeviceInfo | take 1' });
    assert.equal(hunt.status, 403);
    assert.match(
      hunt.data.error.message,
      /API required roles: ThreatHunting.Read.All, application roles: SecurityIncident.Read.All\.$/,
    );
    sandbox.control.setRoles([]);
    const none = client(sandbox, sandbox.graphBaseUrl);
    none.defaults.headers.common.Authorization = `Bearer ${await token(sandbox, GRAPH_SCOPE)}`;
    const list = await none.get('/security/incidents');
    assert.equal(
      list.data.error.message,
      'Missing application roles. API required roles: SecurityIncident.Read.All,SecurityIncident.ReadWrite.All, application roles: .',
    );
  });

  it('401 for no token, a token for another audience, an expired or a revoked token', async () => {
    const anon = client(sandbox, sandbox.graphBaseUrl);
    const noToken = await anon.get('/security/incidents');
    assert.deepEqual([noToken.status, noToken.data.error.code], [401, 'InvalidAuthenticationToken']);
    const legacyToken = await token(sandbox, LEGACY_SCOPE);
    const wrongAud = await anon.get('/security/incidents', { headers: { authorization: `Bearer ${legacyToken}` } });
    assert.equal(wrongAud.status, 401);
    assert.equal(wrongAud.data.error.message, 'Access token validation failure. Invalid audience.');
    const forged = await anon.get('/security/incidents', {
      headers: { authorization: `Bearer ${legacyToken.slice(0, -4)}AAAA` },
    });
    assert.equal(forged.status, 401);

    const fresh = await token(sandbox, GRAPH_SCOPE);
    assert.equal(
      (await anon.get('/security/incidents/3312', { headers: { authorization: `Bearer ${fresh}` } })).status,
      200,
    );
    sandbox.control.revokeTokens();
    const revoked = await anon.get('/security/incidents/3312', { headers: { authorization: `Bearer ${fresh}` } });
    assert.equal(revoked.status, 401);
    assert.match(revoked.data.error.message, /revoked/);
    const after = await token(sandbox, GRAPH_SCOPE);
    assert.equal(
      (await anon.get('/security/incidents/3312', { headers: { authorization: `Bearer ${after}` } })).status,
      200,
    );
  });
});
