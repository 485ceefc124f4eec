// The alert recipe (docs/recipes.md) as a user runs it: `riposte run` against the sandbox it starts, Graph by
// default — dry run reports each alert's exact PATCH and marked comment; with --api legacy the content does not load
// and the CLI says why (alerts are Graph only) instead of failing at the first alert call.
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { main } from '../../cli/riposte';
import { capturedIo } from './cliProcess';
import type { RunReport } from '../../shared/engine';

const REPO = join(__dirname, '..', '..');
let dir: string;

const io = () => capturedIo({ env: {} });

before(() => {
  dir = mkdtempSync(join(tmpdir(), 'riposte-run-alerts-'));
  const doc = readFileSync(join(REPO, 'docs', 'recipes.md'), 'utf8');
  const yaml = /```yaml\n(# workflows\/triage-incident-alerts\.yaml[\s\S]*?)```/.exec(doc)?.[1];
  assert.ok(yaml);
  mkdirSync(join(dir, 'content', 'queries'), { recursive: true });
  mkdirSync(join(dir, 'content', 'workflows'));
  mkdirSync(join(dir, 'content', 'mappings'));
  writeFileSync(join(dir, 'content', 'workflows', 'triage-incident-alerts.yaml'), yaml);
  writeFileSync(join(dir, 'local.settings.json'), JSON.stringify({ IsEncrypted: false, Values: {} }));
  // Incident 3309: the seeded PowerShell beacon, whose alerts are open.
  writeFileSync(join(dir, 'input.json'), JSON.stringify({ incidentId: '3309' }));
});
after(() => rmSync(dir, { recursive: true, force: true }));

const args = (...extra: string[]): string[] => [
  'run',
  'triage-incident-alerts',
  '--json',
  '--dir',
  join(dir, 'content'),
  '--input',
  join(dir, 'input.json'),
  '--settings',
  join(dir, 'local.settings.json'),
  ...extra,
];

describe('riposte run with alert steps', () => {
  it('Graph: the dry run reports each new alert’s PATCH and comment, named by alert and incident', async () => {
    const out = io();
    const code = await main(args('--dry-run'), out);
    assert.equal(code, 0, out.err);
    const report = JSON.parse(out.out) as RunReport;
    assert.equal(report.status, 'succeeded');
    const take = report.steps.find((s) => s.id === 'take');
    assert.ok(take && take.changes.length > 0, 'incident 3309 has new alerts');
    for (const c of take.changes) {
      assert.equal(c.incidentId, '3309');
      assert.match(c.alertId ?? '', /^[\w-]+$/);
      assert.deepEqual(c.patch, { status: 'inProgress', assignedTo: 'tier2@contoso.com' });
      assert.equal(c.outcome, 'wouldApply');
    }
    const notes = report.steps.find((s) => s.id === 'note')?.changes ?? [];
    assert.equal(notes.length, take.changes.length);
    assert.ok(notes.every((c) => /^Devices .* — \[riposte:[0-9a-f]{8}\]$/s.test(c.comment ?? '')));
  });

  it('legacy: the workflow does not load; the CLI names the step and DEFENDER_API=graph', async () => {
    const out = io();
    const code = await main(args('--dry-run', '--api', 'legacy'), out);
    assert.notEqual(code, 0);
    assert.match(out.err, /steps\[1\] \(open\)\.kind: listAlerts uses Microsoft Graph/);
    assert.match(out.err, /DEFENDER_API=graph/);
    assert.equal(out.out, '', 'no report: nothing ran');
  });
});
