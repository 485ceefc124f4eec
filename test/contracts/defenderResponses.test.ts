// Microsoft's documented Graph security API and legacy Defender XDR API examples (fixtures/graph, fixtures/legacy)
// fed to Riposte's real clients: the composition root (Key Vault secret → Entra token → axios over TLS), with the
// vendor double answering the Defender calls with the documented bodies. Checks what Riposte makes of them (the
// mapped Incident, hunting result and typed error) and what it sends (the documented request shapes).
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, beforeEach, describe, it } from 'node:test';
import { startSandbox, type Sandbox } from '../../sandbox';
import { loadConfig } from '../../shared/config';
import type { Incident } from '../../shared/defender/types';
import { createDeps, type AppDeps } from '../../shared/deps';
import { DefenderApiError } from '../../shared/errors';
import { httpStatusFor } from '../../shared/httpStatus';
import { silentLogger } from '../../shared/logger';
import { fixtureJson } from './fixtures';
import { startVendorDouble, type VendorDouble } from './vendorDouble';

let sandbox: Sandbox;
let vendor: VendorDouble;
let caDir: string;

before(async () => {
  caDir = mkdtempSync(join(tmpdir(), 'riposte-contract-ca-'));
  sandbox = await startSandbox({ rateLimits: false, dataDir: caDir, persistCa: true });
  vendor = await startVendorDouble(sandbox, caDir);
});
after(async () => {
  await vendor?.close();
  await sandbox?.close();
  rmSync(caDir, { recursive: true, force: true });
});
beforeEach(() => vendor.clear());

/** The real clients with Entra, Key Vault and the API all reached through the vendor double. */
function depsFor(api: 'graph' | 'legacy'): AppDeps {
  const settings: Record<string, string> = {
    ...sandbox.settings(api),
    AUTHORITY_HOST: vendor.url,
    KEY_VAULT_URL: vendor.url,
    DEFENDER_API_BASE_URL: api === 'graph' ? `${vendor.url}/v1.0` : vendor.url,
    RATE_LIMIT_WINDOW_SCALE: '0.001',
    MAX_RETRIES: '0',
  };
  // ManagedIdentityCredential (Key Vault) reads the App Service MI variables from process.env only.
  process.env.IDENTITY_ENDPOINT = sandbox.identityEndpoint;
  process.env.IDENTITY_HEADER = sandbox.identityHeader;
  return createDeps(loadConfig(settings), { logger: silentLogger });
}

async function collect<T>(items: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const x of items) out.push(x);
  return out;
}

async function failure(p: Promise<unknown>): Promise<unknown> {
  try {
    await p;
  } catch (e) {
    return e;
  }
  return assert.fail('expected the call to fail');
}

/** What Riposte sent to the API (not to Entra or Key Vault), newest last. */
const apiRequests = (prefix: string) => vendor.received().filter((r) => r.path.startsWith(prefix));
const lower = (v: unknown): unknown => (typeof v === 'string' ? v.toLowerCase() : v);

