// End to end: the three example workflows through the real engine, the real Defender client (Graph, over TLS),
// the real query library and Table storage, against the sandbox and Azurite. Covers the effect on incidents, dry
// run, re-runs without duplicates, and a crash midway followed by a clean resume.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, beforeEach, describe, it } from 'node:test';
import { startAzurite, type Azurite } from '../../host/azurite';
import { startSandbox, type Sandbox, type StoredIncident } from '../../sandbox/index';
import type { DefenderClient } from '../../shared/defender/types';
import { runWorkflow, type EngineDeps, type RunOptions } from '../../shared/engine';
import { InputError } from '../../shared/errors';
import { loadQueryLibrary } from '../../shared/queries';
import type { QueryLibrary } from '../../shared/queries/types';
import { createTableStateStore } from '../../shared/state/tableState';
import type { StateStore } from '../../shared/state/types';
import { isRiposteComment } from '../../shared/steps';
import { loadWorkflows } from '../../shared/workflows/loadWorkflow';
import type { Workflow } from '../../shared/workflows/types';
import { sandboxDeps } from '../integration/sandboxDeps';

const ROOT = join(__dirname, '..', '..');
const DAY = 86_400_000;

let sb: Sandbox;
let azurite: Azurite;
let queries: QueryLibrary;
let workflows: Map<string, Workflow>;
let defender: DefenderClient;
let tables = 0;

before(async () => {
  [sb, azurite] = await Promise.all([
    startSandbox({ rateLimitScale: 0.05 }),
    startAzurite({ inMemory: true, ports: 'random' }),
  ]);
  queries = await loadQueryLibrary(join(ROOT, 'queries'));
  workflows = await loadWorkflows(join(ROOT, 'workflows'), queries);
  defender = sandboxDeps(sb).defender;
});

after(async () => {
  await Promise.all([sb?.close(), azurite?.stop()]);
});

beforeEach(() => sb.control.reset());

/** Fresh tables per test: state is what survives restarts, so each test starts from an empty store. */
const freshState = (): StateStore =>
  createTableStateStore(azurite.connectionString, { tablePrefix: `E2e${Date.now() % 1e7}n${++tables}` });

function engine(state: StateStore, over: Partial<EngineDeps> = {}) {
  const deps: EngineDeps = { defender, queries, state, ...over };
  return (wf: Workflow, options: RunOptions) => runWorkflow(wf, options, deps);
}

const snapshot = (): string => JSON.stringify(sb.control.incidents());
const stored = (id: string): StoredIncident => {
  const i = sb.control.incident(id);
  assert.ok(i, `incident ${id} exists`);
  return i;
};
const riposteComments = (id: string): string[] =>
  stored(id)
    .comments.map((c) => c.comment)
    .filter((c) => isRiposteComment(c));
const isOpen = (i: StoredIncident): boolean => i.status === 'active' || i.status === 'inProgress';

/**
 * A process that dies: once `when` says so, the call in progress and every later call of the Defender client and
 * the state store fail, so nothing after that point reaches the API or the tables (no graceful clean-up).
 */
function crashing(
  d: DefenderClient,
  s: StateStore,
  when: (method: string, calls: Record<string, number>) => 'before' | 'after' | undefined,
) {
  let dead = false;
  const calls: Record<string, number> = {};
  const died = (): Error => new Error('simulated crash: the process died');
  const wrap = <T extends object>(target: T): T =>
    new Proxy(target, {
      get(obj, prop, receiver) {
        const value = Reflect.get(obj, prop, receiver) as unknown;
        if (typeof value !== 'function') return value;
        const name = String(prop);
        if (name === 'listIncidents') {
          return (...args: unknown[]) => {
            if (dead) throw died();
            return (value as (...a: unknown[]) => unknown).apply(obj, args);
          };
        }
        return async (...args: unknown[]) => {
          if (dead) throw died();
          calls[name] = (calls[name] ?? 0) + 1;
          const moment = when(name, calls);
          if (moment === 'before') {
            dead = true;
            throw died();
          }
          const result = await (value as (...a: unknown[]) => Promise<unknown>).apply(obj, args);
          if (moment === 'after') {
            dead = true;
            throw died();
          }
          return result;
        };
      },
    });
  return { defender: wrap(d), state: wrap(s) };
}

