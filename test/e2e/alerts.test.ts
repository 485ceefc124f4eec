// The alert recipe (docs/recipes.md) through the Function host over HTTP, as Logic Apps calls it: POST
// /api/workflows/{name}/run, dry run then real, on Graph; the alerts in the sandbox change once; a re-run sends nothing.
// alertsLegacy.test.ts: the same content under DEFENDER_API=legacy (one host configuration per test process).
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { RunReport } from '../../shared/engine';
import { isRiposteComment } from '../../shared/steps';
import { alertRecipeContent } from './alertRecipeContent';
import { startHarness, type Harness } from './harness';

let content: string;
let recipe: ReturnType<typeof alertRecipeContent> | undefined;

before(() => {
  recipe = alertRecipeContent();
  content = recipe.dir;
});
after(() => recipe?.remove());

describe('alert workflow over HTTP (Graph)', () => {
  let h: Harness;
  before(async () => {
    h = await startHarness({ settings: { CONTENT_DIR: content } });
  });
  after(async () => {
    await h?.close();
  });

  it('dry run reports the PATCHes; the real run changes each new alert once; a re-run sends nothing', async () => {
    const incident = h.sandbox.control.incident(3309);
    const fresh = incident?.alerts.filter((a) => a.status === 'new') ?? [];
    assert.ok(fresh.length > 0);
    const run = (dryRun: boolean) =>
      h.call('POST', '/api/workflows/triage-incident-alerts/run', { body: { input: { incidentId: '3309' }, dryRun } });
    const dry = await run(true);
    assert.equal(dry.status, 200, dry.text);
    const dryReport = dry.json<RunReport>();
    assert.deepEqual(
      dryReport.steps.find((s) => s.id === 'take')?.changes.map((c) => [c.alertId, c.outcome]),
      fresh.map((a) => [a.id, 'wouldApply']),
    );
    assert.deepEqual(h.sandbox.control.incident(3309)?.alerts, incident?.alerts, 'the dry run changed nothing');

    const real = await run(false);
    assert.equal(real.status, 200, real.text);
    for (const a of fresh) {
      const now = h.sandbox.control.incident(3309)?.alerts.find((x) => x.id === a.id);
      assert.equal(now?.status, 'inProgress');
      assert.equal(now?.assignedTo, 'tier2@contoso.com');
      assert.equal(now?.comments.filter((c) => isRiposteComment(c.comment)).length, 1);
    }
    const writes = () => h.sandbox.control.counters().api.alertsUpdate + h.sandbox.control.counters().api.alertComments;
    const sent = writes();
    assert.equal((await run(false)).status, 200);
    assert.equal(writes(), sent, 'a re-run sends nothing');
  });
});
