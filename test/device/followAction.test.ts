// Following a machine action within a step: polls back off (1, 2, 4, 8, 10 s...) until the action is final or the
// step's wait is spent, and a synchronous HTTP invocation's deadline cuts the wait short (the later check then takes
// over) so the run still answers in time.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { withRetryBudget } from '../../shared/http/retryBudget';
import { followAction } from '../../shared/mde/followAction';
import type { MachineActionsClient } from '../../shared/mde/machineActionsClient';
import type { MachineAction } from '../../shared/mde/types';

const action = (status: string): MachineAction => ({ id: 'a', type: 'Isolate', scope: 'Full', status, machineId: 'm' });

function fakes(statuses: string[]) {
  let t = 0;
  const sleeps: number[] = [];
  const client = { getAction: async () => action(statuses.shift() ?? 'InProgress') } as unknown as MachineActionsClient;
  return {
    client,
    sleeps,
    o: {
      now: () => t,
      sleep: async (ms: number) => {
        sleeps.push(ms);
        t += ms;
      },
    },
  };
}

describe('followAction', () => {
  it('polls with backoff until the action is final', async () => {
    const f = fakes(['Pending', 'InProgress', 'InProgress', 'Succeeded']);
    const end = await followAction(f.client, action('Pending'), 60_000, f.o);
    assert.equal(end.status, 'Succeeded');
    assert.deepEqual(f.sleeps, [1000, 2000, 4000, 8000]);
  });

  it('stops when the wait is spent, leaving the action open', async () => {
    const f = fakes([]);
    const end = await followAction(f.client, action('Pending'), 20_000, f.o);
    assert.equal(end.status, 'InProgress');
    assert.equal(
      f.sleeps.reduce((a, b) => a + b, 0),
      20_000,
    );
  });

  it("an HTTP invocation's deadline cuts a long wait short, 15 s before it", async () => {
    const f = fakes([]);
    const end = await withRetryBudget({ maxRetries: 0, deadline: 40_000 }, () =>
      followAction(f.client, action('Pending'), 600_000, f.o),
    );
    assert.equal(end.status, 'InProgress');
    assert.equal(
      f.sleeps.reduce((a, b) => a + b, 0),
      25_000,
    );
  });
});
