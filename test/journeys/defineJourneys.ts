// The journeys suite for one Defender API: every shipped workflow (workflows/*.yaml, enumerated) through every entry
// point that applies to it (its triggers; the CLI runs any workflow), each as a separate process against one app
// stack, with the incident checked in the sandbox afterwards, not only the answer. Entry points a workflow does not
// declare must refuse it and change nothing.
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { startAppStack, type Api, type AppStack } from '../helpers/appStack';
import { deliverWebhook, entryPointsOf, runCli, shippedWorkflows, type EntryPoint } from './entryPoints';
import { APPROVAL_JOURNEYS, JOURNEYS, type WorkflowJourney } from './workflowJourneys';

async function drive(stack: AppStack, workflow: string, journey: WorkflowJourney, entry: EntryPoint): Promise<void> {
  const c = await journey.setup(stack, entry);
  if (entry === 'cli --dry-run') {
    const before = JSON.stringify(stack.sandbox.control.incident(c.incidentId));
    const r = await runCli(stack, workflow, c.input, { dryRun: true });
    assert.equal(r.code, 0, `riposte run --dry-run exited ${String(r.code)}\n${r.stdout}\n${r.stderr.slice(-2000)}`);
    assert.equal(r.report?.dryRun, true, r.stdout);
    assert.equal(r.report?.status, 'succeeded', r.stdout);
    const changes = (r.report?.steps ?? []).flatMap((s) => s.changes ?? []);
    assert.ok(
      changes.some((ch) => ch.incidentId === c.incidentId && ch.outcome === 'wouldApply'),
      `the dry run reports the change it would make to incident ${c.incidentId}: ${JSON.stringify(changes)}`,
    );
    assert.equal(JSON.stringify(stack.sandbox.control.incident(c.incidentId)), before, 'a dry run changes nothing');
    return;
  }
  if (entry === 'cli') {
    const r = await runCli(stack, workflow, c.input);
    assert.equal(r.code, 0, `riposte run exited ${String(r.code)}\n${r.stdout}\n${r.stderr.slice(-2000)}`);
    assert.equal(r.report?.status, 'succeeded', r.stdout);
  } else if (entry === 'http') {
    const r = await stack.call('POST', `/api/workflows/${workflow}/run`, { body: { input: c.input } });
    assert.equal(r.status, 200, r.text);
    assert.equal((r.json as { status?: string }).status, 'succeeded', r.text);
  } else if (entry === 'timer') {
    const outcome = await stack.fireTimer(`workflow-${workflow}`);
    const tail = stack.host.lines.filter((l) => l.includes(`workflow-${workflow}`)).slice(-5);
    assert.equal(outcome, 'Succeeded', tail.join('\n'));
  } else {
    const source = entry.slice('webhook:'.length) as 'generic' | 'servicenow' | 'jira';
    assert.ok(journey.delivery, `${workflow} declares webhook source ${source}: its journey needs a delivery()`);
    const r = await deliverWebhook(stack, source, journey.delivery(stack, source, c));
    assert.equal(r.status, 202, `accepted and queued: ${r.text}`);
  }
  journey.verify(stack, c, entry);
}

/**
 * `riposte run` while Riposte's own client-side quota makes it wait (incidents: 50 calls a minute, here a 3-second
 * "minute"): the process must stay alive through the waits, finish every write, print the report and exit 0
 * (issue 11 item 1: the limiter's unref'd timer let the CLI exit 0 in the middle of a run).
 */
async function cliThroughClientQuota(stack: AppStack): Promise<void> {
  const now = Date.now();
  const ids = Array.from({ length: 60 }, (_, n) =>
    String(
      stack.sandbox.control.addIncident({
        status: 'active',
        displayName: `Journey: forgotten incident ${n}`,
        createdDateTime: new Date(now - 12 * 86_400_000).toISOString(),
        lastUpdateDateTime: new Date(now - 10 * 86_400_000).toISOString(),
      }).id,
    ),
  );
  const r = await runCli(stack, 'stale-incident-triage', {}, { env: { RATE_LIMIT_WINDOW_SCALE: '0.05' } });
  assert.equal(r.code, 0, `exit ${String(r.code)}\n${r.stdout.slice(-1000)}\n${r.stderr.slice(-1000)}`);
  assert.equal(r.report?.status, 'succeeded', `the run report is printed: ${r.stdout.slice(0, 500)}`);
  const untouched = ids.filter((id) => !stack.sandbox.control.incident(id)?.customTags.includes('stale'));
  assert.deepEqual(untouched, [], 'every stale incident was triaged');
}

export function defineJourneys(api: Api): void {
  let stack: AppStack;
  before(async () => {
    stack = await startAppStack({ api });
  });
  after(async () => {
    await stack?.close();
  });

  for (const w of shippedWorkflows()) {
    describe(`${w.name} (${api})`, () => {
      const journey = JOURNEYS[w.name];
      const withApproval = APPROVAL_JOURNEYS[w.name];
      if (!journey && withApproval) {
        it('waits for approval: its journey is driven in its own file', () => {
          assert.ok(existsSync(join(__dirname, '..', '..', withApproval)), withApproval);
        });
        return;
      }
      if (!journey) {
        it('has a journey', () => {
          assert.fail(`workflows/${w.file} has no journey: add one to test/journeys/workflowJourneys.ts`);
        });
        return;
      }
      for (const entry of entryPointsOf(w)) {
        const what = entry === 'cli --dry-run' ? 'reports the change and makes none' : 'changes the incident';
        it(`through ${entry}: ${what}`, async () => {
          await drive(stack, w.name, journey, entry);
        });
      }
      if (!w.triggers.http) {
        it('through http: refused (no HTTP trigger), nothing changes', async () => {
          const before = JSON.stringify(stack.sandbox.control.incidents());
          const r = await stack.call('POST', `/api/workflows/${w.name}/run`, { body: { input: {} } });
          assert.ok(r.status >= 400 && r.status < 500, `${r.status}: ${r.text}`);
          assert.equal(JSON.stringify(stack.sandbox.control.incidents()), before);
        });
      }
      if (!w.triggers.schedule) {
        it('through timer: there is no timer for it', async () => {
          const r = await stack.call('POST', `/admin/functions/workflow-${w.name}`, {
            key: stack.host.masterKey,
            body: {},
          });
          assert.equal(r.status, 404, r.text);
        });
      }
    });
  }

  describe(`riposte run under the client-side quota (${api})`, () => {
    it('waits for its quota, finishes every write, prints the report and exits 0 (item 1)', async () => {
      await cliThroughClientQuota(stack);
    });
  });
}
