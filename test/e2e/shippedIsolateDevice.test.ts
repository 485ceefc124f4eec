// The shipped workflow workflows/isolate-device-on-high-severity.yaml through the Function host over HTTP, as a Logic
// Apps automation calls it for a high-severity incident: the run parks at the isolation (202, an approval card in
// Teams); approving on the link page resumes it from the queue; the sandbox shows the device isolated and scanned,
// the incident commented once and the SOC channel told. A medium incident stops before any device action.
import assert from 'node:assert/strict';
import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { devices } from '../../sandbox/seed/entities';
import type { RunReport } from '../../shared/engine';
import { isRiposteComment } from '../../shared/steps';
import { approvalLinks, setUpTeams, TEAMS_SECRET } from '../approval/approvalContent';
import { REPO, startHarness, type Harness } from './harness';

const fin = devices[0];
let dir: string;
let h: Harness;

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'riposte-shipped-isolate-'));
  for (const d of ['queries', 'mappings', 'workflows']) cpSync(join(REPO, d), join(dir, d), { recursive: true });
  h = await startHarness({
    settings: {
      CONTENT_DIR: dir,
      APPROVAL_TEAMS_SECRET_NAME: TEAMS_SECRET,
      TEAMS_WEBHOOK_SECRET_NAME: TEAMS_SECRET,
      DEVICE_ACTION_CHECK_SECONDS: '1',
    },
  });
  setUpTeams(h.sandbox);
});
after(async () => {
  await h?.close();
  rmSync(dir, { recursive: true, force: true });
});

const RUN = '/api/workflows/isolate-device-on-high-severity/run';

async function poll(location: string): Promise<RunReport> {
  for (let i = 0; i < 600; i++) {
    const res = await fetch(location);
    const text = await res.text();
    if (res.status !== 202) {
      assert.equal(res.status, 200, text);
      return JSON.parse(text) as RunReport;
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error('the run never finished');
}

describe('shipped workflow isolate-device-on-high-severity', () => {
  it('a medium incident stops before any device action', async () => {
    const r = await h.call('POST', RUN, { body: { input: { incidentId: '3312' } } });
    assert.equal(r.status, 200, r.text);
    assert.equal(r.json<RunReport>().status, 'stopped');
    assert.equal(h.sandbox.control.machineActions().length, 0);
  });

  it('high incident 3309: parks for approval, then isolates and scans ws-fin-042, comments once and tells Teams', async () => {
    const r = await h.call('POST', RUN, { body: { input: { incidentId: '3309', wait: 20 } } });
    assert.equal(r.status, 202, r.text);
    const parked = r.json<{ approvals: { id: string; action: string; state: string }[] }>();
    assert.equal(parked.approvals[0]?.action, 'isolate device');
    assert.equal(h.sandbox.control.machineActions().length, 0, 'nothing happens before the approval');
    const link = new URL(approvalLinks(h.sandbox).at(-1) ?? '', h.host.url);
    const decided = await fetch(`${h.host.url}/api/approvals/${parked.approvals[0]?.id}/decision`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({
        token: link.searchParams.get('token') ?? '',
        decision: 'approve',
        approver: 'Ana Analyst',
      }).toString(),
    });
    assert.equal(decided.status, 200, await decided.text());

    const report = await poll(r.headers.get('location') ?? '');
    assert.equal(report.status, 'succeeded', JSON.stringify(report.error));
    const machine = h.sandbox.control.machines().find((m) => m.id === fin.deviceId);
    assert.equal(machine?.isolation, 'Full');
    const actions = h.sandbox.control.machineActions();
    assert.deepEqual(actions.map((a) => [a.type, a.status]).sort(), [
      ['Isolate', 'Succeeded'],
      ['RunAntiVirusScan', 'Succeeded'],
    ]);
    const comments = h.sandbox.control.incident(3309)?.comments.filter((c) => isRiposteComment(c.comment)) ?? [];
    assert.equal(comments.filter((c) => c.comment.includes('Riposte isolated and scanned')).length, 1);
    const told = h.sandbox.control
      .teamsDeliveries()
      .some((d) => JSON.stringify(d.cards).includes('Devices isolated for incident 3309'));
    assert.ok(told, 'the SOC channel got the message');
  });
});
