// The pieces of an asynchronous run's answer (shared/automation/asyncRuns.ts): reading `Prefer` as RFC 7240 writes
// it (§2: a comma-separated list of preferences, each a token, an optional value and `;` parameters; §4.1
// respond-async), and the status URL a 202 names, with its token.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { describe, it } from 'node:test';
import {
  newRunToken,
  prefersRespondAsync,
  RUN_TOKEN,
  runTokenMatches,
  statusUrl,
} from '../../shared/automation/asyncRuns';

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
  it('is absolute on the app’s own host, names the workflow and carries the run’s token', () => {
    const id = '0f0e0d0c-0b0a-4908-8706-050403020100';
    const { token } = newRunToken();
    assert.equal(
      statusUrl('https://riposte-demo.azurewebsites.net', 'stale-incident-triage', id, token),
      `https://riposte-demo.azurewebsites.net/api/workflows/stale-incident-triage/runs/${id}?token=${token}`,
    );
    assert.equal(statusUrl(undefined, 'a b', id, token), `/api/workflows/a%20b/runs/${id}?token=${token}`);
  });
});

describe('run tokens', () => {
  it('are 256 random bits in base64url, a new one each time, kept only as their SHA-256', () => {
    const tokens = Array.from({ length: 50 }, () => newRunToken());
    assert.equal(new Set(tokens.map((t) => t.token)).size, 50);
    for (const { token, hash } of tokens) {
      assert.match(token, RUN_TOKEN);
      assert.equal(Buffer.from(token, 'base64url').length, 32);
      assert.equal(hash, createHash('sha256').update(token).digest('hex'));
      assert.ok(!hash.includes(token));
    }
  });

  it('match only their own hash', () => {
    const [a, b] = [newRunToken(), newRunToken()];
    assert.equal(runTokenMatches(a.token, a.hash), true);
    assert.equal(runTokenMatches(b.token, a.hash), false);
    assert.equal(runTokenMatches(`${a.token.slice(0, -1)}${a.token.endsWith('A') ? 'B' : 'A'}`, a.hash), false);
    assert.equal(runTokenMatches(a.hash, a.hash), false, 'the hash is not a token');
    assert.equal(runTokenMatches(a.token, ''), false, 'a record without a hash matches nothing');
    assert.equal(runTokenMatches(a.token, 'zz'), false);
  });
});