describe('Graph security API examples', () => {
  const GET = fixtureJson('graph/security-incident-get.json');

  it('GET incident: the documented example maps to the incident it describes', async () => {
    vendor.answer({ method: 'GET', path: /^\/v1\.0\/security\/incidents\/2972395(\?|$)/, status: 200, body: GET });
    const i = await depsFor('graph').defender.getIncident('2972395');
    const { comments, ...rest } = i;
    assert.deepEqual(rest, {
      id: '2972395',
      displayName:
        'Multi-stage incident involving Initial access & Command and control on multiple endpoints reported by multiple sources',
      status: 'active',
      severity: 'medium',
      classification: 'truePositive',
      determination: 'multiStagedAttack',
      assignedTo: 'KaiC@contoso.onmicrosoft.com',
      tags: ['Demo'],
      systemTags: ['Defender Experts'],
      createdDateTime: '2021-08-13T08:43:35.5533333Z',
      lastUpdateDateTime: '2021-09-30T09:35:45.1133333Z',
      webUrl: 'https://security.microsoft.com/incidents/2972395?tid=12f988bf-16f1-11af-11ab-1d7cd011db47',
      redirectIncidentId: null,
      description: String(GET.description),
    } satisfies Omit<Incident, 'comments'>);
    assert.deepEqual(
      comments.map((c) => c.comment),
      ['Demo incident'],
    );
  });

  it("GET incident: keeps a comment's author and time as the documented example sends them (createdBy, createdTime)", async () => {
    vendor.answer({ method: 'GET', path: /^\/v1\.0\/security\/incidents\/2972395(\?|$)/, status: 200, body: GET });
    const i = await depsFor('graph').defender.getIncident('2972395');
    assert.deepEqual(i.comments, [
      {
        comment: 'Demo incident',
        createdBy: 'DavidS@contoso.onmicrosoft.com',
        createdDateTime: '2021-09-30T12:07:37.2756993Z',
      },
    ]);
  });

  it('list incidents with $expand=alerts: alerts and their evidence map to devices and files', async () => {
    vendor.answer({
      method: 'GET',
      path: /^\/v1\.0\/security\/incidents(\?|$)/,
      status: 200,
      body: fixtureJson('graph/security-list-incidents-expand-alerts.json'),
    });
    const list = await collect(depsFor('graph').defender.listIncidents({ expandAlerts: true }));
    assert.equal(list.length, 1);
    const [i] = list;
    assert.deepEqual(
      [i!.id, i!.status, i!.severity, i!.classification, i!.determination],
      ['2972395', 'active', 'medium', 'truePositive', 'multiStagedAttack'],
    );
    const alert = i!.alerts?.[0];
    assert.ok(alert, 'the expanded alert is kept');
    assert.deepEqual(
      [alert.id, alert.title, alert.severity, alert.status, alert.createdDateTime],
      [
        'da637551227677560813_-961444813',
        'Suspicious execution of hidden file',
        'low',
        'new',
        '2021-04-27T12:19:27.7211305Z',
      ],
    );
    assert.deepEqual(alert.devices, ['tempdns']);
    assert.ok(
      alert.files.some(
        (f) =>
          f.name === 'MsSense.exe' &&
          f.sha1 === '5f1e8acedc065031aad553b710838eb366cfee9a' &&
          f.sha256 === '8963a19fb992ad9a76576c5638fd68292cffb9aaac29eb8285f9abf6196a7dec',
      ),
      JSON.stringify(alert.files),
    );
    const sent = apiRequests('/v1.0/security/incidents').at(-1);
    assert.match(decodeURIComponent(sent?.path ?? ''), /\$expand=alerts/);
  });

  for (const [file, what] of [
    ['graph/security-runhuntingquery-example1.json', 'camelCase schema'],
    ['graph/security-runhuntingquery-pascalcase.json', 'PascalCase Name/Type schema'],
  ] as const) {
    it(`runHuntingQuery (${what}): schema and rows as documented; the request uses the documented Query key`, async () => {
      const body = fixtureJson<{ results: unknown[] }>(file);
      vendor.answer({ method: 'POST', path: /^\/v1\.0\/security\/runHuntingQuery$/, status: 200, body });
      const query =
        'DeviceProcessEvents | where InitiatingProcessFileName =~ "powershell.exe" | project Timestamp, FileName, InitiatingProcessFileName | order by Timestamp desc | limit 2';
      const r = await depsFor('graph').defender.runHuntingQuery(query, { timespan: 'P1D' });
      assert.deepEqual(r.schema, [
        { name: 'Timestamp', type: 'DateTime' },
        { name: 'FileName', type: 'String' },
        { name: 'InitiatingProcessFileName', type: 'String' },
      ]);
      assert.deepEqual(r.rows, body.results);
      const sent = JSON.parse(apiRequests('/v1.0/security/runHuntingQuery').at(-1)?.body ?? '{}') as Record<
        string,
        unknown
      >;
      assert.equal(sent.Query, query);
      assert.equal(sent.Timespan, 'P1D');
    });
  }

  it('PATCH incident: sends only documented properties with documented values; maps the answer', async () => {
    vendor.answer({ method: 'GET', path: /^\/v1\.0\/security\/incidents\/2972395(\?|$)/, status: 200, body: GET });
    // The update page's response example is the same body as the get page's.
    vendor.answer({ method: 'PATCH', path: /^\/v1\.0\/security\/incidents\/2972395$/, status: 200, body: GET });
    const documented = fixtureJson('graph/security-incident-update-request.json');
    const i = await depsFor('graph').defender.updateIncident('2972395', {
      classification: 'truePositive',
      determination: 'multiStagedAttack',
      tags: { add: ['Demo'] },
    });
    assert.equal(i.id, '2972395');
    assert.equal(i.classification, 'truePositive');
    const patch = apiRequests('/v1.0/security/incidents/2972395').filter((r) => r.method === 'PATCH');
    assert.equal(patch.length, 1);
    const sent = JSON.parse(patch[0]!.body) as Record<string, unknown>;
    const updatable = [
      'assignedTo',
      'classification',
      'customTags',
      'description',
      'determination',
      'displayName',
      'severity',
      'resolvingComment',
      'status',
      'summary',
    ];
    for (const k of Object.keys(sent)) assert.ok(updatable.includes(k), `PATCH sends undocumented property ${k}`);
    for (const [k, v] of Object.entries(documented)) {
      assert.deepEqual(
        Array.isArray(v) ? v : lower(v),
        Array.isArray(sent[k]) ? sent[k] : lower(sent[k]),
        `${k} as in the documented request`,
      );
    }
  });

  it('POST comment: the documented answer (the whole comment list) is accepted', async () => {
    vendor.answer({
      method: 'POST',
      path: /^\/v1\.0\/security\/incidents\/2972395\/comments$/,
      status: 200,
      body: fixtureJson('graph/security-incident-post-comments.json'),
    });
    await depsFor('graph').defender.addComment('2972395', 'Demo for docs');
    const sent = JSON.parse(apiRequests('/v1.0/security/incidents/2972395/comments').at(-1)?.body ?? '{}') as {
      comment?: string;
    };
    assert.equal(sent.comment, 'Demo for docs');
  });

  it('an error body in the documented Graph form becomes a typed error with its code and request id', async () => {
    vendor.answer({
      method: 'GET',
      path: /^\/v1\.0\/security\/incidents\/42(\?|$)/,
      status: 400,
      body: fixtureJson('graph/error-response-example.json'),
    });
    const e = await failure(depsFor('graph').defender.getIncident('42'));
    assert.ok(e instanceof DefenderApiError, String(e));
    assert.deepEqual([e.code, e.status, e.apiCode, e.requestId], ['DEFENDER_HTTP', 400, 'invalidRange', 'request-id']);
    assert.match(e.message, /Uploaded fragment overlaps with existing data/);
    // The status contract: the API refused what we sent → 422 for our caller, not a 5xx Logic Apps would retry.
    assert.equal(httpStatusFor({ code: e.code, upstreamStatus: e.status }).status, 422);
  });
});

