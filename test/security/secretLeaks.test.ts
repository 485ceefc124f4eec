// No credential in any log line, error or HTTP answer. The key flows run against the sandbox with every sink
// captured: the process's stdout/stderr (console and shared loggers), the host's log lines (invocations and
// function context logs), every HTTP answer (status line, headers, body), and errors raised by the real clients
// (message, stack, causes, util.inspect and JSON forms, as a logger or crash report would print them). Then every
// sink is searched for the client secrets (each rotation), every token the sandbox issued, the webhook secrets,
// the function and master keys and the managed-identity header. The values are also registered with the suite-wide
// log scan (test/setup/logCapture.ts).
import assert from 'node:assert/strict';
import { inspect } from 'node:util';
import { after, before, test } from 'node:test';
import { getDeps } from '../../shared/deps';
import {
  appSettings,
  newWebhookSecrets,
  Scratch,
  signedJira,
  signedStandard,
  startBackends,
  startInProcessApp,
  waitFor,
  type Backends,
  type HttpAnswer,
  type InProcessApp,
} from '../reliability/harness';
import { findCredentials, registerSecrets } from '../setup/logCapture';

let b: Backends;
let app: InProcessApp;
const scratch = new Scratch();
const secrets = newWebhookSecrets();
const clientSecrets = new Set<string>();
const output: string[] = [];
const answers: string[] = [];
const errors: string[] = [];
let incidentId: string;
const restore: Array<() => void> = [];
/** Status-URL tokens of asynchronous runs (credentials for a run's report). */
const runTokens: string[] = [];

before(async () => {
  for (const stream of [process.stdout, process.stderr]) {
    const write = stream.write.bind(stream) as (...args: unknown[]) => boolean;
    stream.write = ((chunk: unknown, ...rest: unknown[]) => {
      output.push(typeof chunk === 'string' ? chunk : Buffer.from(chunk as Uint8Array).toString('utf8'));
      return write(chunk, ...rest);
    }) as typeof stream.write;
    restore.push(() => (stream.write = write as typeof stream.write));
  }
  b = await startBackends();
  clientSecrets.add(b.sandbox.control.currentSecret());
  incidentId = String(b.sandbox.control.incidents()[0]?.id);
  // Failed queue messages come back after 0.2 s instead of the shipped 30 s.
  app = await startInProcessApp(appSettings(b, secrets), {
    hostJsonPath: scratch.hostJson({ visibilityTimeout: '00:00:00.200', maxPollingInterval: '00:00:00.300' }),
  });
});

after(async () => {
  registerSecrets(allSecrets());
  await app?.host.close();
  await Promise.all([b?.sandbox.close(), b?.azurite.stop()]);
  for (const r of restore) r();
  scratch.cleanup();
});

function allSecrets(): string[] {
  if (!b || !app) return [...clientSecrets, ...runTokens];
  return [
    ...clientSecrets,
    ...runTokens,
    ...b.sandbox.control.issuedTokens(),
    ...Object.values(secrets),
    app.functionKey,
    app.host.masterKey,
    b.sandbox.identityHeader,
  ];
}

async function call(method: string, path: string, o: Parameters<InProcessApp['call']>[2] = {}): Promise<HttpAnswer> {
  const r = await app.call(method, path, o);
  answers.push(`${r.status} ${JSON.stringify([...r.headers.entries()])} ${r.text}`);
  return r;
}

/** An error as every printer would show it. */
async function captureError(fn: () => Promise<unknown>): Promise<unknown> {
  try {
    await fn();
  } catch (e) {
    errors.push(
      inspect(e, { depth: 10, showHidden: true }),
      String(e),
      (e as Error).stack ?? '',
      JSON.stringify(e, Object.getOwnPropertyNames(e as object)) ?? '',
    );
    return e;
  }
  throw new Error('expected a failure');
}

