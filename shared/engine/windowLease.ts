// One run at a time covers a scheduled workflow's window. Azure runs a timer function as a singleton, but a CLI run
// (which uses the window), a run on another trigger with useWindow, or a late tick on a host whose singleton lock
// lapsed can start while another run still covers the pending window. Both would then resume it under the same
// write owner (`w:<window run id>`), take each other's pending writes at once, and add a comment twice. So the
// pending window carries a holder and a lease (shared/state/heartbeat.ts: renewed while the run works): a run that
// finds another live holder does not start (WINDOW_IN_PROGRESS, 409 with Retry-After; the timer skips the tick), a
// run that finds the lease ended — its holder finished without completing, failed, or died — resumes the window.
import { LeaseLostError, type KeptLease } from '../state/heartbeat';
import type { PendingWindow, StateStore } from '../state/types';
import { InProgressError } from './inProgressError';
import { planWindow, type PlannedWindow, type WindowDefaults } from './window';

/** Retry-After when claims kept racing: the racers settle within seconds. */
const CONTENDED_RETRY_MS = 5000;

export interface TakeWindowOptions {
  state: StateStore;
  workflow: string;
  /** This run's id: the holder of the window it claims. */
  runId: string;
  started: Date;
  settings: WindowDefaults;
  leaseMs: number;
  now: () => Date;
}

export interface TakenWindow {
  window: PlannedWindow;
  /** The lease, for the run's heartbeat. */
  lease: KeptLease;
  /** Ends the lease at once (the run stopped without completing the window): the next run resumes it right away. */
  release(): Promise<void>;
}

/**
 * Plans the run's window and claims it: a new window from the watermark, or the pending one once its lease has
 * ended. @throws {InProgressError} WINDOW_IN_PROGRESS when another live run holds the pending window.
 */
export async function takeWindow(o: TakeWindowOptions): Promise<TakenWindow> {
  for (let round = 0; round < 3; round++) {
    const current = await o.state.getWatermark(o.workflow);
    const window = planWindow(current, o.started, o.runId, o.settings);
    const now = o.now().getTime();
    const held = current.pending;
    const leaseLeft = held?.leaseUntil ? Date.parse(held.leaseUntil) - now : 0;
    if (held?.holder !== undefined && held.holder !== o.runId && leaseLeft > 0) {
      throw new InProgressError(
        'WINDOW_IN_PROGRESS',
        `run ${held.holder} is covering the window ${held.start}/${held.end} of workflow '${o.workflow}'; the next run resumes it if that run does not complete it (its lease ends at ${held.leaseUntil})`,
        leaseLeft,
      );
    }
    const claim: PendingWindow = {
      runId: window.runId,
      start: window.start,
      end: window.end,
      startedAt: window.startedAt,
      holder: o.runId,
      leaseUntil: new Date(now + o.leaseMs).toISOString(),
    };
    if (await o.state.claimWindow(o.workflow, claim, held)) {
      const label = `the window ${window.start}/${window.end} of workflow '${o.workflow}'`;
      const moveLease = async (until: number): Promise<boolean> =>
        o.state.renewWindow(o.workflow, window.runId, o.runId, new Date(until).toISOString());
      return {
        window,
        lease: {
          label,
          leaseMs: o.leaseMs,
          async renew() {
            if (!(await moveLease(o.now().getTime() + o.leaseMs))) throw new LeaseLostError(label);
          },
        },
        release: async () => {
          await moveLease(o.now().getTime());
        },
      };
    }
  }
  throw new InProgressError(
    'WINDOW_IN_PROGRESS',
    `the pending window of workflow '${o.workflow}' kept changing under concurrent runs`,
    CONTENDED_RETRY_MS,
  );
}
