// The sandbox answers as Microsoft documents its APIs: each of its answers is compared, structurally, with the
// documented example of the same call (test/contracts/fixtures, INDEX.md names the pages): every property the example
// shows is there with the same kind of value, nested objects and evidence types included; timestamps in Defender's
// form; the @odata.type and @odata.context the examples show. Examples are "shortened for readability", so the
// sandbox may send more. And Riposte's own client reads the Graph hunting answer in both documented casings.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { AxiosInstance } from 'axios';
import { startSandbox, type Sandbox } from '../../sandbox';
import { loadConfig } from '../../shared/config';
import { createDeps } from '../../shared/deps';
import { silentLogger } from '../../shared/logger';
import { apiClient } from '../sandbox/helpers';
import { fixtureJson } from './fixtures';

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

const ISO_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$/;
/** Kusto's datetime in hunting results: seven fractional digits, always. */
const KUSTO_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{7}Z$/;
/** Incident and alert times: up to seven digits, no trailing zero (2020-09-06T14:46:57.29Z, …:22:59Z). */
const DEFENDER_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{0,6}[1-9])?Z$/;

function kind(v: Json): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'array';
  if (typeof v === 'string') return ISO_TIME.test(v) ? 'datetime' : 'string';
  return typeof v;
}

/** Objects of one array merged: every key any of them has; arrays concatenated, objects merged, else the first non-null. */
function merged(items: Json[]): { [k: string]: Json } {
  const out: { [k: string]: Json } = {};
  for (const item of items) {
    if (item === null || typeof item !== 'object' || Array.isArray(item)) continue;
    for (const [k, v] of Object.entries(item)) {
      const have = out[k];
      if (Array.isArray(have) && Array.isArray(v)) out[k] = [...have, ...v];
      else if (
        have &&
        typeof have === 'object' &&
        !Array.isArray(have) &&
        v &&
        typeof v === 'object' &&
        !Array.isArray(v)
      )
        out[k] = merged([have, v]);
      else if (have === undefined || have === null) out[k] = v;
    }
  }
  return out;
}

/**
 * Where `ours` does not have the structure of `documented`: a missing property, or a value of another kind. Null on
 * either side matches anything (a documented object may be null, e.g. userAccount). Arrays of typed objects
 * (@odata.type) are compared type by type, for the types both sides have.
 */
function structuralDifferences(
  documented: Json,
  ours: Json,
  path = '$',
  allowed: ReadonlySet<string> = new Set(),
): string[] {
  if (documented === null || ours === null) return [];
  if (kind(documented) !== kind(ours)) return [`${path}: ${kind(ours)} where the example has ${kind(documented)}`];
  if (Array.isArray(documented) && Array.isArray(ours)) {
    if (documented.length === 0 || ours.length === 0) return [];
    const typed = (items: Json[]) => {
      const groups = new Map<string, Json[]>();
      for (const item of items) {
        const type = item && typeof item === 'object' && !Array.isArray(item) ? item['@odata.type'] : undefined;
        const key = typeof type === 'string' ? type : '';
        groups.set(key, [...(groups.get(key) ?? []), item]);
      }
      return groups;
    };
    const mine = typed(ours);
    return [...typed(documented)].flatMap(([type, items]) => {
      const counterpart = mine.get(type);
      if (!counterpart) return [];
      const [first] = items;
      return first !== null && typeof first === 'object'
        ? structuralDifferences(merged(items), merged(counterpart), `${path}[${type}]`, allowed)
        : structuralDifferences(first ?? null, counterpart[0] ?? null, `${path}[]`, allowed);
    });
  }
  if (
    typeof documented === 'object' &&
    typeof ours === 'object' &&
    !Array.isArray(ours) &&
    !Array.isArray(documented)
  ) {
    return Object.entries(documented).flatMap(([k, v]) => {
      const at = `${path}.${k}`;
      if (allowed.has(at)) return [];
      if (!(k in ours)) return [`${at}: missing`];
      return structuralDifferences(v, ours[k] as Json, at, allowed);
    });
  }
  return [];
}