describe('suspicious-powershell (scheduled hunt → tag and comment)', () => {
  // The seed's suspicious PowerShell ran about 20 h (ws-fin-042) and 18 h (ws-hr-007) ago: the first window
  // must reach back that far.
  const workflow = (): Workflow => {
    const wf = workflows.get('suspicious-powershell');
    assert.ok(wf);
    return { ...wf, window: { ...wf.window, initialLookbackMs: 2 * DAY, maxWindowMs: 3 * DAY } };
  };
  // Matched by the alerts' device evidence, not by text: the hunt hits ws-fin-042 and ws-hr-007.
  const alertDevices = (i: StoredIncident): string[] =>
    i.alerts.flatMap((a) => a.evidence.flatMap((e) => (e.kind === 'device' ? [e.deviceDnsName] : [])));
  const expectedIds = (): string[] =>
    sb.control
      .incidents()
      .filter((i) => isOpen(i) && alertDevices(i).some((d) => /^ws-(fin-042|hr-007)\b/i.test(d)))
      .map((i) => String(i.id))
      .sort();
  const changedIds = (r: { steps: { id: string; changes: { incidentId: string }[] }[] }): string[] =>
    (r.steps.find((s) => s.id === 'tagAndComment')?.changes ?? []).map((c) => c.incidentId).sort();

  it('dry run reports the exact change per incident and changes nothing', async () => {
    const expected = expectedIds();
    assert.ok(expected.length >= 2, `seed has matching open incidents: ${expected.join(',')}`);
    const before = snapshot();
    const state = freshState();
    const report = await engine(state)(workflow(), { trigger: 'timer', dryRun: true });
    assert.equal(report.status, 'succeeded', JSON.stringify(report.error));
    assert.ok((report.steps.find((s) => s.id === 'hunt')?.counts.rows ?? 0) >= 2);
    assert.deepEqual(changedIds(report), expected);
    for (const c of report.steps.find((s) => s.id === 'tagAndComment')?.changes ?? []) {
      assert.equal(c.outcome, 'wouldApply');
      assert.deepEqual(c.patch, { tags: [...stored(c.incidentId).customTags, 'suspicious-powershell'] });
      assert.match(
        c.comment ?? '',
        /^Hunt suspicious-powershell-on-devices found \d+ suspicious PowerShell run\(s\) on ws-(fin-042|hr-007).* — \[riposte:[0-9a-f]{8}\]$/,
      );
    }
    assert.equal(snapshot(), before);
    assert.equal((await state.getWatermark('suspicious-powershell')).watermark, undefined);
  });

  it('matches alert devices by FQDN or bare host name in any case, and ignores device names in the title', async () => {
    const seedIds = expectedIds();
    const seed = stored(seedIds[0] ?? '');
    const withDevice = (name: string): StoredIncident['alerts'] =>
      seed.alerts.map((a) => ({
        ...a,
        evidence: a.evidence.map((e) => (e.kind === 'device' ? { ...e, deviceDnsName: name } : e)),
      }));
    const bare = sb.control.addIncident({
      displayName: 'Unrelated title',
      description: null,
      alerts: withDevice('WS-HR-007'),
    });
    const other = sb.control.addIncident({ displayName: 'Odd host', alerts: withDevice('ws-fin-042.fabrikam.local') });
    const titleOnly = sb.control.addIncident({ displayName: 'PowerShell on ws-fin-042', alerts: [] });
    const report = await engine(freshState())(workflow(), { trigger: 'timer', dryRun: true });
    assert.equal(report.status, 'succeeded', JSON.stringify(report.error));
    const changed = changedIds(report);
    assert.ok(changed.includes(String(bare.id)), 'a bare upper-case host name in the alert matches');
    assert.ok(!changed.includes(String(other.id)), 'the same host name in another domain does not');
    assert.ok(!changed.includes(String(titleOnly.id)), 'a device named only in the title does not');
    assert.deepEqual(changed, [...seedIds, String(bare.id)].sort());
  });

  it('tags and comments on the matching incidents once; re-running the window adds nothing', async () => {
    const expected = expectedIds();
    const untouched = sb.control.incidents().filter((i) => !expected.includes(String(i.id)));
    const state = freshState();
    const run = engine(state);
    const first = await run(workflow(), { trigger: 'timer' });
    assert.equal(first.status, 'succeeded', JSON.stringify(first.error));
    assert.deepEqual(changedIds(first), expected);
    for (const id of expected) {
      assert.ok(stored(id).customTags.includes('suspicious-powershell'));
      assert.equal(riposteComments(id).length, 1);
    }
    for (const i of untouched) assert.deepEqual(stored(String(i.id)), i, `incident ${i.id} untouched`);
    const window = first.window;
    assert.ok(window);
    assert.equal((await state.getWatermark('suspicious-powershell')).watermark, window.end);

    // The same window again (as after an interruption): every write is already done.
    await state.claimWindow(
      'suspicious-powershell',
      {
        runId: 'rerun',
        start: window.start,
        end: window.end,
        startedAt: first.startedAt,
      },
      undefined,
    );
    const again = await run(workflow(), { trigger: 'timer' });
    assert.equal(again.window?.resumed, true);
    assert.deepEqual(
      again.steps.find((s) => s.id === 'tagAndComment')?.changes.map((c) => c.outcome),
      expected.map(() => 'alreadyDone'),
    );
    // Even with the state lost, the incidents themselves show the work is done (tags present, marker found).
    const lostState = freshState();
    await lostState.claimWindow(
      'suspicious-powershell',
      {
        runId: first.runId,
        start: window.start,
        end: window.end,
        startedAt: first.startedAt,
      },
      undefined,
    );
    const fromScratch = await engine(lostState)(workflow(), { trigger: 'timer' });
    assert.deepEqual(
      fromScratch.steps.find((s) => s.id === 'tagAndComment')?.changes.map((c) => c.outcome),
      expected.map(() => 'unchanged'),
    );
    for (const id of expected) {
      assert.deepEqual(
        stored(id).customTags.filter((t) => t === 'suspicious-powershell'),
        ['suspicious-powershell'],
      );
      assert.equal(riposteComments(id).length, 1);
    }

    // The next regular run covers only the time since: nothing new, so it stops early.
    const next = await run(workflow(), { trigger: 'timer' });
    assert.equal(next.window?.start, window.end);
    assert.equal(next.status, 'stopped');
  });

  it('a crash after the first comment is resumed by the next run with every change made exactly once', async () => {
    const expected = expectedIds();
    const state = freshState();
    // The process dies as the second comment is about to be sent; the first may be in flight and land unrecorded.
    const crash = crashing(defender, state, (method, calls) =>
      method === 'addComment' && calls.addComment === 2 ? 'before' : undefined,
    );
    const crashed = await runWorkflow(
      workflow(),
      { trigger: 'timer' },
      { defender: crash.defender, queries, state: crash.state },
    );
    assert.notEqual(crashed.status, 'succeeded');
    assert.ok(expected.reduce((n, id) => n + riposteComments(id).length, 0) <= 1);
    assert.ok((await state.getWatermark('suspicious-powershell')).pending, 'the window is still pending');
    assert.ok((await state.listPendingWrites('suspicious-powershell')).length >= 1);

    // The dead run's window lease ends within a minute (LEASE_SECONDS); the next tick after that resumes it.
    const aMinuteLater = (): Date => new Date(Date.now() + 60_000);
    const resumed = await engine(state, { now: aMinuteLater })(workflow(), { trigger: 'timer' });
    assert.equal(resumed.status, 'succeeded', JSON.stringify(resumed.error));
    assert.equal(resumed.window?.resumed, true);
    for (const id of expected) {
      assert.deepEqual(
        stored(id).customTags.filter((t) => t === 'suspicious-powershell'),
        ['suspicious-powershell'],
        id,
      );
      assert.equal(riposteComments(id).length, 1, `incident ${id}: ${JSON.stringify(stored(id).comments)}`);
    }
    assert.equal((await state.getWatermark('suspicious-powershell')).pending, undefined);
  });
});

