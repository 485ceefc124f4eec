// Timer trigger for one function: fires on an NCRONTAB schedule in UTC, never runs two invocations of the same
// timer at once (the host's singleton lock), reports `IsPastDue` when an occurrence runs late, and applies the
// function-level `retry` policy (fixedDelay / exponentialBackoff) within one run.
//
// Deliberate choice: occurrences missed while a run was still going (or while the process was suspended) are
// coalesced into ONE immediate catch-up run with IsPastDue=true, which is what the host's schedule monitor does for
// occurrences missed across a restart.
import type { RpcRetryOptions } from './fakeCore';
import type { Invoker } from './invoker';
import type { NcrontabSchedule } from './ncrontab';

export interface TimerRunnerOptions {
  functionName: string;
  schedule: NcrontabSchedule;
  runOnStartup: boolean;
  retry?: RpcRetryOptions;
  invoker: Invoker;
  log: (message: string) => void;
  /** A firing this much later than its occurrence counts as past due (timer jitter stays well below). */
  lateToleranceMs?: number;
}

/** setTimeout's ceiling (about 24.8 days); longer waits are chained. */
const MAX_TIMEOUT_MS = 2 ** 31 - 1;

export class TimerRunner {
  readonly #o: TimerRunnerOptions;
  readonly #tolerance: number;
  #stopped = false;
  #started = false;
  #loop: Promise<void> | undefined;
  readonly #sleepers = new Set<() => void>();
  /** Serialises every run of this timer, scheduled or manual. */
  #lock: Promise<void> = Promise.resolve();
  #lastOccurrence: Date | undefined;
  #nextOccurrence: Date | undefined;

  constructor(options: TimerRunnerOptions) {
    this.#o = options;
    this.#tolerance = options.lateToleranceMs ?? 1000;
  }

  get nextOccurrence(): Date | undefined {
    return this.#nextOccurrence;
  }

  start(): void {
    if (this.#started) return;
    this.#started = true;
    this.#nextOccurrence = this.#o.schedule.next(new Date());
    this.#loop = this.#run();
  }

  /** Stop firing; waits for a running invocation at most `timeoutMs`. */
  async stop(timeoutMs: number): Promise<void> {
    this.#stopped = true;
    for (const wake of this.#sleepers) wake();
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([this.#loop, new Promise((r) => (timer = setTimeout(r, timeoutMs)))]);
    clearTimeout(timer);
  }

  /** Run now (outside the schedule), waiting for a running invocation first. */
  fire(isPastDue = false, occurrence = new Date()): Promise<void> {
    const run = this.#lock.then(() => this.#runWithRetry(occurrence, isPastDue));
    this.#lock = run.catch(() => undefined);
    return run;
  }

  async #sleepUntil(when: Date): Promise<void> {
    while (!this.#stopped) {
      const ms = when.getTime() - Date.now();
      if (ms <= 0) return;
      await new Promise<void>((resolve) => {
        const wake = () => {
          clearTimeout(timer);
          this.#sleepers.delete(wake);
          resolve();
        };
        const timer = setTimeout(wake, Math.min(ms, MAX_TIMEOUT_MS));
        this.#sleepers.add(wake);
      });
    }
  }

  async #run(): Promise<void> {
    const { schedule } = this.#o;
    if (this.#o.runOnStartup) await this.fire(false);
    let due = schedule.next(new Date());
    let catchUp = false;
    while (!this.#stopped) {
      this.#nextOccurrence = due;
      await this.#sleepUntil(due);
      if (this.#stopped) break;
      const late = Date.now() - due.getTime() > this.#tolerance;
      await this.fire(catchUp || late, due);
      const missed = schedule.prev(new Date());
      if (missed.getTime() > due.getTime()) {
        due = missed;
        catchUp = true;
      } else {
        due = schedule.next(new Date());
        catchUp = false;
      }
    }
  }

  #payload(occurrence: Date, isPastDue: boolean): string {
    const last = this.#lastOccurrence ?? this.#o.schedule.prev(occurrence);
    // Host JSON: the status is the one the previous run left behind, so `Next` is this occurrence.
    return JSON.stringify({
      Schedule: { AdjustForDST: true },
      ScheduleStatus: { Last: last.toISOString(), Next: occurrence.toISOString(), LastUpdated: last.toISOString() },
      IsPastDue: isPastDue,
    });
  }

  #retryDelayMs(retryNumber: number): number {
    const r = this.#o.retry ?? {};
    const ms = (d: { seconds?: number | null } | undefined) => (d?.seconds ?? 0) * 1000;
    if (r.retryStrategy === 'exponentialBackoff') {
      return Math.min(ms(r.maximumInterval), ms(r.minimumInterval) * 2 ** (retryNumber - 1));
    }
    return ms(r.delayInterval);
  }

  async #runWithRetry(occurrence: Date, isPastDue: boolean): Promise<void> {
    const { functionName, invoker, retry, log } = this.#o;
    const maxRetryCount = retry?.maxRetryCount ?? 0;
    const payload = { json: this.#payload(occurrence, isPastDue) };
    let exception: { message?: string; stackTrace?: string } | undefined;
    for (let attempt = 0; ; attempt++) {
      const outcome = await invoker.run(functionName, payload, {
        reason: isPastDue ? 'Timer fired late (past due)' : 'Timer fired',
        ...(retry ? { retryContext: { retryCount: attempt, maxRetryCount, ...(exception ? { exception } : {}) } } : {}),
      });
      if (outcome.ok || !retry || this.#stopped || (maxRetryCount !== -1 && attempt >= maxRetryCount)) break;
      const err = outcome.error instanceof Error ? outcome.error : new Error(String(outcome.error));
      exception = { message: err.message, ...(err.stack ? { stackTrace: err.stack } : {}) };
      const delay = this.#retryDelayMs(attempt + 1);
      log(
        `Functions.${functionName}: retry ${attempt + 1} of ${maxRetryCount === -1 ? '∞' : maxRetryCount} in ${delay}ms`,
      );
      await this.#sleepUntil(new Date(Date.now() + delay));
    }
    this.#lastOccurrence = occurrence;
  }
}
