// What a newcomer sees on a fresh `npm start`: scripts/start.ts starts the sandbox and Azurite, then fires each
// scheduled workflow once through the host's timer path. On the seed data each of those first runs must find and
// change something, in the way its workflow file documents. Same wiring here: a fresh sandbox and Azurite, the app in
// the local host, and every timer function invoked once in order, as start.ts does.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { StoredIncident } from '../../sandbox/index';
import { loadQueryLibrary } from '../../shared/queries';
import { loadWorkflows } from '../../shared/workflows/loadWorkflow';
import { REPO, riposteCommentsOf, startHarness, storedIncident, type Harness } from './harness';

let h: Harness;
let seeded: ReadonlyArray<StoredIncident>;
let scheduled: string[];

before(async () => {
  const workflows = await loadWorkflows(join(REPO, 'workflows'), await loadQueryLibrary(join(REPO, 'queries')));
  scheduled = [...workflows.values()].filter((w) => w.triggers.schedule).map((w) => w.name);
  h = await startHarness();
  seeded = h.sandbox.control.incidents();
  // As scripts/start.ts does right after the host is up.
  for (const f of h.host.functions().filter((x) => x.kind === 'timer')) await h.host.invokeTimer(f.name);
});

after(async () => {
  await h?.close();
});

interface FinishedRun {
  status: string;
  changes: Record<string, number>;
  incidentIds: string[];
}

/** The engine's `run finished` line logged by a workflow's timer function. */
function finishedRun(workflow: string): FinishedRun {
  const re = new RegExp(`\\] workflow-${workflow}(?: \\[\\w+\\])?: \\[engine\\] run finished (\\{.*\\})$`);
  const runs = h.logs.flatMap((line) => {
    const m = re.exec(line);
    return m ? [JSON.parse(m[1]!) as FinishedRun] : [];
  });
  assert.equal(runs.length, 1, `${workflow} ran once`);
  return runs[0]!;
}

const before_ = (id: string): StoredIncident => {
  const i = seeded.find((x) => String(x.id) === id);
  assert.ok(i, `seed incident ${id}`);
  return i;
};

/** A scheduled workflow whose first run reaches a destructive step: it is parked for approval, nothing done yet. */
interface Parked {
  parked: true;
  /** Nothing of the destructive action is in the sandbox before a person decides. */
  untouched: () => void;
}

/** How each scheduled workflow's first run must show on an incident it changed (its file's description). */
const FIRST_RUN: Record<string, { seedIncident: string; shows: (id: string) => void } | Parked> = {
  // The seed's open high-severity incidents have device evidence: the first run asks to isolate (no approval channel
  // is configured here, so the decision API is the way) and waits; no device is isolated unasked.
  'isolate-device-on-high-severity': {
    parked: true,
    untouched: () => {
      const isolations = h.sandbox.control.machineActions().filter((a) => a.type === 'Isolate');
      assert.deepEqual(isolations, [], 'no device isolated before approval');
      assert.ok(h.sandbox.control.machines().every((m) => m.isolation === null));
    },
  },
  'suspicious-powershell': {
    // The beacon ran again on ws-fin-042 about 30 minutes before the start; 3309 has an alert on that device.
    seedIncident: '3309',
    shows: (id) => {
      const i = storedIncident(h, Number(id));
      assert.ok(i.customTags.includes('suspicious-powershell'), `${id} tagged`);
      assert.ok(!before_(id).customTags.includes('suspicious-powershell'), `${id} was not tagged before`);
      const comments = riposteCommentsOf(h, Number(id));
      assert.equal(comments.length, 1, `${id}: one comment`);
      assert.match(
        comments[0]!,
        /^Hunt suspicious-powershell-on-devices found [1-9]\d* suspicious PowerShell run\(s\) on [\w-]+(, [\w-]+)* between \S+ and \S+\. — \[riposte:[0-9a-f]{8}\]$/,
      );
    },
  },
  'stale-incident-triage': {
    // Open and untouched for four weeks in the seed.
    seedIncident: '3300',
    shows: (id) => {
      const i = storedIncident(h, Number(id));
      assert.ok(i.customTags.includes('stale'), `${id} tagged stale`);
      assert.equal(i.assignedTo, 'triage@contoso.com');
      assert.notEqual(before_(id).assignedTo, 'triage@contoso.com');
      const comments = riposteCommentsOf(h, Number(id));
      assert.equal(comments.length, 1, `${id}: one comment`);
      assert.match(
        comments[0]!,
        /^No update since \S+ \(over 7 days\): tagged stale and assigned to triage@contoso\.com for triage\./,
      );
    },
  },
};

describe('a fresh npm start: the first run of each scheduled workflow', () => {
  it('covers every scheduled workflow in workflows/, each with a timer', () => {
    assert.deepEqual(
      Object.keys(FIRST_RUN).sort(),
      [...scheduled].sort(),
      'a first-run expectation per scheduled workflow',
    );
    const timers = h.host
      .functions()
      .filter((f) => f.kind === 'timer' && f.name.startsWith('workflow-'))
      .map((f) => f.name)
      .sort();
    // Housekeeping timers (purgeWorkflowRuns) are not workflows; every workflow timer is named workflow-<name>.
    assert.deepEqual(timers, scheduled.map((n) => `workflow-${n}`).sort());
  });

  for (const [workflow, expectation] of Object.entries(FIRST_RUN)) {
    it(`${workflow} changes seed incidents on its first run, as its file says`, () => {
      const run = finishedRun(workflow);
      if ('parked' in expectation) {
        assert.equal(run.status, 'awaitingApproval', JSON.stringify(run));
        assert.equal(run.changes.applied ?? 0, 0, JSON.stringify(run.changes));
        expectation.untouched();
        return;
      }
      assert.equal(run.status, 'succeeded', JSON.stringify(run));
      assert.ok((run.changes.applied ?? 0) > 0, `${workflow} applied changes: ${JSON.stringify(run.changes)}`);
      assert.ok(run.incidentIds.includes(expectation.seedIncident), `${workflow} changed ${expectation.seedIncident}`);
      for (const id of run.incidentIds) expectation.shows(id);
    });
  }
});
