// The Standard Webhooks reference test vectors (fixtures/standard-webhooks/test-vectors.json) through Riposte's
// verifier, for both sources that speak Standard Webhooks (generic and servicenow): each vector verifies at its own
// time, and the spec libraries' negative cases are refused (a changed last character, a bare `v1,`).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { verifyDelivery, WebhookAuthError, type RawDelivery } from '../../shared/webhooks';
import { fixtureJson } from './fixtures';

interface Vector {
  secret: string;
  id: string;
  timestamp: number;
  body: string;
  signature: string;
}

const VECTORS = fixtureJson<Vector[]>('standard-webhooks/test-vectors.json');

function delivery(source: string, v: Vector, signature = v.signature): RawDelivery {
  return {
    source,
    headers: {
      'content-type': 'application/json',
      'webhook-id': v.id,
      'webhook-timestamp': String(v.timestamp),
      'webhook-signature': signature,
    },
    body: Buffer.from(v.body, 'utf8'),
    receivedAt: new Date(v.timestamp * 1000),
  };
}

const secretsOf = (secret: string) => ({ get: async () => [secret] });
const at = (v: Vector) => ({ now: new Date(v.timestamp * 1000) });

async function refused(p: Promise<unknown>): Promise<WebhookAuthError> {
  try {
    await p;
  } catch (e) {
    assert.ok(e instanceof WebhookAuthError, `expected a WebhookAuthError, got ${String(e)}`);
    assert.equal(e.status, 401);
    return e;
  }
  assert.fail('the delivery was accepted');
}

for (const source of ['generic', 'servicenow']) {
  describe(`Standard Webhooks test vectors, ${source} source`, () => {
    VECTORS.forEach((v, i) => {
      it(`vector ${i + 1} (${v.id}) verifies`, async () => {
        await verifyDelivery(delivery(source, v), secretsOf(v.secret), at(v));
      });

      it(`vector ${i + 1} verifies among several signatures, as during a key rotation`, async () => {
        const other = 'v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OA=';
        await verifyDelivery(delivery(source, v, `${other} ${v.signature}`), secretsOf(v.secret), at(v));
      });
    });

    it('refuses vector 1 with the last character of its signature changed', async () => {
      const v = VECTORS[0]!;
      const e = await refused(
        verifyDelivery(
          delivery(source, v, 'v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OA='),
          secretsOf(v.secret),
          at(v),
        ),
      );
      assert.equal(e.reason, 'bad-signature');
    });

    it('refuses a partial signature (`v1,` alone)', async () => {
      const v = VECTORS[0]!;
      await refused(verifyDelivery(delivery(source, v, 'v1,'), secretsOf(v.secret), at(v)));
    });

    it('refuses vector 1 with one byte of the body changed', async () => {
      const v = VECTORS[0]!;
      await refused(
        verifyDelivery(
          { ...delivery(source, v), body: Buffer.from(v.body.replace('4}', '5}')) },
          secretsOf(v.secret),
          at(v),
        ),
      );
    });

    it('refuses vector 2 signed for vector 1 (the id and timestamp are signed)', async () => {
      const [v1, v2] = [VECTORS[0]!, VECTORS[1]!];
      await refused(verifyDelivery(delivery(source, v2, v1.signature), secretsOf(v2.secret), at(v2)));
    });

    it('refuses vector 1 more than five minutes after its timestamp (the reference libraries’ tolerance)', async () => {
      const v = VECTORS[0]!;
      const e = await refused(
        verifyDelivery(delivery(source, v), secretsOf(v.secret), { now: new Date((v.timestamp + 301) * 1000) }),
      );
      assert.equal(e.reason, 'stale-timestamp');
    });
  });
}
