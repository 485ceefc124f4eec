// Retry budgets per kind of work (issue 11 item 9), through the local host against the sandbox with the default
// settings: queued and scheduled work rides out a ten-second outage of the Defender API (and of Entra ID) inside the
// invocation: the delivery is applied on its first dequeue, nothing is poisoned, the timer's run succeeds.
// Outages are real: faults injected now and cleared ten seconds later. The HTTP side is httpDeadline.test.ts.
import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';
import { isRiposteComment } from '../../shared/steps';
import { riposteCommentsOf, startHarness, storedIncident, waitFor, type Harness } from './harness';

const OUTAGE_MS = 10_000;
const TIMER = 'workflow-stale-incident-triage';
let h: Harness;

before(async () => {
  // Three dequeues 1 s apart: without in-call retries a 10 s outage would poison the message.
  h = await startHarness({ maxDequeueCount: 3 });
});

after(async () => {
  await h?.close();
});

beforeEach(() => h.sandbox.control.reset());

/** Starts an outage now and ends it OUTAGE_MS later; resolves when it has ended. */
function outage(fault: Parameters<Harness['sandbox']['control']['injectFaults']>[0]): Promise<void> {
  h.sandbox.control.injectFaults(fault);
  return new Promise((resolve) =>
    setTimeout(() => {
      h.sandbox.control.clearFaults();
      resolve();
    }, OUTAGE_MS),
  );
}

const queueAttemptsFailed = (): number => h.logs.filter((l) => /ticket event not applied yet/.test(l)).length;
const timerRuns = (status: string): number =>
  h.logs.filter((l) => l.includes(`${TIMER}`) && l.includes('[engine] run finished') && l.includes(`"${status}"`))
    .length;

function staleIncident(): number {
  const at = new Date(Date.now() - 30 * 86_400_000).toISOString();
  return h.sandbox.control.addIncident({ status: 'active', createdDateTime: at, lastUpdateDateTime: at }).id;
}

describe('queued and scheduled work rides out a 10 s outage', () => {
  it('a queued webhook application: applied on its first dequeue, nothing poisoned', async () => {
    const ended = outage({ target: 'api', status: 503 });
    const failedBefore = queueAttemptsFailed();
    const r = await h.webhook('generic', { incidentId: 3309, status: 'inProgress', comment: 'during the outage' });
    assert.equal(r.status, 202, r.text);
    await ended;
    await waitFor('the delivery applied', () => riposteCommentsOf(h, 3309).length > 0, 60_000);
    await h.host.drainQueues(20_000);
    assert.ok(h.sandbox.control.counters().faulted > 0, 'the outage was met');
    assert.equal(queueAttemptsFailed(), failedBefore, 'no dequeue failed: the call itself waited the outage out');
    assert.equal(storedIncident(h, 3309).status, 'inProgress');
    assert.equal(riposteCommentsOf(h, 3309).length, 1);
    assert.deepEqual(await h.peekQueue(`${h.queueName}-poison`), [], 'nothing poisoned');
  });

  it('a scheduled run during an API outage succeeds', async () => {
    const id = staleIncident();
    const succeeded = timerRuns('succeeded');
    const ended = outage({ target: 'api', status: 503 });
    await h.host.invokeTimer(TIMER);
    await ended;
    assert.ok(h.sandbox.control.counters().faulted > 0, 'the outage was met');
    assert.equal(timerRuns('succeeded'), succeeded + 1, h.logs.slice(-5).join('\n'));
    const triaged = storedIncident(h, id);
    assert.ok(triaged.customTags.includes('stale'));
    assert.equal(triaged.comments.filter((c) => isRiposteComment(c.comment)).length, 1);
  });

  it('a scheduled run during an Entra ID outage (a new token needed) succeeds', async () => {
    const id = staleIncident();
    const succeeded = timerRuns('succeeded');
    h.sandbox.control.revokeTokens();
    const ended = outage({ target: 'token', status: 503 });
    await h.host.invokeTimer(TIMER);
    await ended;
    assert.ok(h.sandbox.control.counters().faulted > 0, 'the token endpoint was down when asked');
    assert.equal(timerRuns('succeeded'), succeeded + 1, h.logs.slice(-5).join('\n'));
    assert.ok(storedIncident(h, id).customTags.includes('stale'));
  });
});
