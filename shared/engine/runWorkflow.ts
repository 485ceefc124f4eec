// The engine: runs one workflow for any trigger (timer, HTTP, webhook, queue, CLI) and returns a RunReport.
// - Input is checked against the workflow's declaration first (InputError naming the field).
// - Scheduled runs get a window from the watermark; it advances only when the run succeeds (or stops on purpose).
// - Dry run (per call, global, or per workflow): read steps run, write steps compute their exact PATCH and change
//   nothing (no API writes, no state writes).
// - Every write goes through a WriteGuard (idempotency key in Table storage), so re-runs and resumed runs add
//   nothing twice. DEFENDER_THROTTLED ends the run as 'throttled' at once and leaves the watermark where it was.
// - What the run holds (its window, its writes in flight) is leased and renewed by one heartbeat while it works
//   (shared/state/heartbeat.ts); a renewal that fails ends the run before it sends anything more.
// - Logs carry ids, statuses and counts; never rows, inputs or comment texts.
import { randomUUID } from 'node:crypto';
import type { ApprovalGate, ApprovalInfo } from '../approval/types';
import type { ApiTarget } from '../clouds';
import type { DefenderClient, IncidentComment } from '../defender/types';
import type { DefenderHttp } from '../http/defenderHttp';
import type { ActionFollowUps } from '../mde/followUpTypes';
import { AppError, DefenderApiError, InputError, isAppError, SecretError, toError } from '../errors';
import { createKeyedLock } from '../keyedLock';
import { silentLogger, type Logger } from '../logger';
import type { NotifyServices } from '../notify';
import type { QueryLibrary } from '../queries/types';
import { ACTIONS, WRITE_KINDS } from '../steps';
import { DEFAULT_MARKER_TEXT, hasMarker, markComment } from '../steps/marker';
import { changesBefore, type StepChange, type StepRuntime, type WriteGuard } from '../steps/types';
import { startHeartbeat, type Heartbeat } from '../state/heartbeat';
import type { StateStore } from '../state/types';
import { evaluateValue, ExpressionError, type EvalContext } from '../workflows/expressions';
import { validateRunInput } from '../workflows/runInput';
import type { ActionStep, ForEachStep, IfStep, Step, StopStep, TriggerKind, Workflow } from '../workflows/types';
import type { RunReport, RunStatus, StepErrorInfo, StepReport } from './runReport';
import { DEFAULT_WINDOW, planWindow, type PlannedWindow, type WindowDefaults } from './window';
import { takeWindow, type TakenWindow } from './windowLease';
import { replayPendingWrites } from './replayWrites';
import { createWriteGuard } from './writeGuard';

export interface RunOptions {
  trigger: TriggerKind;
  /** The trigger input, checked against the workflow's `input:` declaration. */
  input?: unknown;
  /** Run dry for this call (also forced by EngineDeps.dryRun and by the workflow's own `dryRun: true`). */
  dryRun?: boolean;
  runId?: string;
  /** A webhook delivery id or a caller's key: writes are keyed by it, so a redelivery changes nothing. */
  idempotencyKey?: string;
  /** Scheduled workflows use their watermark window on timer runs; set this to use it for another trigger too. */
  useWindow?: boolean;
  signal?: AbortSignal;
  /**
   * Ends the run early without cutting calls short (the CLI's Ctrl-C): once aborted no step, forEach item or write
   * claim starts; calls in flight finish. A call that fails with this signal's reason (the caller made its request
   * stop waiting for a slot) ends its step as 'interrupted'. The run ends 'interrupted' and lists in pendingWrites
   * the writes it claimed and did not confirm, which the next run finishes.
   */
  stopSignal?: AbortSignal;
  /**
   * The caller's heartbeat (it holds a lease of its own: the incident's ticket-event lease, the request's or the
   * asynchronous run's record): the run's leases join it, and a failed renewal of any of them ends the run. Absent,
   * the run starts its own.
   */
  heartbeat?: Heartbeat;
  /**
   * The start of the attempt this run continues (an asynchronous run's queued part): `$now()` evaluates to it, as a
   * resumed window does to its first run's start, so the writes it computes are the same ones.
   */
  startedAt?: string;
}

