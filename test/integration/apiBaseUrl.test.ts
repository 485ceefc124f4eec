// DEFENDER_API_BASE_URL in every form people write it (issue 11 item 15): the Graph root with or without `/v1.0`,
// the legacy root with or without `/api`, each with or without a trailing slash. Each form drives the real
// composition root against the sandbox (TLS, Key Vault, Entra, the API), and every form of one API must send
// exactly the same requests, legacy nextLink paging included.
import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';
import { startSandbox, type Sandbox } from '../../sandbox/index';
import { collect, sandboxDeps } from './sandboxDeps';

let sb: Sandbox;

before(async () => {
  sb = await startSandbox({ rateLimitScale: 0.05 });
});
after(() => sb?.close());
beforeEach(() => sb.control.reset());

const FORMS = {
  graph: (root: string) => [root, `${root}/`, `${root}/v1.0`, `${root}/v1.0/`],
  legacy: (root: string) => [root, `${root}/`, `${root}/api`, `${root}/api/`],
};

/** What a run of every operation sent to the API, as the sandbox logged it (method and path with query). */
async function requestsWith(api: 'graph' | 'legacy', baseUrl: string): Promise<string[]> {
  sb.control.reset();
  sb.control.setLegacyNextLink(true);
  const deps = sandboxDeps(sb, api, { DEFENDER_API_BASE_URL: baseUrl });
  const incidents = await collect(deps.defender.listIncidents({ limit: 30 }));
  assert.ok(incidents.length > 10, `${baseUrl}: listed ${incidents.length}`);
  const id = incidents[0]!.id;
  assert.equal((await deps.defender.getIncident(id)).id, id);
  await deps.defender.updateIncident(id, { tags: { add: ['base-url-check'] } });
  await deps.defender.addComment(id, 'base URL check');
  assert.ok((await deps.defender.runHuntingQuery('DeviceInfo | take 1')).rows.length > 0);
  assert.ok(sb.control.incident(id)?.customTags.includes('base-url-check'));
  return sb.control
    .requests()
    .filter((r) => r.api === api)
    .map((r) => `${r.method} ${r.status} ${r.path}`);
}

for (const api of ['graph', 'legacy'] as const) {
  describe(`DEFENDER_API_BASE_URL on ${api}`, () => {
    it('every documented form works and sends the same requests', async () => {
      const root = sb.url;
      const [first, ...others] = FORMS[api](root);
      const expected = await requestsWith(api, first!);
      assert.ok(
        expected.every((line) => / (\/v1\.0\/security|\/api)\//.test(line)),
        expected.join('\n'),
      );
      assert.ok(
        expected.every((line) => / 20\d /.test(line)),
        expected.join('\n'),
      );
      for (const form of others) assert.deepEqual(await requestsWith(api, form), expected, form);
    });
  });
}
