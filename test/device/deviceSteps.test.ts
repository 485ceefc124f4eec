// The device-action steps through the real engine, the real MDE client over TLS and the sandbox's MDE API (issue 14
// item 2): device ids from incident evidence and hunting results, dry run showing the exact request, the action
// followed to its end within `wait`, once-only (write guard, the marker in Comment, adoption of an open action,
// the API's 400 ActiveRequestAlreadyExists), failures typed, and the later check recording an outcome in storage
// and in the asynchronous run's stored report.
import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';
import { startSandbox, type Sandbox } from '../../sandbox/index';
import { devices } from '../../sandbox/seed/entities';
import type { MessageQueue } from '../../shared/automation/ticketQueue';
import { runWorkflow, type EngineDeps } from '../../shared/engine';
import {
  checkDeviceAction,
  createActionFollowUps,
  type DeviceActionRecord,
  type DeviceActionStore,
} from '../../shared/mde/actionFollowUp';
import { createMachineActionsClient } from '../../shared/mde/machineActionsClient';
import { createQueryLibrary } from '../../shared/queries';
import { createMemoryStateStore } from '../../shared/state/memoryState';
import type { StateStore } from '../../shared/state/types';
import { silentLogger } from '../../shared/logger';
import { parseWorkflow, WorkflowError } from '../../shared/workflows';
import { sandboxDeps } from '../integration/sandboxDeps';

let sb: Sandbox;
const [fin, , hr, mac] = devices;

before(async () => {
  sb = await startSandbox({ rateLimits: false, machineActionMs: 400 });
});
after(() => sb?.close());
beforeEach(() => sb.control.reset());

const queries = createQueryLibrary([]);

const ISOLATE = `
name: isolate-test
triggers: { http: true }
input:
  deviceId: { type: string }
  deviceName: { type: string }
  wait: { type: integer, default: 20 }
steps:
  - id: isolate
    kind: isolateDevice
    approval: none
    input:
      deviceId: \${ $input.deviceId }
      deviceName: \${ $input.deviceName }
      comment: Isolated by Riposte test
      wait: \${ $input.wait }
`;

interface Memory {
  records: Map<string, { record: DeviceActionRecord; etag: string }>;
  sent: { message: unknown; delayMs: number | undefined }[];
  store: DeviceActionStore;
  queue: MessageQueue;
}

/** The follow-up's storage in memory (ETags included), to drive the later check by hand. */
function memory(): Memory {
  const records = new Map<string, { record: DeviceActionRecord; etag: string }>();
  let n = 0;
  const sent: Memory['sent'] = [];
  return {
    records,
    sent,
    store: {
      get: async (m, a) => structuredClone(records.get(`${m}/${a}`)),
      create: async (r) => {
        if (records.has(`${r.machineId}/${r.actionId}`)) return false;
        records.set(`${r.machineId}/${r.actionId}`, { record: structuredClone(r), etag: String(++n) });
        return true;
      },
      replace: async (r, etag) => {
        const cur = records.get(`${r.machineId}/${r.actionId}`);
        if (!cur || cur.etag !== etag) return false;
        records.set(`${r.machineId}/${r.actionId}`, { record: structuredClone(r), etag: String(++n) });
        return true;
      },
    },
    queue: {
      send: async (message, o) => void sent.push({ message, delayMs: o?.delayMs }),
      sendPoison: async () => undefined,
    },
  };
}

function deps(o: { state?: StateStore; api?: 'graph' | 'legacy'; mem?: Memory } = {}): EngineDeps {
  const app = sandboxDeps(sb, o.api ?? 'graph');
  return {
    defender: app.defender,
    apis: app.apis,
    queries,
    state: o.state ?? createMemoryStateStore(),
    ...(o.mem
      ? { followUps: createActionFollowUps({ store: o.mem.store, queue: o.mem.queue, firstCheckMs: 1000 }) }
      : {}),
  };
}

function run(yaml: string, input: unknown, d: EngineDeps, o: { dryRun?: boolean; runId?: string } = {}) {
  const wf = parseWorkflow(yaml, 'test.yaml', queries, { backend: 'graph' });
  return runWorkflow(
    wf,
    { trigger: 'http', input, dryRun: o.dryRun ?? false, ...(o.runId ? { runId: o.runId } : {}) },
    d,
  );
}

const posts = () => sb.control.requests().filter((r) => r.method === 'POST' && r.api === 'mde');
const machine = (id: string) => sb.control.machines().find((m) => m.id === id);

