// Long runs the Logic Apps way (integration-conventions.md §1.4, the asynchronous request-reply pattern): a workflow
// run over HTTP that will not finish in time, or any run whose caller sends `Prefer: respond-async`, is answered
// 202 Accepted with `Location` (an absolute status URL) and `Retry-After`, recorded in Table storage (the Runs table,
// StateStore.createRun) and continued by a queue-triggered function (continueAsyncRun.ts). A GET on the status URL
// answers 202 with the same headers while it runs and the final report, with the status it maps to, once done
// (asyncRunStatus.ts); Logic Apps polls until it gets something other than 202. Reports are kept
// RUN_REPORT_RETENTION_HOURS after the run's last change, then the URL answers 404 (and the record is purged).
import { DEFAULT_LEASE_MS, type RunHandoff } from '../engine';
import type { StateStore } from '../state/types';
import { MAX_RUN_REQUEST_CHARS, type AsyncRunRecord } from '../state/types';
import { InputError } from '../errors';
import type { Logger } from '../logger';
import type { RequestAnswer } from './requestIdempotency';
import type { MessageQueue } from './ticketQueue';

/** What the app needs to run workflows asynchronously. */
export interface AsyncRuns {
  /** Where continuations go (WORKFLOW_RUNS_QUEUE). */
  queue: MessageQueue;
  /**
   * How long a report is kept after the run's last change (RUN_REPORT_RETENTION_HOURS). A run not yet done counts
   * as changing: while queued or running it is kept this long past its next expected sign of life (its lease's end,
   * or the end of a quota wait), so a long run never expires under its poller.
   */
  retentionMs: number;
  /** The app's own base URL (WEBSITE_HOSTNAME), for status URLs; undefined: relative URLs. */
  baseUrl: string | undefined;
}

/** What the queued part runs: the request as it was admitted. */
export interface AsyncRunRequest {
  input: Record<string, unknown>;
  dryRun?: boolean;
  idempotencyKey?: string;
  /** When the request arrived: `$now()` evaluates to it in every part of the run (RunOptions.startedAt). */
  startedAt: string;
}

/** The queue message: only the run id (the record holds the rest). */
export interface AsyncRunMessage {
  kind: 'workflowRun';
  runId: string;
}

/** The body of a 202: where the report will be. */
export interface AcceptedRun {
  runId: string;
  workflow: string;
  status: 'queued' | 'running';
  /** The status URL (the `Location` header). */
  statusUrl: string;
  createdAt: string;
  handoff: { reason: RunHandoff['reason']; at: string };
}

/**
 * Retry-After on a 202: Logic Apps polls every 20 s unless told otherwise (integration-conventions.md §1.4); a
 * workflow run takes seconds to minutes, so a little sooner.
 */
export const POLL_RETRY_AFTER_SECONDS = 10;

export const RUN_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/**
 * `<base>/api/workflows/<workflow>/runs/<id>`: absolute from WEBSITE_HOSTNAME, never from the request's Host header.
 * The workflow's name is part of it: a run is found only under the workflow it belongs to.
 */
export function statusUrl(baseUrl: string | undefined, workflow: string, runId: string): string {
  return `${baseUrl ?? ''}/api/workflows/${encodeURIComponent(workflow)}/runs/${runId}`;
}

/** The 202 for a run not yet done: Location, Retry-After, and the body saying where the report will be. */
export function acceptedAnswer(
  record: AsyncRunRecord,
  runs: Pick<AsyncRuns, 'baseUrl'>,
  extraHeaders: Record<string, string> = {},
): RequestAnswer {
  const url = statusUrl(runs.baseUrl, record.workflow, record.runId);
  const handoff = JSON.parse(record.handoff) as RunHandoff;
  return {
    status: 202,
    headers: { Location: url, 'Retry-After': String(POLL_RETRY_AFTER_SECONDS), ...extraHeaders },
    report: {
      runId: record.runId,
      workflow: record.workflow,
      status: record.state === 'running' ? 'running' : 'queued',
      statusUrl: url,
      createdAt: record.createdAt,
      handoff: { reason: handoff.reason, at: handoff.at },
    },
  };
}

/** The record without its holder and lease (queued again, or done), with `change` applied. */
export function unheld(r: AsyncRunRecord, change: Partial<AsyncRunRecord>): AsyncRunRecord {
  const next = { ...r, ...change };
  delete next.holder;
  delete next.leaseUntil;
  return next;
}

let warnedRelative = false;

/**
 * Records the run and queues its continuation. @returns the 202 answer.
 * @throws {InputError} (input) when the request is too large to keep; storage errors (503).
 */
export async function startAsyncRun(
  automation: { asyncRuns: AsyncRuns; engine: { state: StateStore; now?: () => Date; leaseMs?: number } },
  o: {
    workflow: string;
    runId: string;
    request: AsyncRunRequest;
    handoff: RunHandoff;
    /** The caller asked for it (`Prefer: respond-async`): answered with `Preference-Applied` (RFC 7240 §3). */
    preferred: boolean;
    logger: Logger;
  },
): Promise<RequestAnswer> {
  const { asyncRuns, engine } = automation;
  const request = JSON.stringify(o.request);
  if (request.length > MAX_RUN_REQUEST_CHARS) {
    throw new InputError(
      'input',
      `input is too large to run in the background (${request.length} characters as JSON, at most ${MAX_RUN_REQUEST_CHARS})`,
    );
  }
  if (asyncRuns.baseUrl === undefined && !warnedRelative) {
    warnedRelative = true;
    o.logger.warn('[async-run] WEBSITE_HOSTNAME is not set: status URLs are relative (Logic Apps needs them absolute)');
  }
  const now = (engine.now ?? ((): Date => new Date()))();
  const record: AsyncRunRecord = {
    runId: o.runId,
    workflow: o.workflow,
    state: 'queued',
    request,
    handoff: JSON.stringify(o.handoff),
    attempts: 0,
    createdAt: now.toISOString(),
    updatedAt: now.toISOString(),
    expiresAt: new Date(now.getTime() + asyncRuns.retentionMs + (engine.leaseMs ?? DEFAULT_LEASE_MS)).toISOString(),
  };
  if ((await engine.state.createRun(record)) === undefined)
    throw new Error(`asynchronous run ${o.runId} already exists`); // a fresh UUID: a bug if ever seen
  const message: AsyncRunMessage = { kind: 'workflowRun', runId: o.runId };
  await asyncRuns.queue.send(message);
  o.logger.info('[async-run] queued', { runId: o.runId, workflow: o.workflow, reason: o.handoff.reason });
  return acceptedAnswer(record, asyncRuns, o.preferred ? { 'Preference-Applied': 'respond-async' } : {});
}

/** RFC 7240 §2: `Prefer` is a comma-separated list of preferences, each a token with optional value and parameters. */
export function prefersRespondAsync(header: string | null | undefined): boolean {
  if (!header) return false;
  return header.split(',').some((p) => (p.split(';')[0] ?? '').split('=')[0]?.trim().toLowerCase() === 'respond-async');
}