describe('legacy Defender XDR API examples', () => {
  const LIST = fixtureJson<{ value: Record<string, unknown>[] }>('legacy/api-list-incidents.json');
  const entity = (n: number) => ({
    '@odata.context': 'https://api.security.microsoft.com/api/$metadata#Incidents/$entity',
    ...LIST.value[n],
  });

  it('list incidents: the three documented incidents map with their alerts and entities', async () => {
    vendor.answer({ method: 'GET', path: /^\/api\/incidents(\?|$)/, status: 200, body: LIST });
    const list = await collect(depsFor('legacy').defender.listIncidents());
    assert.deepEqual(
      list.map((i) => [i.id, i.displayName, i.status, i.severity, i.classification, i.determination]),
      [
        ['924565', 'Ransomware activity', 'active', 'medium', 'unknown', 'unknown'],
        ['924521', "'Mimikatz' hacktool was detected on one endpoint", 'active', 'low', 'unknown', 'unknown'],
        ['924518', 'Email reported by user as malware or phish', 'active', 'informational', 'unknown', 'unknown'],
      ],
    );
    const [ransom, mimikatz, mail] = list;
    assert.deepEqual(ransom!.comments, [
      {
        comment: 'test comment for docs',
        createdBy: 'secop123@contoso.com',
        createdDateTime: '2021-01-26T01:00:37.8404534Z',
      },
    ]);
    assert.deepEqual(
      [ransom!.createdDateTime, ransom!.lastUpdateDateTime],
      ['2020-09-06T14:46:57.0733333Z', '2020-09-06T14:46:57.29Z'],
    );
    const a0 = ransom!.alerts?.[0];
    assert.deepEqual(
      [a0?.id, a0?.title, a0?.severity, a0?.status, a0?.createdDateTime],
      [
        'caD70CFEE2-1F54-32DB-9988-3A868A1EBFAC',
        'Ransomware activity',
        'medium',
        'new',
        '2020-09-06T14:46:55.7182276Z',
      ],
    );
    assert.deepEqual([a0?.users, a0?.ips, a0?.devices], [['testUser2@contoso.com'], ['62.216.203.204'], []]);
    const a1 = mimikatz!.alerts?.[0];
    assert.deepEqual(a1?.devices, ['user5cx.middleeast.corp.contoso.com']);
    assert.deepEqual(a1?.files, [{ name: 'Detector.UnitTests.dll', sha1: '5de839186691aa96ee2ca6d74f0a38fb8d1bd6dd' }]);
    const a2 = mail!.alerts?.[0];
    assert.equal(a2?.status, 'inProgress');
    assert.deepEqual(a2?.mailboxes, ['testUser3@contoso.com', 'test.User4@contoso.com']);
    assert.deepEqual(a2?.ips, ['49.50.81.121']);
  });

  it('get incident: the documented entity maps', async () => {
    vendor.answer({ method: 'GET', path: /^\/api\/incidents\/924521(\?|$)/, status: 200, body: entity(1) });
    const i = await depsFor('legacy').defender.getIncident('924521');
    assert.deepEqual(
      [i.id, i.severity, i.alerts?.[0]?.devices],
      ['924521', 'low', ['user5cx.middleeast.corp.contoso.com']],
    );
  });

  it('advanced hunting: Stats, Schema and Results as documented', async () => {
    const body = fixtureJson<{ Results: unknown[]; Stats: unknown }>('legacy/api-advanced-hunting.json');
    vendor.answer({ method: 'POST', path: /^\/api\/advancedhunting\/run$/, status: 200, body });
    const query =
      'DeviceProcessEvents | where InitiatingProcessFileName =~ "powershell.exe" | project Timestamp, FileName, InitiatingProcessFileName | order by Timestamp desc | limit 2';
    const r = await depsFor('legacy').defender.runHuntingQuery(query);
    assert.deepEqual(r.schema, [
      { name: 'Timestamp', type: 'DateTime' },
      { name: 'FileName', type: 'String' },
      { name: 'InitiatingProcessFileName', type: 'String' },
    ]);
    assert.deepEqual(r.rows, body.Results);
    assert.deepEqual(r.stats, body.Stats);
    const sent = JSON.parse(apiRequests('/api/advancedhunting/run').at(-1)?.body ?? '{}') as Record<string, unknown>;
    assert.deepEqual(sent, { Query: query }, 'the documented body: Query only (names are case-sensitive)');
  });

  it('PATCH incident: the body has the documented fields and enum spellings', async () => {
    vendor.answer({ method: 'GET', path: /^\/api\/incidents\/924521(\?|$)/, status: 200, body: entity(1) });
    vendor.answer({ method: 'PATCH', path: /^\/api\/incidents\/924521$/, status: 200, body: entity(1) });
    const documented = fixtureJson('legacy/api-update-incidents-request.json');
    await depsFor('legacy').defender.updateIncident('924521', {
      status: 'resolved',
      assignedTo: 'secop2@contoso.com',
      classification: 'truePositive',
      determination: 'malware',
      tags: { add: documented.tags as string[] },
      comment: 'pen testing',
    });
    const patch = apiRequests('/api/incidents/924521').filter((r) => r.method === 'PATCH');
    assert.ok(patch.length >= 1);
    const sent = JSON.parse(patch.at(-1)!.body) as Record<string, unknown>;
    const fields = ['status', 'assignedTo', 'classification', 'determination', 'tags', 'comment'];
    for (const k of Object.keys(sent)) assert.ok(fields.includes(k), `PATCH sends undocumented field ${k}`);
    for (const k of ['status', 'assignedTo', 'classification', 'determination'])
      assert.equal(lower(sent[k]), lower(documented[k]), `${k} as in the documented request`);
    assert.deepEqual(sent.tags, documented.tags);
    const comments = patch.map((r) => (JSON.parse(r.body) as { comment?: string }).comment).filter(Boolean);
    assert.deepEqual(comments, ['pen testing'], 'the comment rides on the PATCH, once');
  });

  it('the documented error body becomes a typed not-found error with its code and tracking id', async () => {
    vendor.answer({
      method: 'GET',
      path: /^\/api\/incidents\/123123123(\?|$)/,
      status: 404,
      body: fixtureJson('legacy/api-error-resource-not-found.json'),
    });
    const e = await failure(depsFor('legacy').defender.getIncident('123123123'));
    assert.ok(e instanceof DefenderApiError, String(e));
    assert.deepEqual(
      [e.code, e.status, e.apiCode, e.requestId],
      ['NOT_FOUND', 404, 'ResourceNotFound', '43f4cb08-8fac-4b65-9db1-745c2ae65f3a'],
    );
    assert.equal(httpStatusFor({ code: e.code, upstreamStatus: e.status }).status, 404);
  });
});
