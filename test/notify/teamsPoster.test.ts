// The Teams poster against the sandbox's Workflows webhook, through Key Vault (managed identity) and real HTTPS: the
// documented payload arrives (checked by the receiver), the secret URL never appears in errors, logs or previews,
// oversize and Action.Submit cards are refused before sending, 429 is retried after its Retry-After.
import assert from 'node:assert/strict';
import https from 'node:https';
import { after, before, beforeEach, describe, it } from 'node:test';
import { startSandbox, type Sandbox } from '../../sandbox/index';
import { InputError } from '../../shared/errors';
import { messageCard, NotifyApiError, type AdaptiveCard } from '../../shared/notify';
import { failure, sandboxDeps } from '../integration/sandboxDeps';

let sb: Sandbox;
let url: string;

before(async () => {
  sb = await startSandbox({ rateLimitScale: 0.05 });
});
after(() => sb?.close());
beforeEach(() => {
  sb.control.reset();
  url = sb.control.createTeamsWebhook();
  sb.control.setSecret('teams-webhook-url', url);
});

const sig = (): string => new URL(url).searchParams.get('sig') ?? '';

describe('Teams poster', () => {
  it('posts a message card in the documented shape and gets 202', async () => {
    const deps = sandboxDeps(sb);
    const card = messageCard({
      title: 'Incident 42 contained',
      text: 'Device isolated — [riposte:0123abcd]',
      facts: [{ title: 'Incident', value: '42' }],
      links: [{ title: 'Open in Defender', url: 'https://security.microsoft.com/incidents/42' }],
    });
    const result = await deps.notify.teams.post({ card });
    assert.equal(result.status, 202);
    assert.match(result.webhook, /^[0-9a-f]{12}$/);
    const [got, ...more] = sb.control.teamsDeliveries();
    assert.equal(more.length, 0);
    assert.equal(got?.body.type, 'message');
    const attachment = (got?.body.attachments as Array<Record<string, unknown>>)[0];
    assert.equal(attachment?.contentType, 'application/vnd.microsoft.card.adaptive');
    assert.equal(attachment?.contentUrl, null);
    const sent = got?.cards[0] as AdaptiveCard;
    assert.equal(sent.version, '1.5');
    assert.deepEqual(sent.actions, [
      { type: 'Action.OpenUrl', title: 'Open in Defender', url: 'https://security.microsoft.com/incidents/42' },
    ]);
    assert.ok(JSON.stringify(sent.body).includes('[riposte:0123abcd]'));
    assert.ok(!deps.logs.join('\n').includes(sig()), 'the SAS signature is never logged');
  });

  it('refuses Action.Submit, a version above 1.5 and an oversize card before sending anything', async () => {
    const deps = sandboxDeps(sb);
    const submit: AdaptiveCard = { ...messageCard({ text: 'x' }), actions: [{ type: 'Action.Submit', title: 'OK' }] };
    const v16: AdaptiveCard = { ...messageCard({ text: 'x' }), version: '1.6' };
    const big = messageCard({ text: 'x'.repeat(29 * 1024) });
    for (const card of [submit, v16, big]) {
      const e = await failure(deps.notify.teams.post({ card }));
      assert.ok(e instanceof InputError, String(e));
      assert.equal(e.field, 'card');
    }
    assert.equal(sb.control.teamsDeliveries().length, 0);
    assert.equal(sb.control.requests().filter((r) => r.family === 'teams').length, 0);
  });

  it('the receiver itself refuses what Teams would (the poster cannot hide a shape bug)', async () => {
    const post = (body: unknown): Promise<number> =>
      new Promise((resolve, reject) => {
        const req = https.request(
          url,
          { method: 'POST', ca: sb.caPem, headers: { 'content-type': 'application/json' } },
          (res) => {
            res.resume();
            resolve(res.statusCode ?? 0);
          },
        );
        req.on('error', reject);
        req.end(JSON.stringify(body));
      });
    const card = { type: 'AdaptiveCard', version: '1.5', body: [] };
    assert.equal(
      await post({ type: 'message', attachments: [{ contentType: 'application/json', content: card }] }),
      400,
    );
    assert.equal(
      await post({
        type: 'message',
        attachments: [{ contentType: 'application/vnd.microsoft.card.adaptive', content: { ...card, version: '1.6' } }],
      }),
      400,
    );
    assert.equal(
      await post({
        type: 'message',
        attachments: [
          {
            contentType: 'application/vnd.microsoft.card.adaptive',
            content: { ...card, actions: [{ type: 'Action.Submit', title: 'OK' }] },
          },
        ],
      }),
      400,
    );
    assert.equal(
      await post({
        type: 'message',
        attachments: [{ contentType: 'application/vnd.microsoft.card.adaptive', content: card }],
      }),
      202,
    );
    assert.equal(sb.control.teamsDeliveries().length, 1);
  });

  it('retries a 429 after its Retry-After and posts once', async () => {
    const deps = sandboxDeps(sb);
    sb.control.injectFaults({ target: 'teams', status: 429, retryAfterSeconds: 2, count: 1 });
    const result = await deps.notify.teams.post({ card: messageCard({ text: 'hello' }) });
    assert.equal(result.status, 202);
    assert.ok(
      deps.sleeps.some((ms) => ms >= 2000),
      `waited ${deps.sleeps.join(',')}`,
    );
    assert.equal(sb.control.teamsDeliveries().length, 1);
  });

  it('does not repeat a message after a 500 (it may have been posted) and names no URL in the error', async () => {
    const deps = sandboxDeps(sb);
    sb.control.injectFaults({ target: 'teams', status: 500, count: 1 });
    const e = await failure(deps.notify.teams.post({ card: messageCard({ text: 'hello' }) }));
    assert.ok(e instanceof NotifyApiError, String(e));
    assert.equal(e.status, 500);
    assert.equal(e.target, 'teams');
    assert.ok(!e.message.includes(sig()) && !e.message.includes('/workflows/'), e.message);
    assert.equal(sb.control.requests().filter((r) => r.family === 'teams').length, 1);
  });

  it('a wrong signature is refused 401 and reported without the URL', async () => {
    const deps = sandboxDeps(sb);
    sb.control.setSecret('teams-webhook-url', url.replace(/sig=[^&]+/, 'sig=wrong'));
    const e = await failure(deps.notify.teams.post({ card: messageCard({ text: 'hello' }) }));
    assert.ok(e instanceof NotifyApiError, String(e));
    assert.equal(e.status, 401);
    assert.ok(!e.message.includes('sig='), e.message);
  });

  it('the dry-run preview shows the body and names the secret, not the URL', () => {
    const deps = sandboxDeps(sb);
    const preview = deps.notify.teams.preview({ card: messageCard({ text: 'hello' }) });
    assert.equal(preview.method, 'POST');
    assert.match(preview.url, /teams-webhook-url/);
    assert.equal(preview.body.type, 'message');
    assert.equal(sb.control.counters().keyVaultReads, 0, 'a preview reads no secret');
  });
});