export interface EngineDeps {
  defender: DefenderClient;
  /** One HTTP client per API (deps.apis): response-action steps call Graph and MDE through them. */
  apis?: Readonly<Record<ApiTarget, DefenderHttp>>;
  /** Records device actions still open when their step ends, for a later check (absent without storage). */
  followUps?: ActionFollowUps;
  queries: QueryLibrary;
  state: StateStore;
  logger?: Logger;
  now?: () => Date;
  /** Word in comment markers (default "riposte"). */
  markerText?: string;
  /** Teams, Jira and ServiceNow clients for the notification steps (absent: those steps fail naming the setting). */
  notify?: NotifyServices;
  /** Global dry-run switch (configuration). */
  dryRun?: boolean;
  /** Defaults for scheduled windows; a workflow's `window:` block overrides them. */
  window?: Partial<WindowDefaults>;
  /**
   * How long a pending write or window blocks other runs once its holder stops renewing it (it died, or lost its
   * storage): the heartbeat renews it every third of this while the run works. Default 60 s (LEASE_SECONDS).
   */
  leaseMs?: number;
  /**
   * The approval gate (shared/approval): destructive steps (ActionModule.destructive) ask it before they run,
   * unless the step says `approval: none`. Absent, such a step fails with CONFIG_INVALID: it never runs unasked.
   */
  approvals?: ApprovalGate;
  /** The registry tenant the run acts in (TENANTS): named in the report and every log line; absent single-tenant. */
  tenant?: string;
  /**
   * The user the run acts for (on behalf of the caller: HTTP_AUTH_MODE bearer): named in the report and in every
   * comment, card and note the run writes, next to the marker.
   */
  actingUser?: ActingUserRef;
}

/** Who a run acts for: UPN (display) and object id (stable), as the caller's token gave them. */
export interface ActingUserRef {
  upn: string;
  oid: string;
}

/** How long a dead run's leases hold up the next one: a minute, against a ten-second renewal round-trip at worst. */
export const DEFAULT_LEASE_MS = 60_000;

/** Ends a run early: a stop step, a failing step with onError 'fail', or throttling. */
class RunHalt extends Error {
  constructor(
    readonly status: Exclude<RunStatus, 'succeeded'>,
    readonly info?: StepErrorInfo,
    readonly retryAfterMs?: number,
  ) {
    super(status);
  }
}

/** A failure already written to the step's report (a forEach whose item failed). */
class RecordedFailure extends Error {
  constructor(readonly info: StepErrorInfo) {
    super(info.message);
  }
}

/** A step input field that is the caller's input as is (`${ $input.incidentId }`) names that input instead. */
function fieldOf(step: Step | undefined, field: string): string {
  if (!step) return field;
  const [head, ...rest] = field.split('.');
  if (step.kind !== 'forEach' && step.kind !== 'if' && step.kind !== 'stop' && step.input.kind === 'object') {
    const value = step.input.entries.find(([k]) => k === head)?.[1];
    const ref = value?.kind === 'expr' ? /^\$input\.([A-Za-z_][\w]*)$/.exec(value.expression.source.trim()) : null;
    if (ref && rest.length === 0) return `input.${ref[1]}`;
  }
  return `${step.path}.input.${field}`;
}

/** What the report says about a failure: the code httpStatusFor maps, and the upstream's status, id and wait. */
function errorInfo(e: unknown, step?: Step): StepErrorInfo {
  const err = toError(e);
  if (err instanceof InputError) return { code: err.code, message: err.message, field: fieldOf(step, err.field) };
  // Input already passed the workflow's declaration, so an expression failing on it is the workflow author's bug:
  // WORKFLOW_ERROR (500). A 4xx would tell the caller to change a request that is not wrong.
  if (err instanceof ExpressionError) return { code: 'WORKFLOW_ERROR', message: err.message };
  if (err instanceof DefenderApiError) {
    return {
      code: err.code,
      message: err.message,
      ...(err.status !== undefined ? { upstreamStatus: err.status } : {}),
      ...(err.requestId !== undefined ? { requestId: err.requestId } : {}),
      ...(err.retryAfterMs !== undefined ? { retryAfterMs: err.retryAfterMs } : {}),
    };
  }
  if (err instanceof SecretError)
    return {
      code: err.code,
      message: err.message,
      ...(err.status !== undefined ? { upstreamStatus: err.status } : {}),
    };
  if (isAppError(err)) {
    const wait = (err as { retryAfterMs?: unknown }).retryAfterMs;
    return { code: err.code, message: err.message, ...(typeof wait === 'number' ? { retryAfterMs: wait } : {}) };
  }
  return { code: 'STEP_FAILED', message: err.message };
}

