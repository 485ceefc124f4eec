import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { buildIncidentQuery, normaliseFilter } from '../../shared/defender/incidentQuery';
import { nextLinkToPath, paginate, type PageRequest } from '../../shared/defender/paging';
import { applyTagChange } from '../../shared/defender/tags';
import { InputError } from '../../shared/errors';

const collect = async <T>(it: AsyncIterable<T>): Promise<T[]> => {
  const out: T[] = [];
  for await (const x of it) out.push(x);
  return out;
};

describe('paginate', () => {
  it('pages with $skip until a short page when the server sends no nextLink', async () => {
    const requests: PageRequest[] = [];
    const ids = Array.from({ length: 7 }, (_, i) => ({ id: String(i) }));
    const items = await collect(
      paginate({
        path: '/api/incidents',
        params: { $filter: "status eq 'Active'" },
        pageSize: 3,
        baseURL: 'https://api.example',
        idOf: (w: { id: string }) => w.id,
        fetchPage: async (req) => {
          requests.push(req);
          const skip = Number(req.params?.$skip ?? 0);
          return { value: ids.slice(skip, skip + 3) };
        },
      }),
    );
    assert.equal(items.length, 7);
    assert.deepEqual(
      requests.map((r) => r.params),
      [
        { $filter: "status eq 'Active'", $top: 3 },
        { $filter: "status eq 'Active'", $top: 3, $skip: 3 },
        { $filter: "status eq 'Active'", $top: 3, $skip: 6 },
      ],
    );
  });

  it('follows @odata.nextLink under the base URL and skips repeated ids', async () => {
    const pages: Record<string, { value: { id: string }[]; '@odata.nextLink'?: string }> = {
      first: {
        value: [{ id: '1' }, { id: '2' }],
        '@odata.nextLink': 'https://graph.example/v1.0/security/incidents?$skiptoken=a',
      },
      '/security/incidents?$skiptoken=a': { value: [{ id: '2' }, { id: '3' }] },
    };
    const items = await collect(
      paginate({
        path: '/security/incidents',
        params: {},
        pageSize: 2,
        baseURL: 'https://graph.example/v1.0',
        idOf: (w: { id: string }) => w.id,
        fetchPage: async (req) => pages[req.params ? 'first' : req.path] ?? assert.fail(`unexpected ${req.path}`),
      }),
    );
    assert.deepEqual(
      items.map((i) => i.id),
      ['1', '2', '3'],
    );
  });

  it('refuses a nextLink to another host or outside the base path', () => {
    assert.equal(
      nextLinkToPath('https://graph.example/v1.0/security/incidents?$skip=50', 'https://graph.example/v1.0'),
      '/security/incidents?$skip=50',
    );
    assert.throws(
      () => nextLinkToPath('https://evil.example/v1.0/security/incidents', 'https://graph.example/v1.0'),
      /Refusing/,
    );
    assert.throws(
      () => nextLinkToPath('https://graph.example/beta/security/incidents', 'https://graph.example/v1.0'),
      /Refusing/,
    );
  });
});

describe('buildIncidentQuery', () => {
  const since = '2026-01-02T03:04:05Z';
  it('graph filters everything server-side', () => {
    const q = buildIncidentQuery(
      normaliseFilter({
        status: ['Active', 'inprogress'] as never,
        severity: 'HIGH' as never,
        assignedTo: "o'brien@contoso.com",
        createdSince: since,
        updatedSince: new Date(since),
      }),
      'graph',
    );
    assert.equal(
      q.filter,
      "(status eq 'active' or status eq 'inProgress') and severity eq 'high' and assignedTo eq 'o''brien@contoso.com' and createdDateTime ge 2026-01-02T03:04:05.000Z and lastUpdateDateTime ge 2026-01-02T03:04:05.000Z",
    );
  });
  it('legacy filters severity (and several statuses) client-side', () => {
    const q = buildIncidentQuery(
      normaliseFilter({ status: 'active', severity: ['high', 'medium'], updatedSince: since }),
      'legacy',
    );
    assert.equal(q.filter, "status eq 'Active' and lastUpdateTime ge 2026-01-02T03:04:05.000Z");
    const incident = { severity: 'high', status: 'active' } as Parameters<typeof q.matches>[0];
    assert.equal(q.matches(incident), true);
    assert.equal(q.matches({ ...incident, severity: 'low' }), false);
    const multi = buildIncidentQuery(normaliseFilter({ status: ['active', 'resolved'] }), 'legacy');
    assert.equal(multi.filter, undefined);
    assert.equal(multi.matches({ ...incident, status: 'inProgress' }), false);
  });
  it('names the bad filter field', () => {
    assert.throws(
      () => normaliseFilter({ status: 'open' as never }),
      (e: unknown) => e instanceof InputError && e.field === 'filter.status',
    );
    assert.throws(
      () => normaliseFilter({ updatedSince: 'yesterday' }),
      (e: unknown) => e instanceof InputError && e.field === 'filter.updatedSince',
    );
    assert.throws(
      () => normaliseFilter({ limit: 0 }),
      (e: unknown) => e instanceof InputError && e.field === 'filter.limit',
    );
  });
});

describe('applyTagChange', () => {
  it('adds without losing existing tags, de-duplicating case-insensitively and keeping order', () => {
    assert.deepEqual(applyTagChange(['Ransomware', 'vip'], { add: ['VIP', 'riposte', 'riposte'] }), [
      'Ransomware',
      'vip',
      'riposte',
    ]);
  });
  it('removes case-insensitively and replaces whole', () => {
    assert.deepEqual(applyTagChange(['a', 'B', 'c'], { remove: ['b'], add: ['d'] }), ['a', 'c', 'd']);
    assert.deepEqual(applyTagChange(['a'], { replace: ['x', 'X', 'y'] }), ['x', 'y']);
  });
});
