import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import { describe, it, mock } from 'node:test';
import { ConfigError, InputError } from '../../shared/errors';
import {
  parseDelivery,
  signJira,
  signStandardWebhook,
  verifyDelivery,
  WebhookAuthError,
  type RawDelivery,
  type WebhookAuthReason,
} from '../../shared/webhooks';
import {
  defaultSecrets,
  fixture,
  jiraDelivery,
  NOW,
  NOW_S,
  SECRETS,
  secretsOf,
  shippedMapping,
  standardDelivery,
} from './helpers';

const opts = { now: NOW };

async function rejectsWith(
  p: Promise<unknown>,
  reason: WebhookAuthReason,
  message?: string | RegExp,
): Promise<WebhookAuthError> {
  let caught: unknown;
  try {
    await p;
  } catch (e) {
    caught = e;
  }
  assert.ok(caught instanceof WebhookAuthError, `expected WebhookAuthError(${reason}), got ${String(caught)}`);
  assert.equal(caught.reason, reason);
  assert.equal(caught.code, 'UNAUTHENTICATED');
  assert.equal(caught.status, 401);
  if (typeof message === 'string') assert.equal(caught.message, message);
  else if (message) assert.match(caught.message, message);
  return caught;
}

const withHeaders = (d: RawDelivery, headers: Record<string, string | undefined>): RawDelivery => ({
  ...d,
  headers: { ...d.headers, ...headers },
});

describe('verifyDelivery: source', () => {
  it('refuses a source that is not servicenow, jira or generic, before reading any secret', async () => {
    const secrets = defaultSecrets();
    for (const source of ['github', 'Jira', '', 'jira ', '__proto__']) {
      await rejectsWith(
        verifyDelivery({ ...jiraDelivery(fixture('jira-issue-resolved.json')), source }, secrets, opts),
        'unknown-source',
        `Unknown webhook source ${JSON.stringify(source)}; expected one of: servicenow, jira, generic`,
      );
    }
    assert.equal(secrets.calls, 0);
  });

  it('does not accept a Jira-signed body on the ServiceNow route (wrong source)', async () => {
    const d = jiraDelivery(fixture('jira-issue-resolved.json'));
    await rejectsWith(verifyDelivery({ ...d, source: 'servicenow' }, defaultSecrets(), opts), 'missing-signature');
  });

  it('fails closed with a ConfigError when the source has no secret', async () => {
    const d = jiraDelivery(fixture('jira-issue-resolved.json'));
    await assert.rejects(verifyDelivery(d, secretsOf({ jira: ['', ''] }), opts), (e: unknown) => {
      assert.ok(e instanceof ConfigError);
      assert.deepEqual(e.problems, ["no webhook secret is configured for source 'jira'"]);
      return true;
    });
  });
});