const isThrottled = (e: unknown): e is DefenderApiError => isAppError(e) && e.code === 'DEFENDER_THROTTLED';

function truthy(v: unknown): boolean {
  if (Array.isArray(v)) return v.length > 0;
  return Boolean(v);
}

/** Every step, in declaration order, flattened with its parent, so the report lists steps that never ran too. */
function flatten(steps: Step[], parent: string | undefined, out: StepReport[]): StepReport[] {
  for (const s of steps) {
    out.push({
      id: s.id,
      kind: s.kind,
      path: s.path,
      ...(parent ? { parent } : {}),
      status: 'skipped',
      executions: 0,
      durationMs: 0,
      counts: {},
      changes: [],
    });
    if (s.kind === 'forEach') flatten(s.steps, s.id, out);
    if (s.kind === 'if') flatten([...s.then, ...s.else], s.id, out);
  }
  return out;
}

/**
 * A write guard whose claims fail with the reason of the first of `signals` aborted: no write starts after a stop
 * or once a lease is lost.
 */
function refuseAfter(guard: WriteGuard, signals: (AbortSignal | undefined)[]): WriteGuard {
  return {
    async prepare(incidentId, intent) {
      const write = await guard.prepare(incidentId, intent);
      return {
        ...write,
        claim: (replay) => {
          const aborted = signals.find((s) => s?.aborted);
          if (aborted) return Promise.reject(aborted.reason as Error);
          return write.claim(replay);
        },
      };
    },
  };
}

/** Runs with an idempotency key take turns in this process, by workflow and key. */
const keyedRuns = createKeyedLock();

/**
 * Runs a loaded workflow.
 * Runs with the same idempotency key (a webhook event queued twice, a caller retrying while its first call still
 * runs) take turns within a process: both would otherwise own the same pending writes at once, and both would add
 * the comment before either could see the other's marker. The later run then finds every write done.
 * @throws {InputError} when the input does not match the workflow's declaration (nothing has run then).
 * @returns the run report; step failures and throttling are reported in it, not thrown.
 */
export async function runWorkflow(workflow: Workflow, options: RunOptions, deps: EngineDeps): Promise<RunReport> {
  if (options.idempotencyKey === undefined) return runOnce(workflow, options, deps);
  return keyedRuns(`${workflow.name}\n${options.idempotencyKey}`, () => runOnce(workflow, options, deps));
}

