// The Defender for Endpoint machine-actions client against the sandbox's MDE API over TLS with the real composition
// root (response-actions.md §1, §4, §7.1): the exact POST bodies (case-sensitive names), the lifecycle read back,
// the documented errors branched on their code (ActiveRequestAlreadyExists, OsPlatformNotSupported, ResourceNotFound)
// with the tracking `target` kept, device resolution, the MDE token audience, no retry of a POST whose answer was
// lost, and the machineActions quota family against a 429 with Retry-After.
import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';
import { startSandbox, type Sandbox } from '../../sandbox/index';
import { devices } from '../../sandbox/seed/entities';
import { DefenderApiError } from '../../shared/errors';
import { createDefenderHttp } from '../../shared/http/defenderHttp';
import { createHttpsAgent, loadCaBundle } from '../../shared/http/tls';
import { httpStatusFor } from '../../shared/httpStatus';
import {
  createMachineActionsClient,
  isAlreadyInProgress,
  plannedRequest,
  type MachineActionsClient,
} from '../../shared/mde/machineActionsClient';
import { resolveDevice } from '../../shared/mde/resolveDevice';
import { failure, sandboxDeps } from '../integration/sandboxDeps';

let sb: Sandbox;
const [fin, srv, hr, mac] = devices;

before(async () => {
  sb = await startSandbox({ rateLimitScale: 0.5, machineActionMs: 300 });
});
after(() => sb?.close());
beforeEach(() => sb.control.reset());

const clientFor = (api: 'graph' | 'legacy' = 'graph', env: Record<string, string> = {}) => {
  const deps = sandboxDeps(sb, api, env);
  return { deps, client: createMachineActionsClient(deps.apis.mde) };
};