describe('verifyDelivery: Jira x-hub-signature', () => {
  const body = fixture('jira-issue-resolved.json');

  it('accepts the signature Jira sends (HMAC-SHA256 of the raw body, hex, UTF-8 secret)', async () => {
    const d = jiraDelivery(body);
    assert.match(d.headers['x-hub-signature'] ?? '', /^sha256=[0-9a-f]{64}$/);
    await verifyDelivery(d, defaultSecrets(), opts);
    // Upper-case hex is the same MAC.
    const upper = (d.headers['x-hub-signature'] ?? '').replace(/[0-9a-f]{64}$/, (h) => h.toUpperCase());
    await verifyDelivery(withHeaders(d, { 'x-hub-signature': upper }), defaultSecrets(), opts);
  });

  it('missing or empty header → missing-signature', async () => {
    for (const value of [undefined, '', '   ']) {
      await rejectsWith(
        verifyDelivery(withHeaders(jiraDelivery(body), { 'x-hub-signature': value }), defaultSecrets(), opts),
        'missing-signature',
        'Missing x-hub-signature header',
      );
    }
  });

  it('malformed and truncated headers → malformed-signature', async () => {
    const good = jiraDelivery(body).headers['x-hub-signature'] ?? '';
    const hex = good.slice('sha256='.length);
    for (const value of [
      hex, // no method
      `sha1=${hex.slice(0, 40)}`,
      `sha256=${hex.slice(0, 63)}`, // truncated by one digit
      `sha256=${hex.slice(0, 32)}`, // truncated to half
      `sha256=${hex}00`,
      `sha256=${'z'.repeat(64)}`,
      `sha256= ${hex}`,
    ]) {
      await rejectsWith(
        verifyDelivery(withHeaders(jiraDelivery(body), { 'x-hub-signature': value }), defaultSecrets(), opts),
        'malformed-signature',
        'x-hub-signature must be sha256=<64 hex digits>',
      );
    }
  });

  it('a signature from another secret, or over other bytes, → bad-signature without revealing the expected MAC', async () => {
    const expected = signJira(body, SECRETS.jira)['x-hub-signature'] ?? '';
    const other = jiraDelivery(body, { secret: 'some-other-secret' });
    const e = await rejectsWith(
      verifyDelivery(other, defaultSecrets(), opts),
      'bad-signature',
      'x-hub-signature does not match the body',
    );
    const everything = `${e.message} ${e.stack ?? ''} ${JSON.stringify(e)}`;
    assert.ok(!everything.includes(expected.slice(7)));
    assert.ok(!everything.includes(SECRETS.jira));

    const tampered = jiraDelivery(body);
    const changed = Buffer.from(body.toString('utf8').replace('"1234"', '"1235"'), 'utf8');
    await rejectsWith(verifyDelivery({ ...tampered, body: changed }, defaultSecrets(), opts), 'bad-signature');
  });

  it('accepts the previous secret during rotation, and compares against every secret every time', async () => {
    const rotating = secretsOf({ jira: ['new-jira-secret', SECRETS.jira] });
    await verifyDelivery(jiraDelivery(body), rotating, opts);
    await verifyDelivery(jiraDelivery(body, { secret: 'new-jira-secret' }), rotating, opts);

    const spy = mock.method(crypto, 'timingSafeEqual');
    try {
      await verifyDelivery(jiraDelivery(body, { secret: 'new-jira-secret' }), rotating, opts);
      // The first secret matched; the second is still compared, so timing does not say which one matched.
      assert.equal(spy.mock.callCount(), 2);
    } finally {
      spy.mock.restore();
    }
  });

  it('stale: the payload timestamp must be under jiraMaxAgeSeconds old and not in the future', async () => {
    const at = (ms: number): Buffer =>
      Buffer.from(JSON.stringify({ ...JSON.parse(body.toString('utf8')), timestamp: ms }));
    const nowMs = NOW.getTime();
    await verifyDelivery(jiraDelivery(at(nowMs - 3_599_000)), defaultSecrets(), opts); // a late retry, 59m59s
    await rejectsWith(
      verifyDelivery(jiraDelivery(at(nowMs - 3_601_000)), defaultSecrets(), opts),
      'stale-timestamp',
      'Jira event is 3601 s old; at most 3600 s is accepted',
    );
    await rejectsWith(
      verifyDelivery(jiraDelivery(at(nowMs - 600_000)), defaultSecrets(), { now: NOW, jiraMaxAgeSeconds: 300 }),
      'stale-timestamp',
    );
    await rejectsWith(
      verifyDelivery(jiraDelivery(at(nowMs + 301_000)), defaultSecrets(), opts),
      'stale-timestamp',
      'Jira event is 301 s in the future; at most 300 s is accepted',
    );
  });

  it('a signed body that is not JSON, not UTF-8, or has no timestamp is an InputError', async () => {
    for (const [raw, field] of [
      [Buffer.from([0x7b, 0x22, 0xff, 0xfe, 0x22, 0x7d]), 'body'],
      [Buffer.from('not json'), 'body'],
      [Buffer.from('[1,2]'), 'body'],
      [Buffer.from('{"webhookEvent":"jira:issue_updated"}'), 'body.timestamp'],
      [Buffer.from('{"timestamp":"1732543200123"}'), 'body.timestamp'],
    ] as const) {
      await assert.rejects(verifyDelivery(jiraDelivery(raw), defaultSecrets(), opts), (e: unknown) => {
        assert.ok(e instanceof InputError);
        assert.equal(e.field, field);
        return true;
      });
    }
  });
});