/** Every string value at any depth whose key ends with one of `suffixes`. */
function timesIn(v: Json, suffixes: readonly string[], out: string[] = []): string[] {
  if (Array.isArray(v)) v.forEach((x) => timesIn(x, suffixes, out));
  else if (v && typeof v === 'object') {
    for (const [k, x] of Object.entries(v)) {
      if (typeof x === 'string' && suffixes.some((s) => k.endsWith(s))) out.push(x);
      else timesIn(x, suffixes, out);
    }
  }
  return out;
}

let sandbox: Sandbox;
let graph: AxiosInstance;
let legacy: AxiosInstance;
before(async () => {
  sandbox = await startSandbox({ rateLimits: false });
  [graph, legacy] = await Promise.all([apiClient(sandbox, 'graph'), apiClient(sandbox, 'legacy')]);
});
after(() => sandbox?.close());

// The documented hunting examples project these three columns; the sandbox answers the same projection.
const HUNT =
  'DeviceProcessEvents | where InitiatingProcessFileName =~ "powershell.exe" | project Timestamp, FileName, InitiatingProcessFileName | order by Timestamp desc | limit 2';

describe('hunting answers, as documented', () => {
  it('Graph runHuntingQuery: @odata.context, schema {name, type} and results, datetimes with seven digits', async () => {
    const doc = fixtureJson<Json>('graph/security-runhuntingquery-example1.json') as { [k: string]: Json };
    const res = await graph.post('/security/runHuntingQuery', { Query: HUNT });
    assert.equal(res.status, 200, JSON.stringify(res.data));
    assert.deepEqual(Object.keys(res.data).sort(), Object.keys(doc).sort());
    assert.deepEqual(structuralDifferences(doc, res.data), []);
    assert.deepEqual(res.data.schema, doc.schema, 'same columns, same type names');
    assert.equal(
      res.data['@odata.context'],
      String(doc['@odata.context']).replace('https://graph.microsoft.com', sandbox.url),
    );
    assert.ok(res.data.results.length > 0);
    for (const t of [...(res.data.results as { Timestamp: string }[]), ...(doc.results as { Timestamp: string }[])]) {
      assert.match(t.Timestamp, KUSTO_TIME);
    }
  });

  it('Graph runHuntingQuery with the PascalCase knob: schema {Name, Type}, as the page’s other response', async () => {
    const doc = fixtureJson<Json>('graph/security-runhuntingquery-pascalcase.json') as { [k: string]: Json };
    sandbox.control.setGraphHuntingSchemaCase('pascal');
    try {
      const res = await graph.post('/security/runHuntingQuery', { Query: HUNT });
      assert.equal(res.status, 200);
      assert.deepEqual(structuralDifferences(doc, res.data), []);
      assert.deepEqual(res.data.schema, doc.schema);
    } finally {
      sandbox.control.setGraphHuntingSchemaCase('camel');
    }
  });

  it('legacy advancedhunting/run: Stats, Schema {Name, Type} and Results, datetimes with seven digits', async () => {
    const doc = fixtureJson<Json>('legacy/api-advanced-hunting.json') as { [k: string]: Json };
    const res = await legacy.post('/api/advancedhunting/run', { Query: HUNT });
    assert.equal(res.status, 200, JSON.stringify(res.data));
    assert.deepEqual(Object.keys(res.data).sort(), Object.keys(doc).sort());
    assert.deepEqual(structuralDifferences(doc, res.data), []);
    assert.deepEqual(res.data.Schema, doc.Schema);
    for (const r of res.data.Results as { Timestamp: string }[]) assert.match(r.Timestamp, KUSTO_TIME);
  });

  it('writes every datetime with seven digits on both APIs, whatever form the table holds it in (Kusto pads)', async () => {
    const second = Math.floor(Date.now() / 1000) * 1000;
    sandbox.control.setHuntingTables(
      new Map([
        [
          'DeviceProcessEvents',
          {
            name: 'DeviceProcessEvents',
            columns: [
              { name: 'Timestamp', type: 'datetime' },
              { name: 'FileName', type: 'string' },
            ],
            rows: [
              { Timestamp: new Date(second - 60_000 + 120), FileName: 'a.exe' },
              // A table may hold datetimes as ISO strings in any form: the answer still has seven digits.
              { Timestamp: new Date(second - 120_000).toISOString().replace('.000Z', 'Z'), FileName: 'b.exe' },
            ],
          },
        ],
      ]),
    );
    try {
      const query = 'DeviceProcessEvents | order by FileName asc';
      const g = await graph.post('/security/runHuntingQuery', { Query: query });
      const l = await legacy.post('/api/advancedhunting/run', { Query: query });
      for (const rows of [g.data.results, l.data.Results] as { Timestamp: string }[][]) {
        assert.match(rows[0]?.Timestamp ?? '', /\.1200000Z$/);
        assert.match(rows[1]?.Timestamp ?? '', /\.0000000Z$/);
      }
    } finally {
      sandbox.control.reset();
    }
  });

  it("Riposte's client reads the sandbox's Graph answer in both casings to the same result", async () => {
    process.env.IDENTITY_ENDPOINT = sandbox.identityEndpoint;
    process.env.IDENTITY_HEADER = sandbox.identityHeader;
    const deps = createDeps(loadConfig({ ...sandbox.settings('graph'), RATE_LIMIT_WINDOW_SCALE: '0.001' }), {
      logger: silentLogger,
    });
    const camel = await deps.defender.runHuntingQuery(HUNT);
    sandbox.control.setGraphHuntingSchemaCase('pascal');
    try {
      const pascal = await deps.defender.runHuntingQuery(HUNT);
      assert.deepEqual(camel.schema, [
        { name: 'Timestamp', type: 'DateTime' },
        { name: 'FileName', type: 'String' },
        { name: 'InitiatingProcessFileName', type: 'String' },
      ]);
      assert.deepEqual(pascal.schema, camel.schema);
      assert.deepEqual(pascal.rows, camel.rows);
      assert.ok(camel.rows.length > 0);
    } finally {
      sandbox.control.setGraphHuntingSchemaCase('camel');
    }
  });
});