test('key flows: tokens, Key Vault, webhooks, API errors, 401s, rotation, expiry, queue failures', async () => {
  const c = b.sandbox.control;
  const deps = () => getDeps();

  // Cold start: managed identity → Key Vault → client secret → Entra token → API.
  assert.equal((await call('GET', `/api/incidents/${incidentId}`)).status, 200);
  assert.equal(
    (await call('POST', '/api/hunting/emails-from-sender', { body: { params: { senderAddress: 'a@b.c' } } })).status,
    200,
  );

  // Webhooks of every source, good and bad; the function key in the query string and wrong keys.
  const g = signedStandard({ id: 'leak-1', incidentId, comment: 'leak check' }, secrets.generic);
  assert.equal((await call('POST', '/api/webhooks/generic', { body: g.body, headers: g.headers })).status, 202);
  const sn = signedStandard({ sys_id: 'x' }, secrets.servicenow);
  await call('POST', '/api/webhooks/servicenow', { body: sn.body, headers: sn.headers });
  const j = signedJira({ webhookEvent: 'jira:issue_updated', timestamp: Date.now() }, secrets.jira);
  await call('POST', '/api/webhooks/jira', { body: j.body, headers: j.headers });
  await call('POST', '/api/webhooks/generic', {
    body: g.body,
    headers: { ...g.headers, 'webhook-signature': 'v1,AAAA' },
  });
  await call('POST', `/api/webhooks/generic?code=${encodeURIComponent(app.functionKey)}`, {
    body: g.body,
    headers: g.headers,
    key: null,
  });
  await call('GET', `/api/incidents/${incidentId}?code=${encodeURIComponent(app.functionKey)}x`, { key: null });
  await call('GET', `/api/incidents/${incidentId}`, { key: `${app.functionKey.slice(0, -1)}A` });

  // API failures from axios (the request carried an Authorization header) → 503, and as thrown by the client.
  c.injectFaults({ target: 'incidents', status: 500 });
  assert.equal((await call('GET', `/api/incidents/${incidentId}`)).status, 503);
  await captureError(() => deps().defender.getIncident(incidentId));
  c.clearFaults();
  c.injectFaults({ target: 'incidents', outage: true });
  await captureError(() => deps().defender.getIncident(incidentId));
  c.clearFaults();

  // Revoked token: 401, one refresh, 200.
  c.revokeTokens();
  assert.equal((await call('GET', `/api/incidents/${incidentId}`)).status, 200);

  // Rotation: Entra rejects the old secret, Key Vault holds the new one.
  clientSecrets.add(c.rotateSecret());
  c.revokeTokens();
  assert.equal((await call('GET', `/api/incidents/${incidentId}`)).status, 200);

  // Expired secret: 502 naming the Key Vault secret, and the token provider's own error.
  c.expireSecret();
  c.revokeTokens();
  const expired = await call('GET', `/api/incidents/${incidentId}`);
  assert.equal(expired.status, 502, expired.text);
  await captureError(() => deps().tokens.getToken());

  // Rotated in Entra only, Key Vault disabled: the re-read fails with Key Vault's 403.
  clientSecrets.add(c.rotateSecretInEntraOnly());
  c.setSecretEnabled(false);
  c.revokeTokens();
  assert.equal((await call('GET', `/api/incidents/${incidentId}`)).status, 502);
  await captureError(() => deps().tokens.getToken());
  await captureError(() => deps().secrets.refresh());
  c.reset();
  clientSecrets.add(c.currentSecret());

  // Queue failures: the ticket event fails against a failing API, is retried and logged, then applied.
  c.revokeTokens();
  c.injectFaults({ target: 'api', status: 500, count: 6 });
  const q = signedStandard({ id: 'leak-2', incidentId, comment: 'after failures' }, secrets.generic);
  assert.equal((await call('POST', '/api/webhooks/generic', { body: q.body, headers: q.headers })).status, 202);
  // Six background retries back off for about 25 s by design (BACKGROUND_MAX_RETRIES), before the queue's own pickup:
  // the default 30 s wait left a loaded CI runner a few seconds.
  await waitFor(
    'the event applied',
    () => c.incident(incidentId)?.comments.some((x) => x.comment.includes('after failures')),
    { timeoutMs: 90_000 },
  );
  await app.host.drainQueues(30_000);
  assert.ok(
    app.hostLines.some((l) => /Failure|failed/.test(l)),
    'failures were logged',
  );

  // An asynchronous run: its status URL's token reads the run's report, so it goes out in the 202 (and its replay)
  // and nowhere else. Accepted, replayed, polled with it and with a wrong one, it must reach no log line or error.
  // (These answers carry it by design: they are kept out of the answers sink.)
  const runPost = () =>
    app.call('POST', '/api/workflows/ticket-sync/run', {
      body: { input: { incidentId, status: 'inProgress', comment: 'async leak check' }, dryRun: true },
      headers: { prefer: 'respond-async', 'idempotency-key': 'leak-async-1' },
    });
  const accepted = await runPost();
  assert.equal(accepted.status, 202, accepted.text);
  const location = new URL(accepted.headers.get('location') ?? '');
  runTokens.push(location.searchParams.get('token') ?? '');
  assert.equal((await runPost()).headers.get('location'), location.href, 'the replay names the same URL');
  const statusPath = `${location.pathname}${location.search}`;
  assert.equal((await call('GET', `${location.pathname}?token=${'A'.repeat(43)}`, { key: null })).status, 404);
  const polled = await waitFor('the asynchronous run done', async () => {
    const r = await app.call('GET', statusPath, { key: null });
    return r.status === 202 ? undefined : r;
  });
  assert.equal(polled.status, 200, polled.text);

  // The search: registered values and credential shapes in every sink.
  const sinks = {
    output: output.join(''),
    host: app.hostLines.join('\n'),
    answers: answers.join('\n'),
    errors: errors.join('\n'),
  };
  const values = allSecrets();
  assert.ok(values.length >= 12, `${values.length} secret values checked`);
  assert.ok(b.sandbox.control.issuedTokens().length >= 5, 'tokens were issued');
  assert.match(runTokens[0] ?? '', /^[\w-]{43}$/);
  assert.ok(sinks.host.includes('GetWorkflowRun') || sinks.host.includes('getWorkflowRun'), 'the polls were logged');
  for (const [sink, text] of Object.entries(sinks)) {
    assert.ok(text.length > 0, `${sink} captured something`);
    const findings = findCredentials(text, values);
    assert.deepEqual(findings, [], `${sink}: ${JSON.stringify(findings.slice(0, 3))}`);
  }
  // The errors did carry the details an operator needs.
  assert.match(sinks.errors, /Key Vault|vault/i);
  assert.match(sinks.errors, /AADSTS7000222|expired/);
});

test('the credential search itself finds what it is meant to', () => {
  const token = b.sandbox.control.issuedTokens()[0] ?? '';
  const samples = [
    `Authorization: Bearer ${token}`,
    `token=${token}`,
    `secret ${b.sandbox.control.currentSecret()} in a message`,
    `key ${app.functionKey}`,
    // A run's status URL, as a log line printing a Location would show it (the pattern, not a registered value).
    `Location: https://riposte.example/api/workflows/w/runs/0f0e0d0c-0b0a-4908-8706-050403020100?token=${'x'.repeat(43)}`,
  ];
  for (const s of samples.slice(-1)) assert.ok(findCredentials(s).length > 0, 'a run token by its shape');
  for (const s of samples) assert.ok(findCredentials(s, allSecrets()).length > 0, s.slice(0, 20));
  assert.deepEqual(findCredentials('Authorization: Bearer [REDACTED] [REDACTED_JWT]', allSecrets()), []);
});