async function runOnce(workflow: Workflow, options: RunOptions, deps: EngineDeps): Promise<RunReport> {
  const clock = deps.now ?? ((): Date => new Date());
  const logger = deps.logger ?? silentLogger;
  const markerText = deps.markerText ?? DEFAULT_MARKER_TEXT;
  const runId = options.runId ?? randomUUID();
  const started = clock();
  const dryRun = options.dryRun === true || deps.dryRun === true || workflow.dryRun;
  const input = validateRunInput(workflow, options.input);

  const windowed =
    workflow.triggers.schedule !== undefined && (options.trigger === 'timer' || options.useWindow === true);
  const leaseMs = deps.leaseMs ?? DEFAULT_LEASE_MS;
  let window: PlannedWindow | undefined;
  let taken: TakenWindow | undefined;
  if (windowed) {
    const settings: WindowDefaults = {
      ingestionDelayMs:
        workflow.window.ingestionDelayMs ?? deps.window?.ingestionDelayMs ?? DEFAULT_WINDOW.ingestionDelayMs,
      initialLookbackMs:
        workflow.window.initialLookbackMs ?? deps.window?.initialLookbackMs ?? DEFAULT_WINDOW.initialLookbackMs,
      maxWindowMs: workflow.window.maxWindowMs ?? deps.window?.maxWindowMs ?? DEFAULT_WINDOW.maxWindowMs,
    };
    // A dry run writes no state: it plans the window it would cover and claims nothing.
    if (dryRun) window = planWindow(await deps.state.getWatermark(workflow.name), started, runId, settings);
    else {
      taken = await takeWindow({
        state: deps.state,
        workflow: workflow.name,
        runId,
        started,
        settings,
        leaseMs,
        now: clock,
      });
      window = taken.window;
    }
  }
  const heartbeat = options.heartbeat ?? startHeartbeat({ logger, component: 'engine' });
  const unkeepWindow = taken ? heartbeat.keep(taken.lease) : undefined;
  const leaseSignal = heartbeat.signal;
  // Calls stop at once when the run loses a lease: what it holds may be another instance's by now.
  const signal = options.signal ? AbortSignal.any([options.signal, leaseSignal]) : leaseSignal;
  // The attempt that owns pending writes: stable across a crash and its resumption.
  const owner = window
    ? `w:${window.runId}`
    : options.idempotencyKey !== undefined
      ? `d:${options.idempotencyKey}`
      : `r:${runId}`;
  const evalNow = window?.resumed
    ? new Date(window.startedAt)
    : options.startedAt !== undefined
      ? new Date(options.startedAt)
      : started;

  const logProps = {
    runId,
    workflow: workflow.name,
    trigger: options.trigger,
    dryRun,
    ...(deps.tenant !== undefined ? { tenant: deps.tenant } : {}),
  };
  logger.info('[engine] run started', {
    ...logProps,
    ...(window ? { window: { start: window.start, end: window.end, resumed: window.resumed } } : {}),
  });

  const markerFns = {
    markComment: (text: string, id: string): string =>
      markComment(
        deps.actingUser ? `${text.trimEnd()} (on behalf of ${deps.actingUser.upn}, ${deps.actingUser.oid})` : text,
        id,
        markerText,
      ),
    hasMarker: (comments: readonly IncidentComment[], id: string): boolean => hasMarker(comments, id, markerText),
  };
  const reports = flatten(workflow.steps, undefined, []);
  const reportOf = new Map(reports.map((r) => [r.id, r]));
  // Tag merges are read-modify-write, and two forEach items may hit one incident.
  const lock = createKeyedLock();
  const evalBase: Omit<EvalContext, 'steps'> = {
    input,
    workflow: { name: workflow.name },
    run: {
      id: runId,
      trigger: options.trigger,
      dryRun,
      ...(window ? { window: { start: window.start, end: window.end } } : {}),
    },
    now: evalNow,
  };
  let halt: RunHalt | undefined;
  let stopReason: string | undefined;
  const approvals: ApprovalInfo[] = [];
  const stopSignal = options.stopSignal;
  const interruptedInfo = (): StepErrorInfo => ({
    code: 'RUN_INTERRUPTED',
    message: stopSignal?.reason instanceof Error ? stopSignal.reason.message : 'the run was interrupted',
  });
  /** True once the caller asked the run to stop; the first caller to see it sets the halt. */
  const stopRequested = (): boolean => {
    if (stopSignal?.aborted !== true) return false;
    halt ??= new RunHalt('interrupted', interruptedInfo());
    return true;
  };
  const isStop = (e: unknown): boolean => stopSignal?.aborted === true && e === stopSignal.reason;
  /** True once a lease of the run could not be renewed: the run ends failed, with what the renewal met. */
  const leaseLost = (): boolean => {
    if (!leaseSignal.aborted) return false;
    if (!halt) {
      const info = errorInfo(leaseSignal.reason);
      halt = new RunHalt('failed', { ...info, message: `the run stopped: ${info.message}` });
    }
    return true;
  };

  function record(
    step: Step,
    outcome: {
      status: StepReport['status'];
      ms: number;
      counts?: Record<string, number>;
      changes?: StepChange[];
      error?: StepErrorInfo;
    },
  ): void {
    const r = reportOf.get(step.id);
    if (!r) return;
    r.executions++;
    r.durationMs += outcome.ms;
    for (const [k, v] of Object.entries(outcome.counts ?? {})) r.counts[k] = (r.counts[k] ?? 0) + v;
    r.changes.push(...(outcome.changes ?? []));
    const rank = { skipped: 0, succeeded: 1, dryRun: 2, awaitingApproval: 3, interrupted: 4, failed: 5 } as const;
    if (rank[outcome.status] > rank[r.status]) r.status = outcome.status;
    if (outcome.error) {
      if (r.error) r.counts.errors = (r.counts.errors ?? 1) + 1;
      else r.error = outcome.error;
    }
  }

  /** Runs a list of steps; returns true when one of them failed and was allowed to continue. */
  async function runList(
    steps: Step[],
    scope: Record<string, unknown>,
    item: { item: unknown; index: number } | undefined,
  ): Promise<boolean> {
    let anyFailed = false;
    for (const step of steps) {
      if (halt) return anyFailed;
      if (stopRequested() || leaseLost()) throw halt;
      // Spelled out, not spread: a forEach builds one per item, and spreading two objects into one (V8's slow path)
      // left about 60 MB more in the old generation over 100,000 items (--trace-gc-nvp, bench hunt100k).
      const ctx: EvalContext = {
        input: evalBase.input,
        workflow: evalBase.workflow,
        run: evalBase.run,
        now: evalBase.now,
        steps: scope,
        item: item?.item,
        index: item?.index,
      };
      const t0 = Date.now();
      try {
        if (step.when && !truthy(await step.when.evaluate(ctx))) {
          record(step, { status: 'skipped', ms: Date.now() - t0 });
          continue;
        }
        anyFailed = (await runStep(step, ctx, scope, t0)) || anyFailed;
      } catch (e) {
        if (e instanceof RunHalt) throw e;
        if (isStop(e)) {
          // Its wait for a quota slot (or a retry) was cut by the stop: not a failure. What it changed before counts.
          const changes = changesBefore(e);
          record(step, { status: 'interrupted', ms: Date.now() - t0, error: interruptedInfo(), changes });
          logChanges(step.id, changes);
          stopRequested();
          throw halt;
        }
        const info = e instanceof RecordedFailure ? e.info : errorInfo(e, step);
        if (!(e instanceof RecordedFailure)) {
          // What the step changed before it failed is in the report too.
          const changes = changesBefore(e);
          record(step, { status: 'failed', ms: Date.now() - t0, error: info, changes });
          logChanges(step.id, changes);
        }
        if (isThrottled(e)) throw new RunHalt('throttled', info, e.retryAfterMs);
        logger.warn('[engine] step failed', { ...logProps, step: step.id, code: info.code, message: info.message });
        if (step.onError === 'fail') {
          // Nested failures already name their own path; prefix only the step where the failure happened.
          throw new RunHalt(
            'failed',
            e instanceof RecordedFailure ? info : { ...info, message: `${step.path}: ${info.message}` },
          );
        }
        scope[step.id] = { failed: true, error: { code: info.code, message: info.message } };
        anyFailed = true;
      }
    }
    return anyFailed;
  }

  async function runStep(step: Step, ctx: EvalContext, scope: Record<string, unknown>, t0: number): Promise<boolean> {
    switch (step.kind) {
      case 'forEach':
        return runForEach(step, ctx, scope, t0);
      case 'if':
        return runIf(step, ctx, scope, t0);
      case 'stop':
        return runStop(step, ctx, t0);
      default:
        await runAction(step, ctx, scope, t0);
        return false;
    }
  }

  async function runAction(
    step: ActionStep,
    ctx: EvalContext,
    scope: Record<string, unknown>,
    t0: number,
  ): Promise<void> {
    const action = ACTIONS[step.kind];
    const parsed = action.parse(await evaluateValue(step.input, ctx), deps.defender.backend);
    const destructive = action.destructive !== undefined && (action.destructiveFor?.(parsed) ?? true);
    if (destructive && action.destructive && !dryRun && step.approval?.mode !== 'none') {
      if (!deps.approvals && deps.actingUser)
        throw new AppError(
          'APPROVAL_NEEDS_APP_CONTEXT',
          `${step.kind} (${action.destructive}) runs only after approval, which a run on behalf of ${deps.actingUser.upn} cannot wait for (the approved run would be finished as the app, not as the user): run this workflow as the app (the function key, or riposte run without --user), or set approval: none on the step`,
        );
      if (!deps.approvals)
        throw new AppError(
          'CONFIG_INVALID',
          `${step.kind} (${action.destructive}) runs only after approval, and no approval store is configured (AzureWebJobsStorage); set approval: none on the step to run it unasked`,
        );
      const subject = action.subject?.(parsed) ?? {};
      const info = await deps.approvals.check({
        workflow: workflow.name,
        runId,
        owner,
        trigger: options.trigger,
        stepId: step.id,
        action: action.destructive,
        ...subject,
        input: parsed,
        approval: step.approval,
      });
      approvals.push(info);
      if (info.state === 'pending') {
        record(step, { status: 'awaitingApproval', ms: Date.now() - t0, counts: { awaitingApproval: 1 } });
        throw new RunHalt('awaitingApproval');
      }
      if (info.state !== 'approved') {
        // Rejected, or no decision in time (a timeout counts as rejection): the action does not happen, and the run
        // ends here on purpose.
        record(step, { status: 'succeeded', ms: Date.now() - t0, counts: { [info.state]: 1 } });
        stopReason = `${step.path}: ${action.destructive} was ${info.state} (${info.decidedBy ?? 'unknown'}, ${info.decidedAt ?? info.expiresAt})`;
        throw new RunHalt('stopped');
      }
    }
    const runtime: StepRuntime = {
      defender: deps.defender,
      apis: deps.apis,
      followUps: deps.followUps,
      runId,
      queries: deps.queries,
      logger,
      workflow: workflow.name,
      stepId: step.id,
      dryRun,
      window: window ? { start: window.start, end: window.end } : undefined,
      writes: refuseAfter(
        createWriteGuard({
          state: deps.state,
          workflow: workflow.name,
          stepId: step.id,
          runId,
          owner,
          idempotencyKey: options.idempotencyKey,
          now: clock,
          leaseMs,
          heartbeat,
        }),
        [stopSignal, leaseSignal],
      ),
      ...markerFns,
      withIncidentLock: lock,
      signal,
      ...(deps.notify ? { notify: deps.notify } : {}),
    };
    const result = await action.run(parsed, runtime);
    scope[step.id] = result.output;
    const status = dryRun && WRITE_KINDS.has(step.kind) ? 'dryRun' : 'succeeded';
    record(step, { status, ms: Date.now() - t0, counts: result.counts, changes: result.changes });
    logChanges(step.id, result.changes);
  }

  /**
   * One event per incident touched: the audit trail in Application Insights. Field names only, never values or
   * comment texts (they can hold hunting results).
   */
  function logChanges(stepId: string | undefined, changes: StepChange[]): void {
    for (const c of changes) {
      logger.info('[engine] change', {
        ...logProps,
        ...(stepId !== undefined ? { step: stepId } : {}),
        incidentId: c.incidentId,
        ...(c.alertId !== undefined ? { alertId: c.alertId } : {}),
        outcome: c.outcome,
        fields: Object.keys(c.patch),
        ...(c.comment !== undefined ? { comment: true } : {}),
        ...(c.replayed ? { replayed: true } : {}),
      });
    }
  }

  async function runForEach(
    step: ForEachStep,
    ctx: EvalContext,
    scope: Record<string, unknown>,
    t0: number,
  ): Promise<boolean> {
    const raw = await step.items.evaluate(ctx);
    // JSONata turns a one-element result into the element itself: treat any non-list as a list of one.
    const items = raw === undefined || raw === null ? [] : Array.isArray(raw) ? raw : [raw];
    const counts = { items: items.length, succeeded: 0, failed: 0 };
    let next = 0;
    let itemHalt: RunHalt | undefined;
    let cut = 0;
    const worker = async (): Promise<void> => {
      while (!halt && !itemHalt && next < items.length && !stopRequested() && !leaseLost()) {
        const index = next++;
        // Each item sees the outer steps plus its own: items never read each other's outputs.
        const itemScope = { ...scope };
        try {
          const failed = await runList(step.steps, itemScope, { item: items[index], index });
          if (failed) counts.failed++;
          else counts.succeeded++;
        } catch (e) {
          if (e instanceof RunHalt && e.status === 'interrupted') cut++;
          else counts.failed++;
          if (!(e instanceof RunHalt)) throw e;
          // Throttling and stop end the whole run; a failed item ends this loop (its onError decides the rest).
          if (e.status === 'failed') itemHalt = itemHalt ?? e;
          else halt = halt ?? e;
        }
      }
    };
    await Promise.all(Array.from({ length: Math.min(step.concurrency, items.length) }, worker));
    const output = {
      count: items.length,
      succeeded: counts.succeeded,
      failed: counts.failed,
      skipped: items.length - counts.succeeded - counts.failed - cut,
    };
    scope[step.id] = output;
    if (output.skipped > 0) stopRequested();
    if (halt) {
      record(step, {
        status:
          halt.status === 'throttled' || halt.status === 'failed'
            ? 'failed'
            : halt.status === 'interrupted' || halt.status === 'awaitingApproval'
              ? halt.status
              : 'succeeded',
        ms: Date.now() - t0,
        counts: { ...counts, ...(cut > 0 ? { interrupted: cut } : {}), skipped: output.skipped },
      });
      throw halt;
    }
    if (itemHalt) {
      const info = itemHalt.info ?? { code: 'STEP_FAILED', message: 'an item failed' };
      record(step, {
        status: 'failed',
        ms: Date.now() - t0,
        counts: { ...counts, skipped: output.skipped },
        error: info,
      });
      throw new RecordedFailure(info);
    }
    record(step, { status: 'succeeded', ms: Date.now() - t0, counts: { ...counts, skipped: 0 } });
    return counts.failed > 0;
  }

  async function runIf(step: IfStep, ctx: EvalContext, scope: Record<string, unknown>, t0: number): Promise<boolean> {
    const branch = truthy(await step.condition.evaluate(ctx)) ? 'then' : step.else.length > 0 ? 'else' : 'none';
    scope[step.id] = { branch };
    record(step, { status: 'succeeded', ms: Date.now() - t0, counts: { [branch]: 1 } });
    if (branch === 'none') return false;
    return runList(
      branch === 'then' ? step.then : step.else,
      scope,
      ctx.item !== undefined || ctx.index !== undefined ? { item: ctx.item, index: ctx.index ?? 0 } : undefined,
    );
  }

  async function runStop(step: StopStep, ctx: EvalContext, t0: number): Promise<never> {
    const reason = await evaluateValue(step.reason, ctx);
    stopReason = typeof reason === 'string' ? reason : JSON.stringify(reason);
    record(step, { status: 'succeeded', ms: Date.now() - t0 });
    throw new RunHalt('stopped');
  }

  let status: RunStatus = 'succeeded';
  let runError: StepErrorInfo | undefined;
  let retryAfterMs: number | undefined;
  // Filled as writes are finished, so those finished before a failure are reported too.
  const replayed: StepChange[] = [];
  try {
    // Writes an earlier attempt left half done are finished first (never in a dry run: that would write).
    if (!dryRun) {
      try {
        await replayPendingWrites(replayed, {
          state: deps.state,
          defender: deps.defender,
          apis: deps.apis,
          workflow: workflow.name,
          owner,
          runId,
          now: clock,
          leaseMs,
          hasMarker: markerFns.hasMarker,
          logger,
          signal,
          heartbeat,
        });
        logChanges(undefined, replayed);
      } catch (e) {
        logChanges(undefined, replayed);
        if (isStop(e)) throw new RunHalt('interrupted', interruptedInfo());
        if (leaseLost()) throw halt;
        const info = errorInfo(e);
        throw new RunHalt(
          isThrottled(e) ? 'throttled' : 'failed',
          { ...info, message: `finishing pending writes: ${info.message}` },
          isThrottled(e) ? e.retryAfterMs : undefined,
        );
      }
    }
    await runList(workflow.steps, {}, undefined);
    if (halt) throw halt;
  } catch (e) {
    if (!(e instanceof RunHalt)) {
      // Only a bug gets here: step failures arrive as RunHalt.
      status = 'failed';
      runError = errorInfo(e);
    } else {
      status = e.status;
      runError = e.info;
      retryAfterMs = e.retryAfterMs;
    }
  }

  unkeepWindow?.();
  if (!options.heartbeat) heartbeat.stop();
  // The window is done when the run did everything it meant to: success, or a deliberate stop. Otherwise its lease
  // ends now, so the next run resumes it at once instead of waiting it out.
  if (window && taken && (status === 'succeeded' || status === 'stopped')) {
    await deps.state.completeWindow(workflow.name, window.runId, window.end, runId);
  } else if (taken) {
    await taken.release().catch((e: unknown) =>
      logger.warn('[engine] could not end the lease of an unfinished window (it lapses by itself)', {
        ...logProps,
        error: toError(e).message,
      }),
    );
  }
  // An interrupted run names the writes it leaves pending: they are finished by the next run, not lost.
  let pendingWrites: RunReport['pendingWrites'];
  if (status === 'interrupted' && !dryRun) {
    try {
      pendingWrites = (await deps.state.listPendingWrites(workflow.name))
        .filter(({ record: r }) => r.owner === owner)
        .map(({ record: r }) => ({ incidentId: r.incidentId, leaseUntil: r.leaseUntil }));
    } catch (e) {
      logger.warn('[engine] could not list the pending writes of an interrupted run', {
        ...logProps,
        error: toError(e).message,
      });
    }
  }
  const finished = clock();
  const report: RunReport = {
    runId,
    workflow: workflow.name,
    ...(deps.tenant !== undefined ? { tenant: deps.tenant } : {}),
    trigger: options.trigger,
    dryRun,
    ...(deps.actingUser ? { actingUser: { upn: deps.actingUser.upn, oid: deps.actingUser.oid } } : {}),
    status,
    startedAt: started.toISOString(),
    finishedAt: finished.toISOString(),
    durationMs: finished.getTime() - started.getTime(),
    ...(window ? { window: { start: window.start, end: window.end, resumed: window.resumed } } : {}),
    ...(stopReason !== undefined ? { stopReason } : {}),
    ...(runError ? { error: runError } : {}),
    ...(retryAfterMs !== undefined ? { retryAfterMs } : {}),
    ...(replayed.length > 0 ? { resumedWrites: replayed } : {}),
    ...(pendingWrites ? { pendingWrites } : {}),
    ...(approvals.length > 0 ? { approvals } : {}),
    steps: reports,
  };
  const log = status === 'succeeded' || status === 'stopped' ? logger.info : logger.warn;
  // The one summary event per run: what operations queries (docs/operations.md) count and chart.
  const outcomes: Record<string, number> = {};
  const incidents = new Set<string>();
  let replayedCount = 0;
  for (const c of [...replayed, ...reports.flatMap((r) => r.changes)]) {
    outcomes[c.outcome] = (outcomes[c.outcome] ?? 0) + 1;
    incidents.add(c.incidentId);
    if (c.replayed) replayedCount++;
  }
  log.call(logger, '[engine] run finished', {
    ...logProps,
    status,
    durationMs: report.durationMs,
    changes: outcomes,
    ...(replayedCount > 0 ? { replayed: replayedCount } : {}),
    incidentIds: [...incidents].slice(0, 50),
    steps: reports.map((r) => ({ id: r.id, status: r.status, executions: r.executions, counts: r.counts })),
    ...(runError ? { error: { code: runError.code, message: runError.message } } : {}),
  });
  return report;
}
