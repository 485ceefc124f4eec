// The notification targets draw on the shared quota (one row per target, across instances) like the Defender
// families: each target has its own row, named without the secret URL, and a 429 from a target pauses its row for
// every instance until the reset the target asked for.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startSandbox, type Sandbox } from '../../sandbox/index';
import { loadConfig } from '../../shared/config';
import { messageCard } from '../../shared/notify';
import { createMemoryQuotaStore } from '../../shared/quota/quotaStore';
import { sandboxDeps } from '../integration/sandboxDeps';

let sb: Sandbox;

before(async () => {
  sb = await startSandbox({ rateLimitScale: 0.05 });
});
after(() => sb?.close());

describe('notification quotas', () => {
  it('each target gets its own shared-quota row; a Jira 429 pauses the Jira row for every instance', async () => {
    sb.control.reset();
    const url = sb.control.createTeamsWebhook();
    sb.control.setSecret('teams-webhook-url', url);
    sb.control.setSecret('jira-credentials', JSON.stringify(sb.control.jiraCredentials()));
    sb.control.addJiraIssue('SEC-9');
    const store = createMemoryQuotaStore();
    const deps = sandboxDeps(sb, 'graph', { MAX_RETRY_AFTER_SECONDS: '5' }, { quotaStore: store });
    await deps.notify.teams.post({ card: messageCard({ text: 'hello' }) });
    sb.control.injectFaults({ target: 'jira', method: 'POST', status: 429, retryAfterSeconds: 30, count: 1 });
    const started = Date.now();
    await assert.rejects(deps.notify.jira!.addComment('SEC-9', 'hi — [riposte:00000000]'), /429/);
    const keys = [...store.rows.keys()];
    const tenant = deps.config.tenantId;
    assert.ok(
      keys.some((k) => /^.+\/teams-[0-9a-f]{12}$/.test(k) && k.startsWith(tenant)),
      keys.join(', '),
    );
    assert.ok(
      keys.some((k) => /\/jira-[0-9a-f]{12}$/.test(k)),
      keys.join(', '),
    );
    assert.ok(!keys.join(' ').includes('sig'), 'no URL in the row keys');
    const jiraRow = [...store.rows.entries()].find(([k]) => k.includes('/jira-'))?.[1];
    assert.ok((jiraRow?.state.pausedUntil ?? 0) >= started + 29_000, JSON.stringify(jiraRow?.state));
    assert.match(jiraRow?.state.pauseReason ?? '', /429 from Jira/);
    // A second instance on the same row does not send before the reset: it fails at once (the wait is beyond
    // MAX_RETRY_AFTER_SECONDS), and the site saw no second request.
    const other = sandboxDeps(sb, 'graph', { MAX_RETRY_AFTER_SECONDS: '5' }, { quotaStore: store });
    const before = sb.control.requests().filter((r) => r.family === 'jira').length;
    await assert.rejects(other.notify.jira!.addComment('SEC-9', 'hi'), /not sent: client-side|quota|pause/i);
    assert.equal(sb.control.requests().filter((r) => r.family === 'jira').length, before);
    assert.equal(sb.control.jiraIssue('SEC-9')?.comments.length, 0);
  });

  it('the allowance per target follows the documented Teams limits and the QUOTA_JIRA/SERVICENOW settings', () => {
    const c = loadConfig({
      ...sb.settings('graph'),
      RATE_LIMIT_WINDOW_SCALE: '1',
      QUOTA_JIRA_PER_MINUTE: '30',
      QUOTA_SERVICENOW_PER_HOUR: '500',
    });
    assert.deepEqual(c.notify.allowance, {
      teams: [
        { limit: 4, windowMs: 1000 },
        { limit: 60, windowMs: 30_000 },
      ],
      jira: [{ limit: 30, windowMs: 60_000 }],
      servicenow: [{ limit: 500, windowMs: 3_600_000 }],
    });
    assert.throws(() => loadConfig({ ...sb.settings('graph'), QUOTA_JIRA_PER_MINUTE: '0' }), /QUOTA_JIRA_PER_MINUTE/);
    assert.throws(() => loadConfig({ ...sb.settings('graph'), JIRA_BASE_URL: 'http://jira.example' }), /JIRA_BASE_URL/);
  });
});
