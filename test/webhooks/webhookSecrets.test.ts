import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { SecretError } from '../../shared/errors';
import {
  createWebhookSecrets,
  keyVaultWebhookSecretLoader,
  verifyDelivery,
  webhookSecretsFromSettings,
  type WebhookSecretClient,
} from '../../shared/webhooks';
import { fixture, jiraDelivery, NOW } from './helpers';

describe('webhook secrets', () => {
  it('caches per source for the TTL, shares a load in flight, and drops empty values', async () => {
    let loads = 0;
    let t = 0;
    const secrets = createWebhookSecrets(
      async (source) => {
        loads += 1;
        return [`${source}-current`, '', undefined];
      },
      { ttlMs: 1000, now: () => t },
    );
    const [a, b] = await Promise.all([secrets.get('jira'), secrets.get('jira')]);
    assert.deepEqual(a, ['jira-current']);
    assert.equal(b, a);
    assert.equal(loads, 1);
    await secrets.get('generic');
    assert.equal(loads, 2);
    t = 999;
    await secrets.get('jira');
    assert.equal(loads, 2);
    t = 1000;
    await secrets.get('jira');
    assert.equal(loads, 3);
  });

  it('does not cache a failed load', async () => {
    let fail = true;
    const secrets = createWebhookSecrets(async () => {
      if (fail) throw new Error('vault down');
      return ['s'];
    });
    await assert.rejects(secrets.get('jira'), /vault down/);
    fail = false;
    assert.deepEqual(await secrets.get('jira'), ['s']);
  });

  it('reads WEBHOOK_SECRET_<SOURCE> and _PREVIOUS from settings; the previous one verifies during rotation', async () => {
    const secrets = webhookSecretsFromSettings({
      WEBHOOK_SECRET_JIRA: ' new-secret ',
      WEBHOOK_SECRET_JIRA_PREVIOUS: 'old-secret',
      WEBHOOK_SECRET_GENERIC: '',
    });
    assert.deepEqual(await secrets.get('jira'), ['new-secret', 'old-secret']);
    assert.deepEqual(await secrets.get('generic'), []);
    await verifyDelivery(jiraDelivery(fixture('jira-issue-resolved.json'), { secret: 'old-secret' }), secrets, {
      now: NOW,
    });
  });

  it('reads current and previous from Key Vault, skipping a previous secret that does not exist', async () => {
    const asked: string[] = [];
    const client: WebhookSecretClient = {
      async getSecret(name) {
        asked.push(name);
        if (name === 'webhook-secret-servicenow') return { value: 'whsec_AAAA' };
        throw Object.assign(new Error('SecretNotFound'), { statusCode: 404 });
      },
    };
    const load = keyVaultWebhookSecretLoader(client, 'https://kv.example.net');
    assert.deepEqual(await createWebhookSecrets(load).get('servicenow'), ['whsec_AAAA']);
    assert.deepEqual(asked, ['webhook-secret-servicenow', 'webhook-secret-servicenow-previous']);
  });

  it('any other Key Vault failure is a SecretError naming the secret', async () => {
    const client: WebhookSecretClient = {
      async getSecret() {
        throw Object.assign(new Error('Forbidden'), { statusCode: 403 });
      },
    };
    await assert.rejects(keyVaultWebhookSecretLoader(client, 'https://kv.example.net')('jira'), (e: unknown) => {
      assert.ok(e instanceof SecretError);
      assert.equal(e.code, 'SECRET_UNAVAILABLE');
      assert.equal(e.secretName, 'webhook-secret-jira');
      assert.equal(e.status, 403);
      assert.equal(e.message, "Reading webhook secret 'webhook-secret-jira' from Key Vault failed (403)");
      return true;
    });
  });
});
