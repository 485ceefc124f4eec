// The alert recipe's content under DEFENDER_API=legacy through the Function host over HTTP: alerts are Graph only,
// so the content does not load and the run answers 500 CONFIG_INVALID naming the step and DEFENDER_API=graph —
// before any call to the API. (A file of its own: the host keeps one configuration per test process.)
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { alertRecipeContent } from './alertRecipeContent';
import { errorOf, startHarness, type Harness } from './harness';

let content: string;
let recipe: ReturnType<typeof alertRecipeContent> | undefined;

before(() => {
  recipe = alertRecipeContent();
  content = recipe.dir;
});
after(() => recipe?.remove());

describe('alert workflow over HTTP (legacy)', () => {
  let h: Harness;
  before(async () => {
    h = await startHarness({ api: 'legacy', settings: { CONTENT_DIR: content } });
  });
  after(async () => {
    await h?.close();
  });

  it('the content does not load: the run answers with the load problem, naming the step and DEFENDER_API=graph', async () => {
    const res = await h.call('POST', '/api/workflows/triage-incident-alerts/run', {
      body: { input: { incidentId: '3309' } },
    });
    assert.equal(res.status, 500, res.text);
    const e = errorOf(res);
    assert.equal(e.code, 'CONFIG_INVALID');
    assert.match(e.message, /listAlerts uses Microsoft Graph/);
    assert.equal(h.sandbox.control.counters().api.incidentsGet, 0, 'nothing was called');
  });
});