describe('stale-incident-triage (list → tag, assign, comment)', () => {
  const workflow = (): Workflow => {
    const wf = workflows.get('stale-incident-triage');
    assert.ok(wf);
    return wf;
  };
  // The seed's open incidents were updated hours ago. Seen from a clock one day ahead, with staleDays 1, every one
  // of them is stale; once Riposte updates one it is no longer stale for the run that did it.
  const input = { staleDays: 1 };
  const tomorrow = (): Date => new Date(Date.now() + DAY);
  const staleIds = (): string[] =>
    sb.control
      .incidents()
      .filter((i) => isOpen(i) && Date.parse(i.lastUpdateDateTime) < Date.now())
      .map((i) => String(i.id))
      .sort();

  it('dry run shows the PATCH for each stale incident; the real run applies it once; a re-run adds nothing', async () => {
    const expected = staleIds();
    assert.ok(expected.length >= 2, `seed has open incidents: ${expected.join(',')}`);
    const state = freshState();
    const run = engine(state, { now: tomorrow });
    const before = snapshot();
    const dry = await run(workflow(), { trigger: 'timer', input, dryRun: true });
    assert.equal(dry.status, 'succeeded', JSON.stringify(dry.error));
    const dryChanges = dry.steps.find((s) => s.id === 'markStale')?.changes ?? [];
    assert.deepEqual(dryChanges.map((c) => c.incidentId).sort(), expected);
    for (const c of dryChanges) {
      const i = stored(c.incidentId);
      assert.deepEqual(c.patch, { assignedTo: 'triage@contoso.com', tags: [...i.customTags, 'stale'] });
      assert.ok(c.comment?.startsWith(`No update since ${i.lastUpdateDateTime.slice(0, 19)}`), c.comment);
    }
    assert.equal(snapshot(), before);

    const real = await run(workflow(), { trigger: 'timer', input });
    assert.equal(real.status, 'succeeded', JSON.stringify(real.error));
    for (const id of expected) {
      const i = stored(id);
      assert.equal(i.assignedTo, 'triage@contoso.com');
      assert.ok(i.customTags.includes('stale'));
      assert.equal(riposteComments(id).length, 1);
    }
    const afterReal = snapshot();
    const rerun = await run(workflow(), { trigger: 'timer', input });
    assert.equal(rerun.status, 'stopped');
    assert.equal(rerun.stopReason, 'No open incident has gone 1 days without an update');
    assert.equal(snapshot(), afterReal);
  });

  it('an API outage midway (injected faults) fails the run; the next run finishes the half-done incidents', async () => {
    const expected = staleIds();
    const state = freshState();
    // Once the first comment has reached the API, the incident API refuses everything (403, not retried).
    let injected = false;
    const faulty: DefenderClient = {
      backend: defender.backend,
      runHuntingQuery: (q, o) => defender.runHuntingQuery(q, o),
      listIncidents: (f, o) => defender.listIncidents(f, o),
      getIncident: (id, o) => defender.getIncident(id, o),
      updateIncident: (id, u, o) => defender.updateIncident(id, u, o),
      addComment: async (id, text, o) => {
        await defender.addComment(id, text, o);
        if (!injected) {
          injected = true;
          sb.control.injectFaults({ target: 'incidents', status: 403 });
        }
      },
    };
    const failed = await engine(state, { defender: faulty, now: tomorrow })(workflow(), { trigger: 'timer', input });
    assert.equal(failed.status, 'failed');
    assert.equal(failed.error?.code, 'FORBIDDEN');
    sb.control.clearFaults();
    // Comments already in flight when the faults began may have landed; at least the first did, not all.
    const commented = expected.filter((id) => riposteComments(id).length > 0).length;
    assert.ok(commented >= 1 && commented < expected.length, `commented before the outage: ${commented}`);
    const halfDone = expected.filter(
      (id) => stored(id).customTags.includes('stale') && riposteComments(id).length === 0,
    );

    const resumed = await engine(state, { now: tomorrow })(workflow(), { trigger: 'timer', input });
    // 'stopped' when every incident had been tagged before the outage (nothing left after the resumed writes).
    assert.ok(resumed.status === 'succeeded' || resumed.status === 'stopped', JSON.stringify(resumed.error));
    assert.equal(resumed.window?.resumed, true);
    // Tagged incidents are no longer listed as candidates: only their pending records could finish them.
    // A write whose comment landed just as the outage began may still be pending too (its "done" record never got
    // written), so it is resumed as well: resumed ⊇ half-done, and only ever stale incidents.
    const resumedIds = resumed.resumedWrites?.map((c) => c.incidentId) ?? [];
    for (const id of halfDone) assert.ok(resumedIds.includes(id), `half-done incident ${id} was not resumed`);
    for (const id of resumedIds) assert.ok(expected.includes(id), `resumed a write for ${id}, which is not stale`);
    for (const id of expected) {
      const i = stored(id);
      assert.equal(i.assignedTo, 'triage@contoso.com', id);
      assert.deepEqual(
        i.customTags.filter((t) => t === 'stale'),
        ['stale'],
        id,
      );
      assert.equal(riposteComments(id).length, 1, `incident ${id}: ${JSON.stringify(i.comments)}`);
    }
  });
});

