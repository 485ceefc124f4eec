// The engine with a fake Defender client and in-memory state: control flow, dry run, reports and logs.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { runWorkflow, type EngineDeps, type RunOptions } from '../../shared/engine';
import { InputError } from '../../shared/errors';
import type { Logger } from '../../shared/logger';
import { createMemoryStateStore } from '../../shared/state/memoryState';
import { isRiposteComment } from '../../shared/steps';
import { listIncidents } from '../../shared/steps/listIncidents';
import type { Workflow } from '../../shared/workflows/types';
import { createFakeDefender, createFakeQueries, incident, throttled, workflowOf, type FakeDefender } from './fakes';

const NOW = new Date('2026-03-01T12:00:00.000Z');

function setup(incidents = [incident('1'), incident('2'), incident('3')]) {
  const defender = createFakeDefender(incidents);
  const state = createMemoryStateStore();
  const logs: string[] = [];
  const log =
    (level: string) =>
    (message: string, props?: Record<string, unknown>): void => {
      logs.push(`${level} ${message} ${JSON.stringify(props ?? {})}`);
    };
  const logger: Logger = { debug: log('debug'), info: log('info'), warn: log('warn'), error: log('error') };
  const deps: EngineDeps = { defender, queries: createFakeQueries(), state, logger, now: () => NOW };
  const run = (wf: Workflow, options: Partial<RunOptions> = {}) =>
    runWorkflow(wf, { trigger: 'http', ...options }, deps);
  return { defender, state, logs, deps, run };
}

const TAG_ALL = workflowOf(`name: tag-all
triggers: { http: true }
input: { tag: { type: string, default: reviewed } }
steps:
  - { id: list, kind: listIncidents, input: { status: active } }
  - id: each
    kind: forEach
    input:
      items: $steps.list.incidents
      concurrency: 2
      steps:
        - id: tag
          kind: updateIncident
          input:
            incidentId: \${ $item.id }
            tags: { add: ['\${ $input.tag }'] }
            comment: Reviewed by automation (\${ $index + 1 } of \${ $steps.list.count })
`);

const writes = (d: FakeDefender) => d.writes().map((c) => `${c.method} ${c.id}`);

