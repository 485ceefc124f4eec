// Follows a machine action within a step: GET /api/machineactions/{id} (get-machineaction-object.md) until it is
// final or the step's `wait` is spent. Polls start at a second and back off to ten, so a slow action costs a few
// calls of the 100-a-minute quota, not one a second.
import { abortableSleep } from '../http/defenderHttp';
import type { MachineActionsClient } from './machineActionsClient';
import { isFinalStatus, type MachineAction } from './types';

const FIRST_POLL_MS = 1000;
const MAX_POLL_MS = 10_000;

export async function followAction(
  client: MachineActionsClient,
  action: MachineAction,
  waitMs: number,
  o: {
    signal?: AbortSignal | undefined;
    now?: () => number;
    sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
  },
): Promise<MachineAction> {
  const now = o.now ?? Date.now;
  const sleep = o.sleep ?? abortableSleep;
  const until = now() + waitMs;
  let current = action;
  let pause = FIRST_POLL_MS;
  while (!isFinalStatus(current.status)) {
    const left = until - now();
    if (left <= 0) break;
    await sleep(Math.min(pause, left), o.signal);
    pause = Math.min(pause * 2, MAX_POLL_MS);
    current = await client.getAction(current.id, o.signal ? { signal: o.signal } : {});
  }
  return current;
}