const until = async (client: MachineActionsClient, id: string, status: string): Promise<void> => {
  for (let i = 0; i < 100; i++) {
    if ((await client.getAction(id)).status === status) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  assert.fail(`action ${id} never reached ${status}`);
};

describe('MDE machine-actions client', () => {
  it('plans each documented POST with case-sensitive body names (response-actions.md §1.2 examples)', () => {
    const id = fin.deviceId;
    assert.deepEqual(plannedRequest(id, { type: 'Isolate', isolationType: 'Full' }, 'c'), {
      method: 'POST',
      path: `/api/machines/${id}/isolate`,
      body: { Comment: 'c', IsolationType: 'Full' },
    });
    assert.deepEqual(plannedRequest(id, { type: 'RunAntiVirusScan', scanType: 'Quick' }, 'c').body, {
      Comment: 'c',
      ScanType: 'Quick',
    });
    assert.deepEqual(plannedRequest(id, { type: 'StopAndQuarantineFile', sha1: 'ab'.repeat(20) }, 'c'), {
      method: 'POST',
      path: `/api/machines/${id}/StopAndQuarantineFile`,
      body: { Comment: 'c', Sha1: 'ab'.repeat(20) },
    });
    assert.equal(plannedRequest(id, { type: 'Unisolate' }, 'c').path, `/api/machines/${id}/unisolate`);
    assert.equal(
      plannedRequest(id, { type: 'RestrictCodeExecution' }, 'c').path,
      `/api/machines/${id}/restrictCodeExecution`,
    );
  });

  for (const api of ['graph', 'legacy'] as const) {
    it(`isolates on DEFENDER_API=${api}: 201 Pending, then InProgress, then Succeeded; the device is isolated`, async () => {
      const { client } = clientFor(api);
      const action = await client.requestAction(fin.deviceId, { type: 'Isolate', isolationType: 'Selective' }, 'test');
      assert.equal(action.status, 'Pending');
      assert.equal(action.type, 'Isolate');
      assert.equal(action.scope, 'Selective');
      assert.equal(action.machineId, fin.deviceId);
      assert.equal(action.requestorComment, 'test');
      await until(client, action.id, 'Succeeded');
      assert.equal(sb.control.machines().find((m) => m.id === fin.deviceId)?.isolation, 'Selective');
      const listed = await client.listActions(fin.deviceId, 'Isolate');
      assert.deepEqual(
        listed.map((a) => [a.id, a.status]),
        [[action.id, 'Succeeded']],
      );
      const mdeCalls = sb.control.requests().filter((r) => r.api === 'mde');
      assert.ok(mdeCalls.length >= 3 && mdeCalls.every((r) => r.status < 300), JSON.stringify(mdeCalls));
    });
  }

  it('a second request while one is open: 400 ActiveRequestAlreadyExists, recognised, tracking target kept', async () => {
    const { client } = clientFor();
    await client.requestAction(hr.deviceId, { type: 'RunAntiVirusScan', scanType: 'Full' }, 'first');
    const e = await failure(
      client.requestAction(hr.deviceId, { type: 'RunAntiVirusScan', scanType: 'Quick' }, 'again'),
    );
    assert.ok(e instanceof DefenderApiError);
    assert.equal(e.status, 400);
    assert.equal(e.apiCode, 'ActiveRequestAlreadyExists');
    assert.match(e.requestId ?? '', /^\|[0-9a-f]{8}-[0-9a-f]{16}\.$/, 'the envelope target, to quote to support');
    assert.ok(isAlreadyInProgress(e));
    const scans = sb.control.requests().filter((r) => r.method === 'POST' && r.path.includes('runAntiVirusScan'));
    assert.equal(scans.length, 2, 'the refused POST is not retried');
  });

  it('maps the documented refusals: OsPlatformNotSupported (422), ResourceNotFound (404), wrong-case name (422)', async () => {
    const { deps, client } = clientFor();
    const os = await failure(client.requestAction(mac.deviceId, { type: 'RestrictCodeExecution' }, 'x'));
    assert.ok(os instanceof DefenderApiError && os.apiCode === 'OsPlatformNotSupported' && os.status === 400);
    assert.equal(httpStatusFor({ code: os.code, upstreamStatus: os.status }).status, 422);
    const gone = await failure(client.requestAction('ab'.repeat(20), { type: 'Unisolate' }, 'x'));
    assert.ok(gone instanceof DefenderApiError && gone.status === 404 && gone.apiCode === 'ResourceNotFound');
    // The body names are case-sensitive (response-actions.md §7.1): `comment` is refused, never read as Comment.
    const wrongCase = await failure(
      deps.apis.mde.request({
        method: 'POST',
        path: `/api/machines/${fin.deviceId}/unisolate`,
        data: { comment: 'lower case' },
        family: 'machineActions',
        idempotent: false,
      }),
    );
    assert.ok(wrongCase instanceof DefenderApiError && wrongCase.apiCode === 'InvalidRequestBody');
    assert.equal(sb.control.machineActions().length, 0);
  });

  it('resolves devices by id, name and Entra device id, as hunting rows and evidence give them', async () => {
    const { client } = clientFor();
    const byId = await resolveDevice(client, { deviceId: srv.deviceId });
    assert.equal(byId.machine.computerDnsName, srv.deviceName);
    const byName = await resolveDevice(client, { deviceName: hr.deviceName });
    assert.equal(byName.machine.id, hr.deviceId);
    assert.ok(fin.aadDeviceId);
    const byAad = await resolveDevice(client, { aadDeviceId: fin.aadDeviceId });
    assert.equal(byAad.machine.id, fin.deviceId);
    const none = await failure(resolveDevice(client, { deviceName: 'nope.contoso.local' }));
    assert.ok(none instanceof Error && /no Defender for Endpoint device is named/.test(none.message));
  });

  it('a POST whose connection drops is not sent again (not idempotent)', async () => {
    const { client } = clientFor();
    sb.control.injectFaults({ target: 'machineActions', method: 'POST', outage: true, count: 1 });
    const e = await failure(client.requestAction(fin.deviceId, { type: 'CollectInvestigationPackage' }, 'x'));
    assert.ok(e instanceof DefenderApiError && e.status === undefined);
    const posts = sb.control.requests().filter((r) => r.method === 'POST' && r.api === 'mde');
    assert.equal(posts.length, 1);
  });

  it('a 429 with Retry-After is waited out and retried (the server refused it), under the machineActions family', async () => {
    const { deps, client } = clientFor();
    sb.control.injectFaults({ target: 'machineActions', status: 429, retryAfterSeconds: 1, count: 1 });
    const action = await client.requestAction(fin.deviceId, { type: 'Unisolate' }, 'x');
    assert.equal(action.type, 'Unisolate');
    assert.ok(deps.sleeps.includes(1000), `waited as asked: ${deps.sleeps.join(',')}`);
    const posts = sb.control.requests().filter((r) => r.method === 'POST' && r.api === 'mde');
    assert.deepEqual(
      posts.map((r) => r.status),
      [429, 201],
    );
  });

  it('the sandbox MDE API refuses a Graph token (each API checks its own audience)', async () => {
    const { deps } = clientFor();
    const graphToken = await deps.tokens.getToken(deps.config.apis.graph.scope);
    const http = createDefenderHttp({
      baseURL: sb.url,
      getToken: async () => graphToken,
      invalidateToken: () => undefined,
      limiters: deps.limiters,
      timeoutMs: 5000,
      maxRetries: 0,
      maxRetryAfterMs: 1000,
      httpsAgent: createHttpsAgent(loadCaBundle(sb.caFile)),
    });
    const wrong = await failure(
      http.request({ method: 'GET', path: `/api/machines/${fin.deviceId}`, family: 'machineActions' }),
    );
    assert.ok(wrong instanceof DefenderApiError && wrong.status === 401, String(wrong));
    assert.match(wrong.message, /Invalid audience/);
  });

  it('DEFENDER_CLOUD=gcc-high sends MDE calls with the gov audience (the sandbox accepts it as the MDE API)', async () => {
    const { deps, client } = clientFor('legacy', { DEFENDER_CLOUD: 'gcc-high' });
    assert.equal(deps.config.apis.mde.scope, 'https://api-gov.securitycenter.microsoft.us/.default');
    const m = await client.getMachine(fin.deviceId);
    assert.equal(m.id, fin.deviceId);
    const last = sb.control.issuedTokens().at(-1) ?? '';
    const aud = (JSON.parse(Buffer.from(last.split('.')[1] ?? '', 'base64url').toString()) as { aud: string }).aud;
    assert.equal(aud, 'https://api-gov.securitycenter.microsoft.us');
  });
});