describe('runWorkflow: control flow', () => {
  it('runs steps in order, a forEach body once per item, and reports counts', async () => {
    const { run, defender } = setup();
    const report = await run(TAG_ALL);
    assert.equal(report.status, 'succeeded');
    assert.deepEqual(
      report.steps.map((s) => [s.id, s.status, s.executions, s.parent]),
      [
        ['list', 'succeeded', 1, undefined],
        ['each', 'succeeded', 1, undefined],
        ['tag', 'succeeded', 3, 'each'],
      ],
    );
    assert.deepEqual(report.steps[1]?.counts, { items: 3, succeeded: 3, failed: 0, skipped: 0 });
    assert.deepEqual(report.steps[2]?.counts, {
      updated: 3,
      unchanged: 0,
      alreadyDone: 0,
      wouldUpdate: 0,
      comments: 3,
    });
    for (const id of ['1', '2', '3']) {
      const i = defender.incidents.get(id);
      assert.deepEqual(i?.tags, ['reviewed']);
      assert.equal(i?.comments.length, 1);
      assert.ok(isRiposteComment(i?.comments[0]?.comment ?? ''), i?.comments[0]?.comment);
      assert.match(i?.comments[0]?.comment ?? '', /^Reviewed by automation \(\d of 3\) — \[riposte:[0-9a-f]{8}\]$/);
    }
  });

  it('never has more writes in flight than the forEach concurrency', async () => {
    const { run, defender } = setup(Array.from({ length: 9 }, (_, i) => incident(String(i + 1))));
    defender.writeDelayMs = 15;
    const report = await run(TAG_ALL);
    assert.equal(report.status, 'succeeded');
    assert.equal(defender.maxConcurrentWrites, 2);
    assert.equal(defender.writes().length, 18);
  });

  it('takes if/else branches, skips a step whose if is false, and stops early', async () => {
    const wf = workflowOf(`name: branches
triggers: { http: true }
input: { id: { type: string, required: true } }
steps:
  - { id: inc, kind: getIncident, input: { incidentId: '\${ $input.id }' } }
  - id: bySeverity
    kind: if
    input:
      condition: $steps.inc.severity = 'high'
      then:
        - { id: escalate, kind: comment, input: { incidentId: '\${ $input.id }', text: escalated } }
      else:
        - { id: note, kind: comment, input: { incidentId: '\${ $input.id }', text: 'severity \${ $steps.inc.severity }' } }
  - { id: never, kind: comment, if: 'false', input: { incidentId: '\${ $input.id }', text: never } }
  - { id: halt, kind: stop, if: $steps.inc.status = 'active', input: { reason: 'incident \${ $input.id } is still active' } }
  - { id: after, kind: comment, input: { incidentId: '\${ $input.id }', text: after } }
`);
    const { run, defender } = setup([incident('1', { severity: 'high' }), incident('2')]);
    const r1 = await run(wf, { input: { id: '1' } });
    assert.equal(r1.status, 'stopped');
    assert.equal(r1.stopReason, 'incident 1 is still active');
    assert.deepEqual(
      r1.steps.map((s) => `${s.id}:${s.status}`),
      [
        'inc:succeeded',
        'bySeverity:succeeded',
        'escalate:succeeded',
        'note:skipped',
        'never:skipped',
        'halt:succeeded',
        'after:skipped',
      ],
    );
    assert.deepEqual(r1.steps[1]?.counts, { then: 1 });
    assert.equal(r1.steps.find((s) => s.id === 'never')?.executions, 1);
    assert.equal(r1.steps.find((s) => s.id === 'after')?.executions, 0);
    const r2 = await run(wf, { input: { id: '2' } });
    assert.deepEqual(r2.steps[1]?.counts, { else: 1 });
    assert.deepEqual(
      defender.writes().map((c) => `${c.id}:${c.comment?.replace(/ — .*$/, '')}`),
      ['1:escalated', '2:severity medium'],
    );
  });

  it("onError 'continue' records the failure and goes on; 'fail' ends the run naming the step", async () => {
    const wf = (onError: string) =>
      workflowOf(`name: errors
triggers: { http: true }
steps:
  - id: each
    kind: forEach
    input:
      items: '["1", "404", "3"]'
      concurrency: 1
      steps:
        - { id: read, kind: getIncident, onError: ${onError}, input: { incidentId: '\${ $item }' } }
        - { id: tag, kind: updateIncident, if: '$not($exists($steps.read.failed))', input: { incidentId: '\${ $item }', tags: { add: [seen] } } }
  - { id: after, kind: listIncidents }
`);
    const a = setup();
    const cont = await a.run(wf('continue'));
    assert.equal(cont.status, 'succeeded');
    const read = cont.steps.find((s) => s.id === 'read');
    assert.equal(read?.status, 'failed');
    assert.equal(read?.executions, 3);
    assert.deepEqual(read?.error, {
      code: 'NOT_FOUND',
      message: 'Defender API GET /security/incidents/404 failed: 404 NotFound',
      upstreamStatus: 404,
    });
    assert.deepEqual(cont.steps.find((s) => s.id === 'each')?.counts, {
      items: 3,
      succeeded: 2,
      failed: 1,
      skipped: 0,
    });
    assert.equal(cont.steps.find((s) => s.id === 'tag')?.executions, 3);
    assert.deepEqual(cont.steps.find((s) => s.id === 'tag')?.counts.updated, 2);
    assert.equal(cont.steps.find((s) => s.id === 'after')?.status, 'succeeded');

    const b = setup();
    const fail = await b.run(wf('fail'));
    assert.equal(fail.status, 'failed');
    assert.deepEqual(fail.error, {
      code: 'NOT_FOUND',
      message: 'steps[0] (each).input.steps[0] (read): Defender API GET /security/incidents/404 failed: 404 NotFound',
      upstreamStatus: 404,
    });
    assert.deepEqual(fail.steps.find((s) => s.id === 'each')?.counts, {
      items: 3,
      succeeded: 1,
      failed: 1,
      skipped: 1,
    });
    assert.equal(fail.steps.find((s) => s.id === 'after')?.status, 'skipped');
    assert.deepEqual(writes(b.defender), ['updateIncident 1']);
  });

  it('reports an invalid evaluated input as a step failure naming the field', async () => {
    const wf = workflowOf(`name: bad-value
triggers: { http: true }
input: { verdict: { type: string, required: true } }
steps:
  - { id: resolve, kind: updateIncident, input: { incidentId: '1', classification: '\${ $input.verdict }' } }
`);
    const { run, defender } = setup();
    const report = await run(wf, { input: { verdict: 'maybe' } });
    assert.equal(report.status, 'failed');
    assert.deepEqual(report.steps[0]?.error, {
      code: 'INPUT_INVALID',
      message:
        "classification 'maybe' is not valid; use one of: truePositive, informationalExpectedActivity, falsePositive",
      // The step's value is the caller's input as is, so the report names the caller's field.
      field: 'input.verdict',
    });
    assert.deepEqual(defender.calls, []);
  });

  it("names the step's own field when the value is computed, and reports an expression failure as the workflow's", async () => {
    const wf = workflowOf(`name: computed
triggers: { http: true }
input: { verdict: { type: string, required: true } }
steps:
  - { id: resolve, kind: updateIncident, input: { incidentId: '1', classification: '\${ $uppercase($input.verdict) }' } }
  - { id: broken, kind: comment, input: { incidentId: '1', text: '\${ $error("no mapping") }' } }
`);
    const { run } = setup();
    const first = await run(wf, { input: { verdict: 'maybe' } });
    assert.equal(first.error?.field, 'steps[0] (resolve).input.classification');
    assert.equal(first.error?.code, 'INPUT_INVALID');
    const second = await run(wf, { input: { verdict: 'falsePositive' } });
    assert.equal(second.status, 'failed');
    // The input passed the declaration: a failing expression is the author's bug (500), not the caller's (4xx).
    assert.equal(second.error?.code, 'WORKFLOW_ERROR');
    assert.match(second.error?.message ?? '', /^steps\[1\] \(broken\): expression '\$error\("no mapping"\)' failed/);
  });

  it('refuses bad run input before anything runs', async () => {
    const wf = workflowOf(`name: needs-input
triggers: { http: true }
input: { incidentId: { type: string, required: true } }
steps:
  - { id: read, kind: getIncident, input: { incidentId: '\${ $input.incidentId }' } }
`);
    const { run, defender } = setup();
    await assert.rejects(
      run(wf, { input: {} }),
      (e: unknown) =>
        e instanceof InputError && e.field === 'input.incidentId' && e.message === 'input.incidentId is required',
    );
    assert.deepEqual(defender.calls, []);
  });

  it('ends the run as throttled at the first DEFENDER_THROTTLED, starting no further items', async () => {
    const { run, defender } = setup(Array.from({ length: 6 }, (_, i) => incident(String(i + 1))));
    defender.before = (call) => {
      if (call.method === 'updateIncident' && call.id === '2') throw throttled(42_000);
    };
    const report = await run(TAG_ALL);
    assert.equal(report.status, 'throttled');
    assert.equal(report.retryAfterMs, 42_000);
    assert.equal(report.error?.code, 'DEFENDER_THROTTLED');
    const started = new Set(defender.calls.filter((c) => c.method === 'getIncident').map((c) => c.id));
    assert.ok(started.size <= 3, `items started after throttling: ${[...started].join(',')}`);
  });
});

