// The alerts client on each cloud: its paths sit under the cloud's Graph root (shared/clouds.ts; Graph national
// clouds per GD concepts/deployments.md, and the alerts pages' "national cloud support" include: global and US
// government), with the token's scope on the same host, and an @odata.nextLink to any other host is refused, so the
// bearer token never leaves that root.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createAlertsClient } from '../../shared/defender/alertsClient';
import { loadConfig } from '../../shared/config';
import type { DefenderHttp, DefenderRequest } from '../../shared/http/defenderHttp';
import { AppError } from '../../shared/errors';

const base = {
  TENANT_ID: '11111111-2222-3333-4444-555555555555',
  CLIENT_ID: '66666666-7777-8888-9999-000000000000',
  KEY_VAULT_URL: 'https://kv-riposte.vault.azure.net',
  CLIENT_SECRET_NAME: 'defender-client-secret',
};

function recording(baseURL: string, pages: Record<string, unknown>[]): { http: DefenderHttp; sent: DefenderRequest[] } {
  const sent: DefenderRequest[] = [];
  return {
    sent,
    http: {
      baseURL,
      async request<T>(req: DefenderRequest): Promise<T> {
        sent.push(req);
        return (pages.shift() ?? { value: [] }) as T;
      },
    },
  };
}

describe('alerts client per cloud', () => {
  for (const [cloud, host] of [
    ['public', 'https://graph.microsoft.com'],
    ['gcc', 'https://graph.microsoft.com'],
    ['gcc-high', 'https://graph.microsoft.us'],
    ['dod', 'https://dod-graph.microsoft.us'],
  ] as const) {
    it(`${cloud}: alerts_v2 under ${host}/v1.0, token scope on the same host, nextLinks followed only there`, async () => {
      const c = loadConfig({ ...base, DEFENDER_CLOUD: cloud, DEFENDER_API: 'graph' });
      assert.equal(c.apiBaseUrl, `${host}/v1.0`);
      assert.equal(c.apiScope, `${host}/.default`);
      const alert = (id: string) => ({ id, status: 'new', createdDateTime: '2026-12-01T00:00:00Z' });
      const { http, sent } = recording(c.apiBaseUrl, [
        { value: [alert('a1')], '@odata.nextLink': `${host}/v1.0/security/alerts_v2?$top=100&$skip=100` },
        { value: [alert('a2')] },
      ]);
      const ids: string[] = [];
      for await (const a of createAlertsClient(http).listAlerts({})) ids.push(a.id);
      assert.deepEqual(ids, ['a1', 'a2']);
      assert.deepEqual(
        sent.map((r) => [r.family, r.path]),
        [
          ['alerts', '/security/alerts_v2'],
          ['alerts', '/security/alerts_v2?$top=100&$skip=100'],
        ],
      );
      const elsewhere =
        host === 'https://graph.microsoft.com' ? 'https://graph.microsoft.us' : 'https://graph.microsoft.com';
      const bad = recording(c.apiBaseUrl, [
        { value: [alert('a1')], '@odata.nextLink': `${elsewhere}/v1.0/security/alerts_v2?$skip=100` },
      ]);
      await assert.rejects(
        async () => {
          for await (const _ of createAlertsClient(bad.http).listAlerts({})) void _;
        },
        (e: unknown) => e instanceof AppError && e.code === 'DEFENDER_HTTP',
      );
      assert.equal(bad.sent.length, 1, 'nothing sent to the other host');
    });
  }
});