describe('incident answers, as documented', () => {
  it('Graph list with $expand=alerts: incidents, alerts and evidence as the example, each with its @odata.type', async () => {
    const doc = fixtureJson<Json>('graph/security-list-incidents-expand-alerts.json');
    const res = await graph.get('/security/incidents', { params: { $expand: 'alerts', $top: 50 } });
    assert.equal(res.status, 200);
    // The example's `tags` is the incident's customTags (security-incident-get.md and the resource type), and its
    // comments use the same createdBy/createdTime slip as the get page (the comments API writes
    // createdByDisplayName/createdDateTime: security-incident-post-comments.md, compared below).
    const incident = '$.value[#microsoft.graph.security.incident]';
    const allowed = new Set([
      `${incident}.tags`,
      `${incident}.comments[].createdBy`,
      `${incident}.comments[].createdTime`,
    ]);
    assert.deepEqual(structuralDifferences(doc, res.data, '$', allowed), []);

    for (const i of res.data.value) {
      assert.equal(i['@odata.type'], '#microsoft.graph.security.incident');
      for (const a of i.alerts) {
        assert.equal(a['@odata.type'], '#microsoft.graph.security.alert');
        for (const e of a.evidence) assert.match(e['@odata.type'], /^#microsoft\.graph\.security\.[a-zA-Z]+Evidence$/);
      }
    }
    const times = timesIn(res.data, ['DateTime']);
    assert.ok(times.length > 50);
    for (const t of times) assert.match(t, DEFENDER_TIME);
    for (const t of timesIn(doc, ['DateTime'])) assert.match(t, DEFENDER_TIME, 'the example has the same form');
  });

  it('Graph list and get: the @odata.context Graph sends', async () => {
    // security-list-incidents.md and security-incident-get.md (GD), Response examples:
    // "https://graph.microsoft.com/v1.0/$metadata#security/incidents" and ".../$metadata#security/incidents/$entity".
    const list = await graph.get('/security/incidents', { params: { $top: 1 } });
    assert.equal(list.data['@odata.context'], `${sandbox.url}/v1.0/$metadata#security/incidents`);
    const one = await graph.get(`/security/incidents/${list.data.value[0].id}`);
    assert.equal(one.data['@odata.context'], `${sandbox.url}/v1.0/$metadata#security/incidents/$entity`);
    assert.equal(one.data['@odata.type'], '#microsoft.graph.security.incident');
    const doc = fixtureJson<Json>('graph/security-incident-get.json');
    // That page's example writes its comment as createdBy/createdTime (a documentation slip kept in the fixture);
    // the comment API's own example (security-incident-post-comments.md) is compared below.
    const allowed = new Set(['$.comments[].createdBy', '$.comments[].createdTime']);
    assert.deepEqual(structuralDifferences(doc, one.data, '$', allowed), []);
  });

  it('Graph comment: the answer is the comment list as security-incident-post-comments.md shows it', async () => {
    const doc = fixtureJson<Json>('graph/security-incident-post-comments.json');
    const id = sandbox.control.incidents()[0]?.id;
    const res = await graph.post(`/security/incidents/${id}/comments`, {
      '@odata.type': 'microsoft.graph.security.alertComment',
      comment: 'Checked by the shapes test',
    });
    assert.equal(res.status, 200, JSON.stringify(res.data));
    assert.deepEqual(structuralDifferences(doc, res.data), []);
    for (const c of res.data.value) assert.match(c.createdDateTime, DEFENDER_TIME);
    // A change made now is stamped in the same form as the seeded ones.
    const after = await graph.get(`/security/incidents/${id}`);
    assert.match(after.data.lastUpdateDateTime, DEFENDER_TIME);
  });

  it('stamps a change the way Defender writes times: trailing zeros dropped (…:00.12Z, …:00Z)', async () => {
    let at = new Date('2026-03-01T10:00:00.120Z');
    const fixed = await startSandbox({ rateLimits: false, now: () => at });
    try {
      const api = await apiClient(fixed, 'graph');
      const id = fixed.control.incidents()[0]?.id;
      const first = await api.post(`/security/incidents/${id}/comments`, { comment: 'one' });
      assert.equal(first.status, 200, JSON.stringify(first.data));
      assert.equal(first.data.value.at(-1).createdDateTime, '2026-03-01T10:00:00.12Z');
      at = new Date('2026-03-01T10:05:00.000Z');
      const patched = await api.patch(`/security/incidents/${id}`, { status: 'inProgress' });
      assert.equal(patched.status, 200, JSON.stringify(patched.data));
      assert.equal(patched.data.lastUpdateDateTime, '2026-03-01T10:05:00Z');
      const legacyApi = await apiClient(fixed, 'legacy');
      const added = fixed.control.addIncident({});
      const shown = await legacyApi.get(`/api/incidents/${added.id}`);
      assert.equal(shown.data.createdTime, '2026-03-01T10:05:00Z');
    } finally {
      await fixed.close();
    }
  });

  it('legacy list: incidents, alerts, devices, entities and comments as api-list-incidents.md shows them', async () => {
    const doc = fixtureJson<Json>('legacy/api-list-incidents.json') as { [k: string]: Json };
    const res = await legacy.get('/api/incidents', { params: { $top: 50 } });
    assert.equal(res.status, 200);
    assert.deepEqual(structuralDifferences(doc, res.data), []);
    assert.equal(
      res.data['@odata.context'],
      String(doc['@odata.context']).replace('https://api.security.microsoft.com', sandbox.url),
    );
    const times = timesIn(res.data, ['Time', 'Activity', 'firstSeen']);
    assert.ok(times.length > 50);
    for (const t of times) assert.match(t, DEFENDER_TIME);
  });
});