describe('runWorkflow: dry run', () => {
  const RESOLVE = workflowOf(`name: resolve
triggers: { http: true }
steps:
  - id: resolve
    kind: updateIncident
    input:
      incidentId: '1'
      status: resolved
      classification: truePositive
      determination: malware
      assignedTo: soc@contoso.com
      tags: { add: [malware, Finance], remove: [triage] }
      comment: Resolved as malware
`);

  it('reports the exact PATCH (tags merged into the current list) and the marked comment, and writes nothing', async () => {
    const { run, defender, state } = setup([
      incident('1', { tags: ['finance', 'triage', 'vip'], assignedTo: 'soc@contoso.com' }),
    ]);
    const report = await run(RESOLVE, { dryRun: true });
    assert.equal(report.status, 'succeeded');
    assert.equal(report.dryRun, true);
    assert.equal(report.steps[0]?.status, 'dryRun');
    const [change] = report.steps[0]?.changes ?? [];
    assert.deepEqual(change?.patch, {
      status: 'resolved',
      classification: 'truePositive',
      determination: 'malware',
      tags: ['finance', 'vip', 'malware'],
    });
    assert.match(change?.comment ?? '', /^Resolved as malware — \[riposte:[0-9a-f]{8}\]$/);
    assert.equal(change?.outcome, 'wouldApply');
    assert.deepEqual(report.steps[0]?.counts, {
      updated: 0,
      unchanged: 0,
      alreadyDone: 0,
      wouldUpdate: 1,
      comments: 0,
    });
    assert.deepEqual(defender.writes(), []);
    assert.deepEqual(defender.incidents.get('1')?.tags, ['finance', 'triage', 'vip']);
    assert.deepEqual(state.writes(), []);

    // The real run then sends exactly what the dry run showed.
    const real = await run(RESOLVE);
    assert.deepEqual(defender.writes()[0]?.update, {
      status: 'resolved',
      classification: 'truePositive',
      determination: 'malware',
      tags: { replace: ['finance', 'vip', 'malware'] },
    });
    assert.equal(defender.writes()[1]?.comment, change?.comment);
    assert.deepEqual(real.steps[0]?.changes[0], { ...change, outcome: 'applied' });
  });

  it('is also forced by the global setting and by the workflow file', async () => {
    const a = setup([incident('1')]);
    const r1 = await runWorkflow(RESOLVE, { trigger: 'timer' }, { ...a.deps, dryRun: true });
    assert.equal(r1.dryRun, true);
    const r2 = await a.run({ ...RESOLVE, dryRun: true });
    assert.equal(r2.dryRun, true);
    assert.deepEqual(a.defender.writes(), []);
    assert.deepEqual(a.state.writes(), []);
  });

  it('reports unchanged when the incident already matches', async () => {
    const wf = workflowOf(`name: noop
triggers: { http: true }
steps:
  - { id: tag, kind: updateIncident, input: { incidentId: '1', status: inProgress, tags: { add: [x] } } }
`);
    const { run, defender } = setup([incident('1', { status: 'inProgress', tags: ['X'] })]);
    const dry = await run(wf, { dryRun: true });
    assert.equal(dry.steps[0]?.changes[0]?.outcome, 'unchanged');
    const real = await run(wf);
    assert.deepEqual(real.steps[0]?.changes[0], { incidentId: '1', patch: {}, outcome: 'unchanged' });
    assert.deepEqual(defender.writes(), []);
  });
});

