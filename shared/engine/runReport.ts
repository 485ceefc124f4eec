// What a run returns: enough to audit it (every step's status, counts and changes) and nothing sensitive (no
// hunting rows, no tokens). The same object is the HTTP answer, the CLI output and what the timer logs.
import type { ApprovalInfo } from '../approval/types';
import type { StepChange } from '../steps/types';
import type { TimeWindow } from '../state/types';
import type { TriggerKind } from '../workflows/types';

/**
 * 'interrupted': the caller's stopSignal ended the run (the CLI's Ctrl-C); see RunReport.pendingWrites.
 * 'awaitingApproval': a destructive step waits for a person's decision (RunReport.approvals); the run is parked and
 * resumed once it is decided or expires.
 */
export type RunStatus = 'succeeded' | 'failed' | 'stopped' | 'throttled' | 'interrupted' | 'awaitingApproval';
/**
 * 'interrupted': the step had started when the run was interrupted and did not finish. 'awaitingApproval': a
 * destructive step that has not run yet: its approval is pending.
 */
export type StepStatus = 'succeeded' | 'skipped' | 'failed' | 'dryRun' | 'interrupted' | 'awaitingApproval';

export interface StepErrorInfo {
  code: string;
  message: string;
  /**
   * The field at fault: "input.<name>" when it is the caller's workflow input (the step's value is that input as
   * is), else the step's own input field, e.g. "steps[3] (resolve).input.determination".
   */
  field?: string;
  /** The status the upstream (Defender API, Key Vault) answered, when the failure came from one. */
  upstreamStatus?: number;
  /** The Defender API's request id, to quote to Microsoft support. */
  requestId?: string;
  /** How long the upstream (or a write lease) asked us to wait. */
  retryAfterMs?: number;
}

export interface StepReport {
  id: string;
  kind: string;
  /** Where it is declared, e.g. "steps[2] (eachIncident).input.steps[0] (tag)". */
  path: string;
  /** The enclosing forEach/if step, for nested steps. */
  parent?: string;
  /** Aggregated over executions: failed if any failed, else dryRun/succeeded if any ran, else skipped. */
  status: StepStatus;
  /** How many times it ran (once per forEach item for nested steps). */
  executions: number;
  durationMs: number;
  counts: Record<string, number>;
  changes: StepChange[];
  /** The first error (further ones are counted in counts.errors). */
  error?: StepErrorInfo;
}

/**
 * An HTTP run that went on in the background (answered 202 with a status URL): why, when, and the changes its
 * synchronous part made before (the rest of the run found those done, so its steps list them as 'alreadyDone').
 */
export interface RunHandoff {
  /** 'respond-async': the caller asked (`Prefer: respond-async`); 'deadline' or 'throttled': it would not finish in time. */
  reason: 'respond-async' | 'deadline' | 'throttled' | 'approval';
  at: string;
  changes: StepChange[];
  /** 'approval': the approvals the run waits for. */
  approvals?: ApprovalInfo[];
}

export interface RunReport {
  runId: string;
  workflow: string;
  /** The registry tenant (TENANTS key) the run acted in; absent in a single-tenant deployment. */
  tenant?: string;
  trigger: TriggerKind;
  dryRun: boolean;
  /** On behalf of the caller: the user the run acted for (their UPN and object id); absent when Riposte acted as its app. */
  actingUser?: { upn: string; oid: string };
  status: RunStatus;
  startedAt: string;
  finishedAt: string;
  durationMs: number;
  /** Scheduled runs: the window covered; `resumed` when it is an unfinished run's window covered again. */
  window?: TimeWindow & { resumed: boolean };
  /** Set when a stop step ended the run. */
  stopReason?: string;
  /** Set when the run failed or was throttled. */
  error?: StepErrorInfo;
  /** Milliseconds the API asked us to wait (throttled runs). */
  retryAfterMs?: number;
  /** Writes an interrupted earlier attempt had started, finished by this run before its steps ran. */
  resumedWrites?: StepChange[];
  /**
   * Interrupted runs: writes this run claimed and did not confirm. Each is kept in storage with its intent and
   * finished by the next run of the workflow (at once when it resumes this run's window, else once leaseUntil passes).
   */
  pendingWrites?: { incidentId: string; leaseUntil: string }[];
  /**
   * Approvals the run's destructive steps asked for: pending (the run waits), or decided (approved, rejected,
   * expired) with who decided and when.
   */
  approvals?: ApprovalInfo[];
  /** Asynchronous runs: how the run got to the queue, and what it changed before. */
  handoff?: RunHandoff;
  /** Set on a replayed answer whose stored copy had to be shortened to fit storage: says what was left out. */
  truncated?: string;
  steps: StepReport[];
}
