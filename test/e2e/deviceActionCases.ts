// The device-actions recipe (docs/recipes.md, contain-hunted-devices) through the Function host, on one API per test
// process (deviceActions.test.ts: Graph, deviceActionsLegacy.test.ts: legacy): device ids from hunting results;
// over HTTP as Logic Apps calls it (dry run, real, re-run), from the workflow's timer, and asynchronously with the
// later check (the followDeviceAction queue function) writing the action's final status into the stored report.
// The sandbox's resulting state is checked: the device isolated, the scan finished, one POST per action.
import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';
import { devices } from '../../sandbox/seed/entities';
import type { RunReport } from '../../shared/engine';
import { deviceRecipeContent } from './deviceRecipeContent';
import { startHarness, toReply, type Harness } from './harness';

const [fin, , hr] = devices;
const RUN = '/api/workflows/contain-hunted-devices/run';

export function describeDeviceActions(api: 'graph' | 'legacy'): void {
  let h: Harness;
  let content: ReturnType<typeof deviceRecipeContent> | undefined;

  before(async () => {
    content = deviceRecipeContent();
    h = await startHarness({
      api,
      settings: { CONTENT_DIR: content.dir, DEVICE_ACTION_CHECK_SECONDS: '1' },
    });
  });
  after(async () => {
    await h?.close();
    content?.remove();
  });
  beforeEach(() => h.sandbox.control.reset());

  const posts = () => h.sandbox.control.requests().filter((r) => r.method === 'POST' && r.api === 'mde');
  const machine = (id: string) => h.sandbox.control.machines().find((m) => m.id === id);
  const changesOf = (report: RunReport, step: string) => report.steps.find((s) => s.id === step)?.changes ?? [];

  describe(`device actions over the ${api} API`, () => {
    it('HTTP: the dry run shows each POST and sends none; the real run isolates and scans once; a re-run posts nothing', async () => {
      const input = { watchedDevices: [fin.deviceName], wait: 20 };
      const dry = await h.call('POST', RUN, { body: { input, dryRun: true } });
      assert.equal(dry.status, 200, dry.text);
      const planned = changesOf(dry.json<RunReport>(), 'isolate');
      assert.deepEqual(
        planned.map((c) => [c.outcome, c.request?.method, c.request?.path]),
        [['wouldApply', 'POST', `/api/machines/${fin.deviceId}/isolate`]],
        'the hunt found the device with the recent beacon, by its DeviceId',
      );
      assert.equal((planned[0]?.request?.body as Record<string, string>).IsolationType, 'Full');
      assert.equal(posts().length, 0);

      const real = await h.call('POST', RUN, { body: { input } });
      assert.equal(real.status, 200, real.text);
      const report = real.json<RunReport>();
      assert.equal(changesOf(report, 'isolate')[0]?.machineAction?.status, 'Succeeded');
      assert.equal(changesOf(report, 'scan')[0]?.machineAction?.status, 'Succeeded');
      assert.equal(machine(fin.deviceId)?.isolation, 'Full');
      const scan = h.sandbox.control.machineActions().find((a) => a.type === 'RunAntiVirusScan');
      assert.equal(scan?.scope, 'Full');
      assert.equal(scan?.machineId, fin.deviceId);
      assert.deepEqual(
        posts().map((r) => r.status),
        [201, 201],
      );

      const again = await h.call('POST', RUN, { body: { input } });
      assert.equal(again.status, 200, again.text);
      assert.equal(changesOf(again.json<RunReport>(), 'isolate')[0]?.outcome, 'alreadyDone');
      assert.equal(posts().length, 2, 'a re-run sends no POST');
    });

    it("the workflow's timer isolates the device its hunt window finds", async () => {
      await h.host.invokeTimer('workflow-contain-hunted-devices');
      for (let i = 0; i < 100 && machine(fin.deviceId)?.isolation !== 'Full'; i++)
        await new Promise((r) => setTimeout(r, 100));
      assert.equal(machine(fin.deviceId)?.isolation, 'Full');
      const isolations = h.sandbox.control.machineActions().filter((a) => a.type === 'Isolate');
      assert.equal(isolations.length, 1);
      assert.match(isolations[0]?.requestorComment ?? '', /\(timer\).*\[riposte:[0-9a-f]{8}\]$/);
    });

    it('asynchronous run with wait 0: the report shows the action open; the later check writes its final status there', async () => {
      h.sandbox.control.setMachineActionMs(2500);
      const accepted = await h.call('POST', RUN, {
        body: { input: { watchedDevices: [hr.deviceName], lookback: '1d', wait: 0 } },
        headers: { Prefer: 'respond-async' },
      });
      assert.equal(accepted.status, 202, accepted.text);
      const location = accepted.headers.get('location') ?? '';
      const poll = async (): Promise<RunReport | undefined> => {
        const res = await fetch(location);
        const r = toReply(res, await res.text());
        return r.status === 202 ? undefined : r.json<RunReport>();
      };
      let report: RunReport | undefined;
      for (let i = 0; i < 300 && !report; i++) {
        report = await poll();
        if (!report) await new Promise((r) => setTimeout(r, 100));
      }
      assert.ok(report, 'the run finished');
      assert.equal(report.status, 'succeeded', JSON.stringify(report.error));
      const first = changesOf(report, 'isolate')[0]?.machineAction;
      assert.ok(first && ['Pending', 'InProgress'].includes(first.status), JSON.stringify(first));
      let final = first.status;
      for (let i = 0; i < 300 && final !== 'Succeeded'; i++) {
        await new Promise((r) => setTimeout(r, 100));
        final = (await poll())?.steps.find((s) => s.id === 'isolate')?.changes[0]?.machineAction?.status ?? final;
      }
      assert.equal(final, 'Succeeded', 'the later check recorded the outcome in the report');
      assert.equal(machine(hr.deviceId)?.isolation, 'Full');
      const logged = () =>
        h.logs.some((l) => l.includes('followDeviceAction') && l.includes('[device] action finished'));
      // The report is written before the line is logged: give the host's log a moment to arrive.
      for (let i = 0; i < 50 && !logged(); i++) await new Promise((r) => setTimeout(r, 100));
      assert.ok(logged(), 'the queue function recorded it');
    });
  });
}
