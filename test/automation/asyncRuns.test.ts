// The pieces of an asynchronous run's answer (shared/automation/asyncRuns.ts): reading `Prefer` as RFC 7240 writes
// it (§2: a comma-separated list of preferences, each a token, an optional value and `;` parameters; §4.1
// respond-async), and the status URL a 202 names.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { prefersRespondAsync, statusUrl } from '../../shared/automation/asyncRuns';

describe('Prefer: respond-async', () => {
  it('is found alone, among other preferences, in any case and with parameters', () => {
    for (const header of [
      'respond-async',
      'respond-async, wait=100', // RFC 7240 §4.1's own example
      'return=minimal, respond-async',
      'handling=lenient,RESPOND-ASYNC ; foo=bar',
    ])
      assert.equal(prefersRespondAsync(header), true, header);
  });

  it('is not read into other preferences or values', () => {
    for (const header of [undefined, null, '', 'wait=100', 'respond-asynchronously', 'return="respond-async"'])
      assert.equal(prefersRespondAsync(header), false, String(header));
  });
});

describe('the status URL', () => {
  it('is absolute on the app’s own host and names the workflow', () => {
    const id = '0f0e0d0c-0b0a-4908-8706-050403020100';
    assert.equal(
      statusUrl('https://riposte-demo.azurewebsites.net', 'stale-incident-triage', id),
      `https://riposte-demo.azurewebsites.net/api/workflows/stale-incident-triage/runs/${id}`,
    );
    assert.equal(statusUrl(undefined, 'a b', id), `/api/workflows/a%20b/runs/${id}`);
  });
});