describe('runWorkflow: logs', () => {
  it('logs ids, statuses and counts, never hunting rows or comment text', async () => {
    const wf = workflowOf(`name: hunt-and-note
triggers: { http: true }
steps:
  - { id: hunt, kind: hunt, input: { query: devices-by-name, params: { deviceNames: [ws-1] } } }
  - { id: note, kind: comment, input: { incidentId: '1', text: 'found \${ $steps.hunt.rows[0].Secret }' } }
`);
    const { run, defender, logs } = setup([incident('1')]);
    defender.rows = [{ DeviceName: 'ws-1', Secret: 'ROW-VALUE-DO-NOT-LOG' }];
    const report = await run(wf);
    assert.equal(report.status, 'succeeded');
    assert.equal(report.steps[0]?.counts.rows, 1);
    assert.match(defender.incidents.get('1')?.comments[0]?.comment ?? '', /found ROW-VALUE-DO-NOT-LOG/);
    assert.ok(logs.some((l) => l.startsWith('info [engine] run finished')));
    for (const line of logs) assert.doesNotMatch(line, /ROW-VALUE-DO-NOT-LOG/);
  });
});

describe('listIncidents step input', () => {
  it('passes expandAlerts to the client filter only when true, and refuses a non-boolean naming the field', () => {
    assert.deepEqual(listIncidents.parse({ status: 'active', expandAlerts: true }, 'graph').filter, {
      status: ['active'],
      expandAlerts: true,
    });
    assert.equal(listIncidents.parse({ expandAlerts: false }, 'legacy').filter.expandAlerts, undefined);
    assert.throws(
      () => listIncidents.parse({ expandAlerts: 'yes' }, 'graph'),
      (e: unknown) => e instanceof InputError && e.field === 'expandAlerts',
    );
  });
});