describe('verifyDelivery: Standard Webhooks (ServiceNow, generic)', () => {
  const body = fixture('servicenow-incident-resolved.json');

  it('accepts a whsec_ secret (base64-decoded key) and a prefix-less one (UTF-8 key)', async () => {
    await verifyDelivery(standardDelivery('servicenow', body), defaultSecrets(), opts);
    await verifyDelivery(standardDelivery('generic', fixture('generic-update.json')), defaultSecrets(), opts);
    // The same key written both ways signs alike.
    const a = signStandardWebhook({ id: 'x', timestamp: NOW_S, body, secret: 's3cret' });
    const b = signStandardWebhook({
      id: 'x',
      timestamp: NOW_S,
      body,
      secret: `whsec_${Buffer.from('s3cret').toString('base64')}`,
    });
    assert.equal(a['webhook-signature'], b['webhook-signature']);
  });

  it('matches the Standard Webhooks reference signature', () => {
    // Test vector from the standard-webhooks reference libraries.
    const h = signStandardWebhook({
      id: 'msg_p5jXN8AQM9LWM0D4loKWxJek',
      timestamp: 1614265330,
      body: '{"test": 2432232314}',
      secret: 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw',
    });
    assert.equal(h['webhook-signature'], 'v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=');
  });

  // Test vectors of the Standard Webhooks reference libraries (standard-webhooks/standard-webhooks
  // libraries/javascript/src/webhook.test.ts and libraries/python/tests/test_webhooks.py; reference §3.4),
  // verified as a generic delivery whose secret is the vector's, at the vector's own time.
  const VECTORS = [
    {
      secret: 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw',
      id: 'msg_p5jXN8AQM9LWM0D4loKWxJek',
      timestamp: '1614265330',
      body: '{"test": 2432232314}',
      signature: 'v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=',
    },
    {
      secret: 'whsec_C2FVsBQIhrscChlQIMV+b5sSYspob7oD',
      id: 'msg_27UH4WbU6Z5A5EzD8u03UvzRbpk',
      timestamp: '1649367553',
      body: '{"email":"test@example.com","username":"test_user"}',
      signature: 'v1,tZ1I4/hDygAJgO5TYxiSd6Sd0kDW6hPenDe+bTa3Kkw=',
    },
  ] as const;
  const vectorDelivery = (v: (typeof VECTORS)[number], signature: string): RawDelivery => ({
    source: 'generic',
    headers: { 'webhook-id': v.id, 'webhook-timestamp': v.timestamp, 'webhook-signature': signature },
    body: Buffer.from(v.body, 'utf8'),
    receivedAt: new Date(Number(v.timestamp) * 1000),
  });
  const atVector = (v: (typeof VECTORS)[number]) => ({ now: new Date(Number(v.timestamp) * 1000) });

  it('verifies both reference test vectors, alone or among other listed signatures', async () => {
    for (const v of VECTORS) {
      const secrets = secretsOf({ generic: [v.secret] });
      await verifyDelivery(vectorDelivery(v, v.signature), secrets, atVector(v));
      const other = 'v1,' + Buffer.alloc(32, 7).toString('base64');
      await verifyDelivery(vectorDelivery(v, `${other} v1a,c2lnbmF0dXJl ${v.signature}`), secrets, atVector(v));
    }
  });

  it('refuses the negative vector (last character changed), a bare "v1,", and the vector 5 minutes later', async () => {
    const v = VECTORS[0];
    const secrets = secretsOf({ generic: [v.secret] });
    await rejectsWith(
      verifyDelivery(vectorDelivery(v, 'v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OA='), secrets, atVector(v)),
      'bad-signature',
    );
    await rejectsWith(verifyDelivery(vectorDelivery(v, 'v1,'), secrets, atVector(v)), 'malformed-signature');
    await rejectsWith(
      verifyDelivery(vectorDelivery(v, v.signature), secrets, {
        now: new Date((Number(v.timestamp) + 301) * 1000),
      }),
      'stale-timestamp',
    );
  });

  it('missing signature → missing-signature; missing id or timestamp → malformed-signature', async () => {
    const d = standardDelivery('servicenow', body);
    await rejectsWith(
      verifyDelivery(withHeaders(d, { 'webhook-signature': undefined }), defaultSecrets(), opts),
      'missing-signature',
      'Missing webhook-signature header',
    );
    await rejectsWith(
      verifyDelivery(withHeaders(d, { 'webhook-id': undefined }), defaultSecrets(), opts),
      'malformed-signature',
      /^webhook-id must be/,
    );
    await rejectsWith(
      verifyDelivery(withHeaders(d, { 'webhook-timestamp': undefined }), defaultSecrets(), opts),
      'malformed-signature',
      'webhook-timestamp must be whole Unix seconds',
    );
    await rejectsWith(
      verifyDelivery(withHeaders(d, { 'webhook-timestamp': `${NOW_S}.5` }), defaultSecrets(), opts),
      'malformed-signature',
    );
    await rejectsWith(
      verifyDelivery(withHeaders(d, { 'webhook-id': 'has space' }), defaultSecrets(), opts),
      'malformed-signature',
    );
  });

  it('malformed and truncated signatures → malformed-signature', async () => {
    const d = standardDelivery('servicenow', body);
    const b64 = (d.headers['webhook-signature'] ?? '').slice(3);
    for (const value of [
      b64, // no version
      `v1,${b64.slice(0, 20)}`, // truncated
      `v1,${b64.slice(0, -1)}`, // padding lost
      `v1,${Buffer.from('short').toString('base64')}`,
      `v1,${b64.replace(/[+/]/g, '-')}-!`,
      `v2,${b64}`,
      `v1a,${b64}`,
      Array.from({ length: 11 }, () => `v1,${b64}`).join(' '),
    ]) {
      await rejectsWith(
        verifyDelivery(withHeaders(d, { 'webhook-signature': value }), defaultSecrets(), opts),
        'malformed-signature',
      );
    }
  });

  it('wrong secret, tampered body, or a signature replayed under a new timestamp or id → bad-signature', async () => {
    await rejectsWith(
      verifyDelivery(
        standardDelivery('servicenow', body, { secret: 'whsec_' + Buffer.alloc(24, 7).toString('base64') }),
        defaultSecrets(),
        opts,
      ),
      'bad-signature',
      'webhook-signature does not match the delivery',
    );
    const d = standardDelivery('servicenow', body);
    await rejectsWith(
      verifyDelivery({ ...d, body: Buffer.concat([body, Buffer.from(' ')]) }, defaultSecrets(), opts),
      'bad-signature',
    );
    // An attacker who captured an old delivery refreshes its timestamp: the MAC covers it.
    const old = standardDelivery('servicenow', body, { timestamp: NOW_S - 3600 });
    await rejectsWith(
      verifyDelivery(withHeaders(old, { 'webhook-timestamp': String(NOW_S) }), defaultSecrets(), opts),
      'bad-signature',
    );
    await rejectsWith(
      verifyDelivery(withHeaders(d, { 'webhook-id': 'msg_other' }), defaultSecrets(), opts),
      'bad-signature',
    );
    // A Jira-style signature for the generic route.
    await rejectsWith(
      verifyDelivery(
        withHeaders(d, {
          'webhook-signature': `v1,${crypto.createHmac('sha256', SECRETS.servicenow).update(body).digest('base64')}`,
        }),
        defaultSecrets(),
        opts,
      ),
      'bad-signature',
    );
  });

  it('accepts any listed signature (sender rotation) and the previous receiver secret (our rotation)', async () => {
    const multi = standardDelivery('servicenow', body, {
      secret: ['whsec_' + Buffer.alloc(32, 1).toString('base64'), SECRETS.servicenow],
    });
    assert.equal((multi.headers['webhook-signature'] ?? '').split(' ').length, 2);
    await verifyDelivery(multi, defaultSecrets(), opts);
    const withV1a = withHeaders(multi, { 'webhook-signature': `v1a,AAAA ${multi.headers['webhook-signature']}` });
    await verifyDelivery(withV1a, defaultSecrets(), opts);

    const rotating = secretsOf({ generic: ['brand-new-secret', SECRETS.generic] });
    await verifyDelivery(standardDelivery('generic', '{}'), rotating, opts);
    await verifyDelivery(standardDelivery('generic', '{}', { secret: 'brand-new-secret' }), rotating, opts);
    await rejectsWith(
      verifyDelivery(standardDelivery('generic', '{}', { secret: 'retired-secret' }), rotating, opts),
      'bad-signature',
    );

    const spy = mock.method(crypto, 'timingSafeEqual');
    try {
      await verifyDelivery(standardDelivery('generic', '{}', { secret: ['a', 'brand-new-secret'] }), rotating, opts);
      assert.equal(spy.mock.callCount(), 4); // 2 signatures × 2 secrets, no early exit
    } finally {
      spy.mock.restore();
    }
  });

  it('timestamp tolerance is 300 s in both directions (configurable)', async () => {
    await verifyDelivery(standardDelivery('servicenow', body, { timestamp: NOW_S - 300 }), defaultSecrets(), opts);
    await verifyDelivery(standardDelivery('servicenow', body, { timestamp: NOW_S + 300 }), defaultSecrets(), opts);
    await rejectsWith(
      verifyDelivery(standardDelivery('servicenow', body, { timestamp: NOW_S - 301 }), defaultSecrets(), opts),
      'stale-timestamp',
      'webhook-timestamp is 301 s old; at most 300 s is accepted',
    );
    await rejectsWith(
      verifyDelivery(standardDelivery('servicenow', body, { timestamp: NOW_S + 301 }), defaultSecrets(), opts),
      'stale-timestamp',
      'webhook-timestamp is 301 s in the future; at most 300 s is accepted',
    );
    await rejectsWith(
      verifyDelivery(standardDelivery('servicenow', body, { timestamp: NOW_S - 61 }), defaultSecrets(), {
        now: NOW,
        toleranceSeconds: 60,
      }),
      'stale-timestamp',
    );
  });

  it('replay: the same delivery verifies again inside the window (the dedupe store stops it) and not after', async () => {
    const d = standardDelivery('servicenow', body, { timestamp: NOW_S });
    await verifyDelivery(d, defaultSecrets(), opts);
    await verifyDelivery(d, defaultSecrets(), { now: new Date(NOW.getTime() + 299_000) });
    await rejectsWith(
      verifyDelivery(d, defaultSecrets(), { now: new Date(NOW.getTime() + 301_000) }),
      'stale-timestamp',
    );
  });

  it('a correctly signed non-UTF-8 body passes verification and is then refused by parseDelivery', async () => {
    const raw = Buffer.concat([
      Buffer.from('{"incidentId":"1","comment":"'),
      Buffer.from([0xc3, 0x28]),
      Buffer.from('"}'),
    ]);
    const d = standardDelivery('generic', raw);
    await verifyDelivery(d, defaultSecrets(), opts);
    assert.throws(
      () => parseDelivery(d, { source: 'generic', file: 'x', echoActors: new Set(), statusAliases: new Map() }),
      (e: unknown) => {
        assert.ok(e instanceof InputError);
        assert.equal(e.field, 'body');
        assert.equal(e.message, 'Body must be a JSON object');
        return true;
      },
    );
  });

  it('never puts a secret or the expected signature in the error', async () => {
    const d = standardDelivery('servicenow', body, { secret: 'whsec_' + Buffer.alloc(24, 9).toString('base64') });
    const expected = signStandardWebhook({
      id: d.headers['webhook-id'] ?? '',
      timestamp: Number(d.headers['webhook-timestamp']),
      body,
      secret: SECRETS.servicenow,
    });
    const e = await rejectsWith(verifyDelivery(d, defaultSecrets(), opts), 'bad-signature');
    const everything = `${e.message} ${e.stack ?? ''} ${JSON.stringify(e)}`;
    assert.ok(!everything.includes((expected['webhook-signature'] ?? '').slice(3)));
    assert.ok(!everything.includes(SECRETS.servicenow.slice(6)));
  });

  it('a whsec_ secret that is not base64 is a configuration error, without the value', async () => {
    await assert.rejects(
      verifyDelivery(standardDelivery('generic', '{}'), secretsOf({ generic: ['whsec_not base64!'] }), opts),
      (e: unknown) => {
        assert.ok(e instanceof ConfigError);
        assert.ok(!e.message.includes('not base64!'));
        return true;
      },
    );
  });
});

// Keeps the ServiceNow shipped mapping import honest: the fixture used above parses.
it('the Standard Webhooks fixture is a parseable ServiceNow delivery', async () => {
  const r = parseDelivery(
    standardDelivery('servicenow', fixture('servicenow-incident-resolved.json')),
    await shippedMapping('servicenow'),
  );
  assert.ok(!('ignored' in r));
});