describe('ticket-closed-resolve (webhook input → resolve with mapped verdict)', () => {
  const workflow = (): Workflow => {
    const wf = workflows.get('ticket-closed-resolve');
    assert.ok(wf);
    return wf;
  };
  const openId = (): string => {
    const i = sb.control.incidents().find((x) => x.status === 'active');
    assert.ok(i);
    return String(i.id);
  };

  it('dry run, resolve, redelivery: the verdict is mapped from the close code and applied once', async () => {
    const id = openId();
    const state = freshState();
    const run = engine(state);
    const input = { incidentId: id, ticketId: 'INC0012345', closeCode: 'True Positive - Malware' };
    const before = snapshot();
    const dry = await run(workflow(), { trigger: 'webhook', input, idempotencyKey: 'sn-1', dryRun: true });
    assert.equal(dry.status, 'succeeded', JSON.stringify(dry.error));
    const [change] = dry.steps.find((s) => s.id === 'resolve')?.changes ?? [];
    assert.deepEqual(change?.patch, {
      status: 'resolved',
      classification: 'truePositive',
      determination: 'malware',
      tags: [...stored(id).customTags, 'ticket:INC0012345'],
    });
    assert.match(
      change?.comment ?? '',
      /^Resolved because ticket INC0012345 was closed with 'True Positive - Malware' \(truePositive \/ malware\)\. — \[riposte:[0-9a-f]{8}\]$/,
    );
    assert.equal(snapshot(), before);

    const real = await run(workflow(), { trigger: 'webhook', input, idempotencyKey: 'sn-1' });
    assert.equal(real.status, 'succeeded', JSON.stringify(real.error));
    const i = stored(id);
    assert.deepEqual([i.status, i.classification, i.determination], ['resolved', 'truePositive', 'malware']);
    assert.ok(i.customTags.includes('ticket:INC0012345'));
    assert.deepEqual(riposteComments(id), [change?.comment]);

    const redelivered = await run(workflow(), { trigger: 'webhook', input, idempotencyKey: 'sn-1' });
    assert.equal(redelivered.status, 'stopped');
    assert.equal(redelivered.stopReason, `Incident ${id} is already resolved; its verdict is left as it is`);
    assert.equal(riposteComments(id).length, 1);
  });

  it('leaves an unmapped close code to the analyst', async () => {
    const id = openId();
    const before = snapshot();
    const r = await engine(freshState())(workflow(), {
      trigger: 'http',
      input: { incidentId: id, ticketId: 'SEC-9', closeCode: 'Duplicate' },
    });
    assert.equal(r.status, 'stopped');
    assert.equal(r.stopReason, "Close code 'Duplicate' of SEC-9 has no mapping; the analyst classifies it in Defender");
    assert.equal(snapshot(), before);
  });

  it('refuses input that does not match the declaration, naming the field', async () => {
    await assert.rejects(
      engine(freshState())(workflow(), { trigger: 'webhook', input: { incidentId: '1', closeCode: 'False Positive' } }),
      (e: unknown) =>
        e instanceof InputError && e.field === 'input.ticketId' && e.message === 'input.ticketId is required',
    );
  });

  it('a crash between resolving and commenting is finished by the redelivery, with one comment', async () => {
    const id = openId();
    const state = freshState();
    const crash = crashing(defender, state, (method) => (method === 'addComment' ? 'before' : undefined));
    const input = { incidentId: id, ticketId: 'SEC-42', closeCode: 'false positive' };
    const crashed = await runWorkflow(
      workflow(),
      { trigger: 'webhook', input, idempotencyKey: 'jira-7' },
      { defender: crash.defender, queries, state: crash.state },
    );
    assert.equal(crashed.status, 'failed');
    assert.equal(stored(id).status, 'resolved');
    assert.equal(riposteComments(id).length, 0);

    const redelivered = await engine(state)(workflow(), { trigger: 'webhook', input, idempotencyKey: 'jira-7' });
    assert.equal(redelivered.status, 'stopped');
    assert.deepEqual(
      redelivered.resumedWrites?.map((c) => [c.incidentId, c.outcome]),
      [[id, 'applied']],
    );
    const i = stored(id);
    assert.deepEqual([i.classification, i.determination], ['falsePositive', 'clean']);
    assert.equal(riposteComments(id).length, 1);
    assert.deepEqual(
      i.customTags.filter((t) => t === 'ticket:SEC-42'),
      ['ticket:SEC-42'],
    );
  });
});