describe('device-action steps', () => {
  for (const api of ['graph', 'legacy'] as const) {
    it(`DEFENDER_API=${api}: isolates, follows the action to Succeeded within the run; the device is isolated`, async () => {
      const report = await run(ISOLATE, { deviceId: fin.deviceId }, deps({ api }));
      assert.equal(report.status, 'succeeded', JSON.stringify(report.error));
      const step = report.steps[0];
      const change = step?.changes[0];
      assert.equal(change?.outcome, 'applied');
      assert.deepEqual(change?.target, { kind: 'device', id: fin.deviceId });
      assert.equal(change?.machineAction?.status, 'Succeeded');
      assert.equal(change?.request?.path, `/api/machines/${fin.deviceId}/isolate`);
      assert.match(
        String((change?.request?.body as { Comment: string }).Comment),
        /^Isolated by Riposte test — \[riposte:[0-9a-f]{8}\]$/,
      );
      assert.equal(machine(fin.deviceId)?.isolation, 'Full');
      assert.equal(posts().length, 1);
    });
  }

  it('dry run shows method, path and body and posts nothing', async () => {
    const report = await run(ISOLATE, { deviceName: hr.deviceName }, deps(), { dryRun: true });
    assert.equal(report.status, 'succeeded');
    const change = report.steps[0]?.changes[0];
    assert.equal(change?.outcome, 'wouldApply');
    assert.equal(change?.request?.method, 'POST');
    assert.equal(change?.request?.path, `/api/machines/${hr.deviceId}/isolate`);
    assert.equal((change?.request?.body as Record<string, string>).IsolationType, 'Full');
    assert.equal(posts().length, 0);
    assert.equal(sb.control.machineActions().length, 0);
  });

  it('once only: a re-run does not post again, with the write record (alreadyDone) or without it (the marker)', async () => {
    const state = createMemoryStateStore();
    await run(ISOLATE, { deviceId: fin.deviceId }, deps({ state }));
    const again = await run(ISOLATE, { deviceId: fin.deviceId }, deps({ state }));
    assert.equal(again.steps[0]?.changes[0]?.outcome, 'alreadyDone');
    // A fresh state store (its record lost): the device's actions show this write's marked Comment.
    const fresh = await run(ISOLATE, { deviceId: fin.deviceId }, deps());
    assert.equal(fresh.steps[0]?.changes[0]?.outcome, 'alreadyDone');
    assert.equal(fresh.steps[0]?.changes[0]?.machineAction?.status, 'Succeeded');
    assert.equal(posts().length, 1, 'one POST in three runs');
  });

  it('adopts an open action of the same type on the device instead of posting a duplicate (#5903)', async () => {
    sb.control.setMachineActionMs(60_000);
    const client = createMachineActionsClient(sandboxDeps(sb).apis.mde);
    const theirs = await client.requestAction(fin.deviceId, { type: 'Isolate', isolationType: 'Full' }, 'by the SOC');
    const report = await run(ISOLATE, { deviceId: fin.deviceId, wait: 0 }, deps());
    const change = report.steps[0]?.changes[0];
    assert.equal(change?.outcome, 'unchanged');
    assert.equal(change?.machineAction?.id, theirs.id);
    assert.equal(posts().length, 1, 'only the SOC request');
  });

  it("adopts the pending action on the API's 400 ActiveRequestAlreadyExists, never retrying blindly", async () => {
    sb.control.setMachineActionMs(60_000);
    const client = createMachineActionsClient(sandboxDeps(sb).apis.mde);
    // The racing client holds its token before the race starts, so its POST needs one round trip, not a token first.
    await client.getMachine(fin.deviceId);
    // The step's POST is held 3 s; meanwhile another request isolates the device, so the POST meets a duplicate.
    sb.control.injectFaults({ target: 'machineActions', method: 'POST', delayMs: 3000, count: 1 });
    const running = run(ISOLATE, { deviceId: fin.deviceId, wait: 0 }, deps());
    while (sb.control.counters().api.mdeIsolate === 0) await new Promise((r) => setTimeout(r, 20));
    const theirs = await client.requestAction(fin.deviceId, { type: 'Isolate', isolationType: 'Full' }, 'racing');
    const report = await running;
    assert.equal(report.status, 'succeeded', JSON.stringify(report.error));
    assert.equal(report.steps[0]?.changes[0]?.machineAction?.id, theirs.id);
    const statuses = posts()
      .map((r) => r.status)
      .sort();
    assert.deepEqual(statuses, [201, 400], 'the refused POST was not sent again');
  });

  it('a device action that ends Failed fails the step with DEVICE_ACTION_FAILED; the report keeps the request', async () => {
    sb.control.setMachineActionOutcome(fin.deviceId, 'Failed');
    const report = await run(ISOLATE, { deviceId: fin.deviceId }, deps());
    assert.equal(report.status, 'failed');
    assert.equal(report.error?.code, 'DEVICE_ACTION_FAILED');
    assert.equal(report.steps[0]?.changes[0]?.machineAction?.status, 'Failed');
    assert.equal(machine(fin.deviceId)?.isolation, null);
  });

  it('an unsupported platform is the API refusing the request (422 DEFENDER_HTTP), nothing posted twice', async () => {
    const yaml = ISOLATE.replace('comment: Isolated', 'isolationType: Selective\n      comment: Isolated');
    const report = await run(yaml, { deviceId: mac.deviceId }, deps());
    assert.equal(report.status, 'failed');
    assert.equal(report.error?.code, 'DEFENDER_HTTP');
    assert.equal(report.error?.upstreamStatus, 400);
    assert.match(report.error?.message ?? '', /OsPlatformNotSupported/);
    assert.equal(posts().length, 1);
  });

  it('an action still open after `wait` is recorded and its later check records the final outcome in the run report', async () => {
    sb.control.setMachineActionMs(1500);
    const mem = memory();
    const state = createMemoryStateStore();
    const runId = '5d1c2b3a-4e5f-4a6b-8c7d-9e0f1a2b3c4d';
    const d = deps({ state, mem });
    const report = await run(ISOLATE, { deviceId: fin.deviceId, wait: 0 }, d, { runId });
    const change = report.steps[0]?.changes[0];
    assert.equal(change?.machineAction?.status, 'Pending');
    const output = report.steps[0];
    assert.ok(output);
    assert.equal(mem.sent.length, 1, 'one check queued');
    assert.equal(mem.sent[0]?.delayMs, 1000);
    const [tracked] = [...mem.records.values()];
    assert.equal(tracked?.record.runId, runId);
    assert.equal(tracked?.record.status, 'Pending');
    // Store the run as an asynchronous run's finished report, as continueAsyncRun does.
    const at = new Date().toISOString();
    await state.createRun({
      runId,
      workflow: 'isolate-test',
      tokenHash: '0'.repeat(64),
      state: 'done',
      request: '{}',
      handoff: '{}',
      attempts: 1,
      createdAt: at,
      updatedAt: at,
      expiresAt: new Date(Date.now() + 3_600_000).toISOString(),
      response: { status: 200, headers: {}, body: JSON.stringify(report) },
    });
    const check = () =>
      checkDeviceAction(mem.sent.at(-1)?.message, {
        store: mem.store,
        queue: mem.queue,
        client: createMachineActionsClient(sandboxDeps(sb).apis.mde),
        state,
        firstCheckMs: 1000,
        logger: silentLogger,
      });
    let outcome = await check();
    for (let i = 0; outcome.status === 'open' && i < 50; i++) {
      await new Promise((r) => setTimeout(r, 100));
      outcome = await check();
    }
    assert.deepEqual(outcome, { status: 'final', actionStatus: 'Succeeded', reported: true });
    const record = [...mem.records.values()][0]?.record;
    assert.equal(record?.status, 'Succeeded');
    assert.ok(record?.finishedAt);
    const stored = JSON.parse((await state.getRun(runId))?.record.response?.body ?? '{}') as typeof report;
    assert.equal(stored.steps[0]?.changes[0]?.machineAction?.status, 'Succeeded');
    assert.equal(machine(fin.deviceId)?.isolation, 'Full');
    assert.equal((await check()).status, 'skipped', 'a duplicate message changes nothing');
  });

  it('takes device ids from incident evidence (mdeDeviceId) and scans each device once', async () => {
    const incident = sb.control
      .incidents()
      .find((i) => i.alerts.some((a) => a.evidence.some((e) => e.kind === 'device' && e.mdeDeviceId === hr.deviceId)));
    assert.ok(incident, 'a seeded incident with ws-hr-007 as device evidence');
    const yaml = `
name: scan-evidence
triggers: { http: true }
input:
  incidentId: { type: string, required: true }
steps:
  - id: inc
    kind: getIncident
    input: { incidentId: '\${ $input.incidentId }' }
  - id: each
    kind: forEach
    input:
      items: "\${ [$steps.inc.evidence.devices[osPlatform in ['Windows10', 'Windows11']].mdeDeviceId] }"
      steps:
        - id: scan
          kind: runAntivirusScan
          input: { deviceId: '\${ $item }', scanType: Full, comment: Evidence scan, wait: 10 }
`;
    const report = await run(yaml, { incidentId: String(incident.id) }, deps());
    assert.equal(report.status, 'succeeded', JSON.stringify(report.error));
    const scans = sb.control.machineActions().filter((a) => a.type === 'RunAntiVirusScan');
    assert.ok(scans.some((a) => a.machineId === hr.deviceId && a.scope === 'Full' && a.status === 'Succeeded'));
  });

  it('refuses bad input at load and at run time, naming the field', async () => {
    assert.throws(
      () =>
        parseWorkflow(
          ISOLATE.replace('comment: Isolated by Riposte test', 'isolationType: Partial\n      comment: x'),
          't.yaml',
          queries,
          { backend: 'graph' },
        ),
      (e: unknown) => e instanceof WorkflowError && /isolationType/.test(e.message),
    );
    const report = await run(ISOLATE, { deviceId: 'not-a-machine-id' }, deps());
    assert.equal(report.error?.code, 'INPUT_INVALID');
    assert.match(report.error?.field ?? '', /deviceId/);
    const both = await run(ISOLATE, { deviceId: fin.deviceId, deviceName: fin.deviceName }, deps());
    assert.equal(both.error?.code, 'INPUT_INVALID');
  });
});
