// Health over HTTP through the local host: the anonymous shallow check (configuration and which API/cloud, no
// secrets) and the deep check behind the function key that proves Key Vault → token → API hop by hop.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startHarness, type Harness } from './harness';

let h: Harness;

before(async () => {
  h = await startHarness();
});

after(async () => {
  await h?.close();
});

interface DeepBody {
  status: string;
  api: string;
  cloud: string;
  checks: { name: string; ok: boolean; error?: { code: string; message: string } }[];
}

/** Nothing secret may appear in a health answer: client secret, webhook secrets, MI header, function keys. */
function assertNoSecrets(text: string): void {
  const secrets = [
    h.sandbox.control.currentSecret(),
    h.secrets.generic,
    h.secrets.servicenow,
    h.secrets.jira,
    h.sandbox.identityHeader,
    h.host.functionKey,
    h.host.masterKey,
  ];
  for (const s of secrets) assert.ok(!text.includes(s), 'a secret leaked into a health answer');
  assert.doesNotMatch(text, /eyJ[A-Za-z0-9_-]{8,}\./, 'no token');
}

describe('GET /api/health (anonymous)', () => {
  it('answers 200 without a key, naming the API, the cloud and the API host', async () => {
    const r = await h.call('GET', '/api/health', { key: false });
    assert.equal(r.status, 200);
    assert.match(r.headers.get('content-type') ?? '', /^application\/json/);
    const body = r.json<{ status: string; api: string; cloud: string; apiHost: string; credentialSource: string }>();
    // The credential source (issue 15) by kind only: its names (certificate, identity) are in deep health.
    assert.deepEqual(body, {
      status: 'ok',
      api: 'graph',
      cloud: 'public',
      apiHost: new URL(h.sandbox.url).host,
      credentialSource: 'keyVaultSecret',
    });
    assertNoSecrets(r.text);
  });

  it('answers 503 naming the settings that are wrong, never their values', async () => {
    // health reads the environment on each call: break two settings for one request, then restore them.
    const saved = { TENANT_ID: process.env.TENANT_ID, DEFENDER_API: process.env.DEFENDER_API };
    delete process.env.TENANT_ID;
    process.env.DEFENDER_API = 'mainframe';
    let r;
    try {
      r = await h.call('GET', '/api/health', { key: false });
    } finally {
      Object.assign(process.env, saved);
    }
    assert.equal(r.status, 503);
    const body = r.json<{ status: string; problems: string[]; api?: string }>();
    assert.equal(body.status, 'misconfigured');
    assert.ok(
      body.problems.some((p) => p.startsWith('TENANT_ID ')),
      body.problems.join('; '),
    );
    assert.ok(
      body.problems.some((p) => p.startsWith('DEFENDER_API ')),
      body.problems.join('; '),
    );
    assert.ok(!r.text.includes('mainframe'), 'the bad value is not echoed');
    assert.equal(body.api, undefined);
    assertNoSecrets(r.text);
    // Restored: healthy again.
    assert.equal((await h.call('GET', '/api/health', { key: false })).status, 200);
  });
});

describe('GET /api/health/deep (function key)', () => {
  it('refuses a call without the function key (401)', async () => {
    assert.equal((await h.call('GET', '/api/health/deep', { key: false })).status, 401);
    assert.equal((await h.call('GET', '/api/health/deep', { key: 'not-the-key' })).status, 401);
  });

  it('proves each hop: Key Vault, token, API', async () => {
    const r = await h.call('GET', '/api/health/deep');
    assert.equal(r.status, 200, r.text);
    const body = r.json<DeepBody>();
    assert.equal(body.status, 'ok');
    assert.equal(body.api, 'graph');
    assert.deepEqual(
      body.checks.map((c) => [c.name, c.ok]),
      [
        ['keyVault', true],
        ['token', true],
        ['api', true],
      ],
    );
    assertNoSecrets(r.text);
  });

  it('reports the Key Vault hop failing (503) when the secret is disabled after a healthy check, then recovers', async () => {
    // The previous test cached the secret: the deep check must still ask Key Vault, or it proves nothing
    // (successful reads are counted by the sandbox).
    const before = h.sandbox.control.counters().keyVaultReads;
    h.sandbox.control.setSecretEnabled(false);
    try {
      const r = await h.call('GET', '/api/health/deep');
      assert.equal(r.status, 503, r.text);
      const body = r.json<DeepBody>();
      assert.equal(body.status, 'failing');
      assert.equal(body.checks.length, 1, 'later hops are not tried');
      const [kv] = body.checks;
      assert.equal(kv?.name, 'keyVault');
      assert.equal(kv?.ok, false);
      assert.equal(kv?.error?.code, 'SECRET_UNAVAILABLE');
      assert.match(kv?.error?.message ?? '', /disabled/i);
      assertNoSecrets(r.text);
    } finally {
      h.sandbox.control.setSecretEnabled(true);
    }
    const again = await h.call('GET', '/api/health/deep');
    assert.equal(again.status, 200, again.text);
    assert.ok(h.sandbox.control.counters().keyVaultReads > before, 'the recovered check read Key Vault again');
    // The app itself still works: the disabled interval did not poison the cached secret or token.
    assert.equal((await h.call('GET', '/api/incidents/3309')).status, 200);
  });
});
