// The contract between the engine and the step modules. A step module checks its input once at load (where the
// values are literal) and again at run time (after templates are evaluated), then does one kind of work.
import type { AlertUpdate } from '../defender/alertTypes';
import type { ApiTarget } from '../clouds';
import type { DefenderClient, IncidentComment, IncidentUpdate } from '../defender/types';
import type { DefenderHttp } from '../http/defenderHttp';
import type { ActionFollowUps } from '../mde/followUpTypes';
import type { MachineActionRequest } from '../mde/types';
import type { Logger } from '../logger';
import type { NotifyServices } from '../notify';
import type { QueryLibrary } from '../queries/types';
import type { TimeWindow } from '../state/types';
import type { CompiledValue } from '../workflows/expressions';

/**
 * What a response write acts on when it is not an incident or alert: a device (MDE machine id), a user (Entra object
 * id or UPN), an indicator ("<indicatorType>:<value>"), a ticket ("servicenow:<sys_id>", "jira:<issue key>"), a
 * Teams channel or an HTTP callback (a short hash of the URL: never the URL, which holds a secret).
 */
export interface StepTarget {
  kind: 'device' | 'user' | 'indicator' | 'ticket' | 'teams' | 'callback';
  id: string;
}

/** What a write step did, or would do, to one incident. `patch` holds only the fields sent, tags as the full list. */
export interface StepChange {
  /** The incident written to; for an alert write, the alert's incident; '' when the write concerns none. */
  incidentId: string;
  /** Set on response writes (device actions, indicators, identity, notifications): what was acted on. */
  target?: StepTarget;
  /** Set on alert writes (updateAlert, commentAlert): the alert written to. */
  alertId?: string;
  patch: Record<string, unknown>;
  /** Response writes: the exact request sent, or in a dry run the one that would be (path relative to the API root). */
  request?: { method: string; path: string; body?: unknown };
  /** Device actions: the MDE machine action requested or adopted, and its status when the step ended. */
  machineAction?: { id: string; type: string; status: string };
  /** The comment text as written to the incident (marker included). */
  comment?: string;
  /** applied: sent now. wouldApply: dry run. alreadyDone: an earlier run made it. unchanged: the incident already matched. */
  outcome: 'applied' | 'wouldApply' | 'alreadyDone' | 'unchanged';
  /**
   * The write was started by an earlier attempt (a crashed or failed run) and finished, or found finished, by this
   * run: replayed from its pending record before the steps ran, or resumed by the step itself.
   */
  replayed?: true;
}

// Changes a step made before it failed (the PATCH landed, then the comment failed), carried beside the error it
// throws so the engine reports them: every change the run made appears in its report.
const partialChanges = new WeakMap<object, StepChange[]>();

/** Attaches the changes made before `error` to it; @returns the error, to rethrow. */
export function withChanges<E>(error: E, changes: StepChange[]): E {
  if (typeof error === 'object' && error !== null && changes.length > 0) partialChanges.set(error, changes);
  return error;
}

/** The changes a failed step made before failing (none for most failures). */
export const changesBefore = (error: unknown): StepChange[] =>
  (typeof error === 'object' && error !== null ? partialChanges.get(error) : undefined) ?? [];

export interface StepResult {
  /** What later steps read as $steps.<id>. Kept in memory only: never logged (hunting rows stay out of logs). */
  output: unknown;
  counts: Record<string, number>;
  changes: StepChange[];
}

/** Everything needed to make one write at most once. Implemented by the engine over the StateStore. */
export interface WriteGuard {
  /**
   * @param incidentId - the incident written to.
   * @param intent - the requested change (hashed into the key for findings; JSON-serialisable).
   * @returns the write's key, its 8-hex marker id and whether it was already completed.
   */
  prepare(incidentId: string, intent: unknown): Promise<PreparedWrite>;
}

