// The alert steps through the real engine, the real Graph client over TLS and the sandbox's alerts_v2: typed
// evidence reaching later steps, dry run showing the exact request, once-only writes (write guard and marker),
// load-time validation (schema, enums, DEFENDER_API=legacy) and the alerts quota family.
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, beforeEach, describe, it } from 'node:test';
import { validatePaths } from '../../cli/validate';
import { startSandbox, type Sandbox } from '../../sandbox/index';
import type { StoredAlert } from '../../sandbox/incidents/model';
import { runWorkflow, type EngineDeps } from '../../shared/engine';
import { createQueryLibrary } from '../../shared/queries';
import { createMemoryStateStore } from '../../shared/state/memoryState';
import type { StateStore } from '../../shared/state/types';
import { isRiposteComment } from '../../shared/steps';
import { parseWorkflow, WorkflowError } from '../../shared/workflows';
import { sandboxDeps } from '../integration/sandboxDeps';

let sb: Sandbox;

before(async () => {
  sb = await startSandbox({ rateLimitScale: 0.05 });
});
after(() => sb?.close());
beforeEach(() => sb.control.reset());

const queries = createQueryLibrary([]);

const TRIAGE = `
name: alert-triage
triggers: { http: true }
input:
  incidentId: { type: string, required: true }
steps:
  - id: inc
    kind: getIncident
    input: { incidentId: '\${ $input.incidentId }' }
  - id: open
    kind: listAlerts
    input:
      incidentId: \${ $input.incidentId }
      status: [new, inProgress]
  - id: each
    kind: forEach
    input:
      items: \${ $steps.open.alerts }
      steps:
        - id: triage
          kind: updateAlert
          input:
            alertId: \${ $item.id }
            status: inProgress
            assignedTo: tier2@contoso.com
            classification: truePositive
            determination: malware
        - id: note
          kind: commentAlert
          input:
            alertId: \${ $item.id }
            text: "Devices \${ $join([$item.evidence.devices[mdeDeviceId].mdeDeviceId], ',') }; incident files \${ $join([$steps.inc.evidence.files[sha256].sha256], ',') }"
`;

function run(
  yaml: string,
  input: unknown,
  o: { state?: StateStore; dryRun?: boolean; env?: Record<string, string> } = {},
) {
  const wf = parseWorkflow(yaml, 'test.yaml', queries, { backend: 'graph' });
  const deps: EngineDeps = {
    defender: sandboxDeps(sb, 'graph', o.env ?? {}).defender,
    queries,
    state: o.state ?? createMemoryStateStore(),
  };
  return runWorkflow(wf, { trigger: 'http', input, dryRun: o.dryRun ?? false }, deps);
}

/** The seeded incident with the most alerts that are still open, and those alerts. */
function openIncident(): { id: string; alerts: StoredAlert[] } {
  const best = [...sb.control.incidents()]
    .map((i) => ({ id: String(i.id), alerts: i.alerts.filter((a) => a.status !== 'resolved') }))
    .sort((a, b) => b.alerts.length - a.alerts.length)[0];
  assert.ok(best && best.alerts.length > 0, 'a seeded incident with open alerts');
  return best;
}
const alertNow = (id: string): StoredAlert | undefined =>
  sb.control
    .incidents()
    .flatMap((i) => i.alerts)
    .find((a) => a.id === id);

