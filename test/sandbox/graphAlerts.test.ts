// Graph alerts_v2 in the sandbox over TLS, as the documentation describes it: every evidence type, $filter on the
// documented properties only, paging, PATCH validation (a bad value is Graph's 400 and changes nothing), comments
// answering the whole list, and the alert roles (403 without them).
import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';
import type { AxiosInstance, AxiosResponse } from 'axios';
import { startSandbox, type Sandbox } from '../../sandbox';
import { apiClient } from './helpers';

let sandbox: Sandbox;
let graph: AxiosInstance;
before(async () => {
  sandbox = await startSandbox({ rateLimits: false });
  graph = await apiClient(sandbox, 'graph');
});
after(() => sandbox.close());
beforeEach(() => sandbox.control.reset());

interface GraphAlert {
  id: string;
  incidentId: string;
  status: string;
  comments: { comment: string; createdByDisplayName: string; createdDateTime: string }[];
  evidence: { '@odata.type': string }[];
}

describe('sandbox Graph alerts_v2', () => {
  it('serves every alert of the incidents, with evidence of each type the alertEvidence page lists', async () => {
    const res = await graph.get<{ value: GraphAlert[] }>('/security/alerts_v2', { params: { $top: 1000 } });
    assert.equal(res.status, 200);
    const stored = sandbox.control.incidents().flatMap((i) => i.alerts.map((a) => [a.id, String(i.id)]));
    assert.deepEqual(res.data.value.map((a) => [a.id, a.incidentId]).sort(), stored.sort());
    const types = new Set(res.data.value.flatMap((a) => a.evidence.map((e) => e['@odata.type'])));
    // GD api-reference/v1.0/resources/security-alertevidence.md, "Types derived from alertEvidence" (v1.0).
    for (const t of [
      'analyzedMessageEvidence',
      'cloudApplicationEvidence',
      'deviceEvidence',
      'fileEvidence',
      'ipEvidence',
      'mailboxEvidence',
      'mailClusterEvidence',
      'oauthApplicationEvidence',
      'processEvidence',
      'registryKeyEvidence',
      'registryValueEvidence',
      'securityGroupEvidence',
      'urlEvidence',
      'userEvidence',
    ])
      assert.ok(types.has(`#microsoft.graph.security.${t}`), t);
  });

  it('filters on documented properties and refuses others; pages with @odata.nextLink', async () => {
    const ok = await graph.get<{ value: GraphAlert[] }>('/security/alerts_v2', {
      params: { $filter: "status eq 'new' and severity eq 'high'" },
    });
    assert.equal(ok.status, 200);
    assert.ok(ok.data.value.every((a) => a.status === 'new'));
    const bad = await graph.get('/security/alerts_v2', { params: { $filter: "incidentId eq '3309'" } });
    assert.equal(bad.status, 400);
    assert.equal(bad.data.error.code, 'BadRequest');
    assert.match(bad.data.error.message, /filterable property named 'incidentId'/);
    const page = await graph.get<{ value: GraphAlert[]; '@odata.nextLink'?: string }>('/security/alerts_v2', {
      params: { $top: 2 },
    });
    assert.equal(page.data.value.length, 2);
    assert.match(page.data['@odata.nextLink'] ?? '', /\/v1\.0\/security\/alerts_v2\?.*\$skip=2/);
    const tooMany = await graph.get('/security/alerts_v2', { params: { $top: 1001 } });
    assert.equal(tooMany.status, 400);
  });

  it('PATCH: documented values change the alert; a bad enum or property is a 400 in Graph’s envelope, nothing changed', async () => {
    const [first] = (await graph.get<{ value: GraphAlert[] }>('/security/alerts_v2')).data.value;
    assert.ok(first);
    const ok = await graph.patch<GraphAlert & { determination: string }>(`/security/alerts_v2/${first.id}`, {
      status: 'resolved',
      classification: 'truePositive',
      determination: 'compromisedUser',
    });
    assert.equal(ok.status, 200);
    assert.equal(ok.data.status, 'resolved');
    assert.equal(ok.data.determination, 'compromisedUser');
    const snapshot = JSON.stringify(sandbox.control.incidents());
    const refused: Record<string, string>[] = [
      { status: 'closed' },
      { determination: 'compromisedAccount' },
      { severity: 'high' },
    ];
    for (const body of refused) {
      const bad: AxiosResponse<{ error: { code: string; innerError: Record<string, string> } }> = await graph.patch(
        `/security/alerts_v2/${first.id}`,
        { ...body, assignedTo: 'x@contoso.com' },
      );
      assert.equal(bad.status, 400, JSON.stringify(body));
      assert.equal(bad.data.error.code, 'BadRequest');
      assert.ok(bad.data.error.innerError['request-id']);
    }
    assert.equal(JSON.stringify(sandbox.control.incidents()), snapshot, 'a refused PATCH changes nothing');
    const missing = await graph.get('/security/alerts_v2/da000_1');
    assert.equal(missing.status, 404);
  });

  it('comments POST appends and answers every comment; the alert roles are required', async () => {
    const [first] = (await graph.get<{ value: GraphAlert[] }>('/security/alerts_v2')).data.value;
    assert.ok(first);
    const body = { '@odata.type': 'microsoft.graph.security.alertComment', comment: 'one' };
    await graph.post(`/security/alerts_v2/${first.id}/comments`, body);
    const res = await graph.post<{ value: GraphAlert['comments'] }>(`/security/alerts_v2/${first.id}/comments`, {
      ...body,
      comment: 'two',
    });
    assert.equal(res.status, 200);
    assert.deepEqual(
      res.data.value.map((c) => c.comment),
      ['one', 'two'],
    );
    sandbox.control.setRoles(['SecurityIncident.ReadWrite.All', 'ThreatHunting.Read.All']);
    const denied = await (await apiClient(sandbox, 'graph')).get('/security/alerts_v2');
    assert.equal(denied.status, 403);
    assert.match(denied.data.error.message, /SecurityAlert\.Read\.All/);
  });
});
