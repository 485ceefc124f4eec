// Credentials of the notification targets come from Key Vault (managed identity) and are cached; a rotated Jira API
// token (the target answers 401) makes the client read the secret again once and retry, without a second comment.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startSandbox, type Sandbox } from '../../sandbox/index';
import { NotifyApiError } from '../../shared/notify';
import { failure, sandboxDeps } from '../integration/sandboxDeps';
import { registerSecrets } from '../setup/logCapture';

let sb: Sandbox;

before(async () => {
  sb = await startSandbox({ rateLimitScale: 0.05 });
});
after(() => sb?.close());

describe('notification credentials from Key Vault', () => {
  it('reads the Jira secret once, and again once after a 401 from a rotated token', async () => {
    sb.control.reset();
    sb.control.addJiraIssue('SEC-5');
    const first = sb.control.jiraCredentials();
    sb.control.setSecret('jira-credentials', JSON.stringify(first));
    const deps = sandboxDeps(sb);
    const jira = deps.notify.jira!;
    await jira.addComment('SEC-5', 'one');
    await jira.addComment('SEC-5', 'two');
    const reads = (): number => sb.control.counters().keyVaultReads;
    assert.equal(reads(), 1, 'cached after the first read');

    const rotated = sb.control.rotateJiraToken();
    registerSecrets([first.apiToken, rotated.apiToken]);
    sb.control.setSecret('jira-credentials', JSON.stringify(rotated));
    await jira.addComment('SEC-5', 'three');
    assert.equal(reads(), 2, 're-read once after the 401');
    assert.deepEqual(
      sb.control.jiraIssue('SEC-5')?.comments.map((c) => JSON.stringify(c.body).includes('three')),
      [false, false, true],
    );

    // Rotated in Jira but not in the vault: one re-read, then a 401 the caller sees (502 in the contract).
    sb.control.rotateJiraToken();
    const e = await failure(jira.addComment('SEC-5', 'four'));
    assert.ok(e instanceof NotifyApiError, String(e));
    assert.equal(e.status, 401);
    assert.equal(e.code, 'DEFENDER_HTTP');
    assert.equal(reads(), 3);
    assert.ok(!e.message.includes(rotated.apiToken));
    assert.equal(sb.control.jiraIssue('SEC-5')?.comments.length, 3);
  });

  it('a malformed credentials secret is a configuration error naming the secret, not its value', async () => {
    sb.control.reset();
    sb.control.addJiraIssue('SEC-6');
    sb.control.setSecret('jira-credentials', 'fred@example.com:not-json-token-123');
    const e = await failure(sandboxDeps(sb).notify.jira!.addComment('SEC-6', 'x'));
    assert.equal((e as { code?: string }).code, 'CONFIG_INVALID');
    assert.match(String((e as Error).message), /jira-credentials/);
    assert.ok(!String((e as Error).message).includes('not-json-token-123'));
    assert.equal(sb.control.requests().filter((r) => r.family === 'jira').length, 0);
  });
});