describe('alert steps', () => {
  it('updates and comments each open alert of an incident; evidence from the alert and the incident reaches the text', async () => {
    const { id, alerts } = openIncident();
    const report = await run(TRIAGE, { incidentId: id });
    assert.equal(report.status, 'succeeded', JSON.stringify(report.error));
    const incidentFiles = sb.control
      .incident(id)
      ?.alerts.flatMap((a) => a.evidence)
      .flatMap((e) => (e.kind === 'file' || e.kind === 'process' ? [e.sha256] : []))
      .filter((h): h is string => !!h)
      .map((h) => h.toLowerCase());
    for (const a of alerts) {
      const now = alertNow(a.id);
      assert.deepEqual(
        [now?.status, now?.assignedTo, now?.classification, now?.determination],
        ['inProgress', 'tier2@contoso.com', 'truePositive', 'malware'],
      );
      const notes = now?.comments.map((c) => c.comment).filter((c) => isRiposteComment(c)) ?? [];
      assert.equal(notes.length, 1, 'one comment per alert');
      for (const e of a.evidence) if (e.kind === 'device') assert.ok(notes[0]?.includes(e.mdeDeviceId), notes[0]);
      for (const h of new Set(incidentFiles)) assert.ok(notes[0]?.includes(h), `${h} in ${notes[0]}`);
    }
    const triage = report.steps.find((s) => s.id === 'triage');
    assert.deepEqual(
      triage?.changes.map((c) => [c.alertId, c.incidentId, c.outcome]),
      alerts.map((a) => [a.id, id, 'applied']),
    );
  });

  it('the recipe in docs/recipes.md loads and runs: dry, then for real, then again with nothing to send', async () => {
    const doc = readFileSync(join(__dirname, '..', '..', 'docs', 'recipes.md'), 'utf8');
    const yaml = /```yaml\n(# workflows\/triage-incident-alerts\.yaml[\s\S]*?)```/.exec(doc)?.[1];
    assert.ok(yaml, 'the recipe is in docs/recipes.md');
    const { id, alerts } = openIncident();
    const fresh = alerts.filter((a) => a.status === 'new');
    const state = createMemoryStateStore();
    const dry = await run(yaml, { incidentId: id }, { state, dryRun: true });
    assert.equal(dry.status, 'succeeded', JSON.stringify(dry.error));
    assert.equal(dry.steps.find((s) => s.id === 'take')?.changes.length, fresh.length);
    assert.equal((await run(yaml, { incidentId: id }, { state })).status, 'succeeded');
    for (const a of fresh) assert.equal(alertNow(a.id)?.status, 'inProgress');
    const writes = sb.control.counters().api.alertsUpdate + sb.control.counters().api.alertComments;
    assert.equal((await run(yaml, { incidentId: id }, { state })).status, 'succeeded');
    assert.equal(sb.control.counters().api.alertsUpdate + sb.control.counters().api.alertComments, writes);
  });

  it('dry run shows the exact PATCH body and the marked comment, and changes nothing', async () => {
    const { id, alerts } = openIncident();
    const before = JSON.stringify(sb.control.incidents());
    const report = await run(TRIAGE, { incidentId: id }, { dryRun: true });
    assert.equal(report.status, 'succeeded');
    assert.equal(JSON.stringify(sb.control.incidents()), before);
    assert.equal(sb.control.counters().api.alertsUpdate + sb.control.counters().api.alertComments, 0);
    const triage = report.steps.find((s) => s.id === 'triage');
    assert.equal(triage?.status, 'dryRun');
    const first = alerts[0];
    assert.ok(first);
    const expected: Record<string, unknown> = {};
    if (first.status !== 'inProgress') expected.status = 'inProgress';
    if (first.assignedTo !== 'tier2@contoso.com') expected.assignedTo = 'tier2@contoso.com';
    if (first.classification !== 'truePositive') expected.classification = 'truePositive';
    if (first.determination !== 'malware') expected.determination = 'malware';
    const change = triage?.changes.find((c) => c.alertId === first.id);
    assert.deepEqual(change?.patch, expected);
    assert.equal(change?.outcome, 'wouldApply');
    const note = report.steps.find((s) => s.id === 'note')?.changes.find((c) => c.alertId === first.id);
    assert.ok(note?.comment && isRiposteComment(note.comment), 'the comment as it would be written, marker included');
  });

  it('a re-run sends nothing; with the state record lost, the marker still stops a second comment', async () => {
    const { id, alerts } = openIncident();
    const state = createMemoryStateStore();
    assert.equal((await run(TRIAGE, { incidentId: id }, { state })).status, 'succeeded');
    const writes = (): number => sb.control.counters().api.alertsUpdate + sb.control.counters().api.alertComments;
    const sent = writes();
    assert.equal(sent, alerts.length * 2);
    const again = await run(TRIAGE, { incidentId: id }, { state });
    assert.equal(again.status, 'succeeded');
    assert.equal(writes(), sent, 'no PATCH and no comment the second time');
    assert.ok(again.steps.find((s) => s.id === 'note')?.changes.every((c) => c.outcome === 'alreadyDone'));
    // A new store (records lost): the PATCH finds nothing different, the comment finds its marker.
    const lost = await run(TRIAGE, { incidentId: id }, { state: createMemoryStateStore() });
    assert.equal(lost.status, 'succeeded');
    assert.equal(writes(), sent);
    for (const a of alerts) assert.equal(alertNow(a.id)?.comments.filter((c) => isRiposteComment(c.comment)).length, 1);
    assert.deepEqual(
      lost.steps.find((s) => s.id === 'triage')?.changes.map((c) => c.outcome),
      alerts.map(() => 'unchanged'),
    );
  });

  it('commentAlert answers every comment of the alert', async () => {
    const { alerts } = openIncident();
    const alert = alerts[0];
    assert.ok(alert);
    const yaml = `
name: note
triggers: { http: true }
steps:
  - id: note
    kind: commentAlert
    input: { alertId: ${alert.id}, text: first }
  - id: second
    kind: commentAlert
    input: { alertId: ${alert.id}, text: "second, after \${ $count($steps.note.comments) } comment" }
`;
    const report = await run(yaml, {});
    assert.equal(report.status, 'succeeded', JSON.stringify(report.error));
    const texts = alertNow(alert.id)?.comments.map((c) => c.comment) ?? [];
    assert.equal(texts.length, 2);
    assert.match(texts[1] ?? '', /^second, after 1 comment — \[riposte:[0-9a-f]{8}\]$/);
  });

  it('refuses bad input at load (schema, enums) and at run time (a template’s value), naming the field', async () => {
    const bad = (input: string): string => {
      try {
        parseWorkflow(
          `name: bad\ntriggers: { http: true }\nsteps:\n  - id: u\n    kind: updateAlert\n    input: ${input}\n`,
          'bad.yaml',
          queries,
        );
      } catch (e) {
        assert.ok(e instanceof WorkflowError);
        return e.problems.join('\n');
      }
      return assert.fail('expected a load-time problem');
    };
    assert.match(bad('{ alertId: a1, status: closed }'), /steps\[0\] \(u\)\.input\.status/);
    assert.match(bad('{ alertId: a1, determination: compromisedAccount }'), /input\.determination/);
    assert.match(bad('{ alertId: "a/../b", status: new }'), /alert id/);
    assert.match(bad('{ alertId: a1 }'), /updateAlert changes nothing/);
    const report = await run(
      `name: t\ntriggers: { http: true }\ninput:\n  s: { type: string }\nsteps:\n  - id: u\n    kind: updateAlert\n    input: { alertId: a1, status: '\${ $input.s }' }\n`,
      { s: 'closed' },
    );
    assert.equal(report.status, 'failed');
    assert.equal(report.error?.code, 'INPUT_INVALID');
    assert.match(report.error?.message ?? '', /status 'closed' is not one of: new, inProgress, resolved/);
  });

  it('with DEFENDER_API=legacy, alert steps are a load-time problem (loader and riposte validate), not a run-time 403', async () => {
    const yaml = `name: legacy-alerts\ntriggers: { http: true }\nsteps:\n  - id: a\n    kind: listAlerts\n    input: {}\n`;
    assert.throws(
      () => parseWorkflow(yaml, 'x.yaml', queries, { backend: 'legacy' }),
      (e: unknown) =>
        e instanceof WorkflowError &&
        /steps\[0\] \(a\)\.kind: listAlerts uses Microsoft Graph .*set DEFENDER_API=graph/.test(e.problems.join()),
    );
    assert.doesNotThrow(() => parseWorkflow(yaml, 'x.yaml', queries, { backend: 'graph' }));
    const dir = mkdtempSync(join(tmpdir(), 'riposte-alerts-'));
    try {
      mkdirSync(join(dir, 'workflows'));
      writeFileSync(join(dir, 'workflows', 'legacy-alerts.yaml'), yaml);
      const legacy = await validatePaths([dir], { cwd: dir, backend: 'legacy' });
      assert.equal(legacy.ok, false);
      assert.match(JSON.stringify(legacy.results), /DEFENDER_API=graph/);
      assert.equal((await validatePaths([dir], { cwd: dir, backend: 'graph' })).ok, true);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('alert calls draw on their own quota family: a spent alerts quota throttles the run, incidents still flow', async () => {
    const { id } = openIncident();
    const yaml = `
name: quota
triggers: { http: true }
steps:
  - id: inc
    kind: getIncident
    input: { incidentId: '${id}' }
  - id: a1
    kind: listAlerts
    input: { limit: 1 }
  - id: a2
    kind: listAlerts
    input: { limit: 1 }
`;
    // A real minute on the client's side: the second call cannot find the first one's window already over.
    const env = { QUOTA_ALERTS_PER_MINUTE: '1', MAX_RETRY_AFTER_SECONDS: '0', RATE_LIMIT_WINDOW_SCALE: '1' };
    const report = await run(yaml, {}, { env });
    assert.equal(report.status, 'throttled', JSON.stringify(report));
    assert.equal(report.steps.find((s) => s.id === 'inc')?.status, 'succeeded');
    assert.equal(report.steps.find((s) => s.id === 'a1')?.status, 'succeeded');
    assert.equal(report.error?.code, 'DEFENDER_THROTTLED');
    assert.ok((report.retryAfterMs ?? 0) > 0);
    assert.equal(sb.control.counters().api.alertsList, 1, 'the second call was never sent');
  });
});
