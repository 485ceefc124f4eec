// The alert recipe's content under DEFENDER_API=legacy through the Function host over HTTP: alerts are Graph only,
// so the content does not load and the run answers 500 CONFIG_INVALID naming the step and DEFENDER_API=graph —
// before any call to the API. (A file of its own: the host keeps one configuration per test process.)
import assert from 'node:assert/strict';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { errorOf, startHarness, type Harness } from './harness';

const REPO = join(__dirname, '..', '..');
let content: string;

before(() => {
  content = mkdtempSync(join(tmpdir(), 'riposte-e2e-alerts-'));
  const doc = readFileSync(join(REPO, 'docs', 'recipes.md'), 'utf8');
  const yaml = /```yaml\n(# workflows\/triage-incident-alerts\.yaml[\s\S]*?)```/.exec(doc)?.[1];
  assert.ok(yaml);
  cpSync(join(REPO, 'queries'), join(content, 'queries'), { recursive: true });
  cpSync(join(REPO, 'mappings'), join(content, 'mappings'), { recursive: true });
  mkdirSync(join(content, 'workflows'));
  writeFileSync(join(content, 'workflows', 'triage-incident-alerts.yaml'), yaml);
});
after(() => rmSync(content, { recursive: true, force: true }));

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