export interface PreparedWrite {
  key: string;
  /** Short hash of the key, written into comment markers: "[riposte:ab12cd34]". */
  markerId: string;
  /** An earlier run completed this write. */
  done: boolean;
  /** An earlier attempt started this write and may or may not have made it. */
  pending: boolean;
  /**
   * Takes ownership of the write (state pending).
   * @returns 'fresh' for a first attempt, 'resumed' when an earlier attempt may have gone part way (check before
   *   repeating a non-idempotent call), 'done' when another run finished it meanwhile.
   * @throws {InProgressError} WRITE_IN_PROGRESS (409, Retry-After = the lease left) when another live run holds it.
   */
  claim(replay?: ReplayableWrite): Promise<'fresh' | 'resumed' | 'done'>;
  /** Marks the write complete; re-runs skip it from now on. */
  complete(): Promise<void>;
  /**
   * Lets the claim go (the pending record is deleted if this attempt still holds it): the API refused the change,
   * or nothing was sent. The next attempt starts fresh, at once.
   */
  release(): Promise<void>;
  /**
   * Keeps the write pending with its intent but ends its lease: the outcome is unknown and could not be read back,
   * so the very next attempt (any run of the workflow) finishes it through replay instead of waiting for the lease.
   */
  suspend(): Promise<void>;
}

/** What a later attempt needs to finish a write on its own: the update (tags as add/remove) and the marked comment. */
export interface ReplayableWrite {
  update?: IncidentUpdate;
  comment?: string;
  /** An alert write (Graph alerts_v2): `alertUpdate` and `comment` go to this alert, not to an incident. */
  alertId?: string;
  alertUpdate?: AlertUpdate;
  /** A device action (MDE): the machine, the action and the marked `Comment` that identifies it on the device. */
  device?: { machineId: string; request: MachineActionRequest; comment: string };
}

export interface StepRuntime {
  defender: DefenderClient;
  /** One HTTP client per API (deps.apis): Graph, legacy, MDE. Absent in engine tests built without them. */
  apis?: Readonly<Record<ApiTarget, DefenderHttp>> | undefined;
  /** Where device actions still open at the end of their step are recorded for a later check (absent: no storage). */
  followUps?: ActionFollowUps | undefined;
  /** The run's id (async runs: the status URL's run), for records that point back at it. */
  runId?: string;
  queries: QueryLibrary;
  logger: Logger;
  workflow: string;
  stepId: string;
  dryRun: boolean;
  /** The scheduled run's window, if any. */
  window: TimeWindow | undefined;
  writes: WriteGuard;
  /** Appends Riposte's marker (" — [riposte:<id>]") to a comment. */
  markComment(text: string, markerId: string): string;
  /** True when one of the comments carries the marker of this write. */
  hasMarker(comments: readonly IncidentComment[], markerId: string): boolean;
  /** Serialises writes to one incident within a run (tag merges are read-modify-write). */
  withIncidentLock<T>(incidentId: string, fn: () => Promise<T>): Promise<T>;
  signal: AbortSignal | undefined;
  /** Teams, Jira and ServiceNow clients (notification and write-back steps). */
  notify?: NotifyServices;
}

export interface LoadCheckContext {
  queries: QueryLibrary;
}

/** Reports a load-time problem at a path relative to the step's `input` ('' for input itself, '.query', '.params.x'). */
export type Report = (relPath: string, message: string) => void;

export interface ActionModule<I> {
  /** Set (to the Graph API it calls) on steps only Microsoft Graph serves: refused at load when DEFENDER_API=legacy. */
  graphOnly?: string;
  /**
   * Set on destructive actions (isolate, restrict execution, disable an account, block an indicator), naming the
   * action for the approver ("isolate device"): such a step runs only after approval unless it says `approval: none`.
   */
  destructive?: string;
  /** What a destructive step acts on, from its parsed input: shown to the approver (page, card, callback). */
  subject?(input: I): { target?: StepTarget; incidentId?: string };
  /** Load-time checks beyond the JSON Schema (query names, parameter types, enum combinations of literal values). */
  check?(input: CompiledValue, ctx: LoadCheckContext, report: Report): void;
  /** Run-time validation of the evaluated input. @throws {InputError} naming the field (relative to input). */
  parse(value: unknown, backend: DefenderClient['backend']): I;
  run(input: I, rt: StepRuntime): Promise<StepResult>;
}
