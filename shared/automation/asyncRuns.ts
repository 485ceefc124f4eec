// Long runs the Logic Apps way (integration-conventions.md §1.4, the asynchronous request-reply pattern): a workflow
// run over HTTP that will not finish in time, or any run whose caller sends `Prefer: respond-async`, is answered
// 202 Accepted with `Location` (an absolute status URL) and `Retry-After`, recorded in Table storage (the Runs table,
// StateStore.createRun) and continued by a queue-triggered function (continueAsyncRun.ts). A GET on the status URL
// answers 202 with the same headers while it runs and the final report, with the status it maps to, once done
// (asyncRunStatus.ts); Logic Apps polls until it gets something other than 202. Reports are kept
// RUN_REPORT_RETENTION_HOURS after the run's last change, then the URL answers 404 (and the record is purged).
//
// The status URL is a capability URL, as Logic Apps' own callback URLs (`sig=`) and Durable Functions' status URLs
// are: Logic Apps' HTTP action polls the Location itself and re-applies only the action's authentication setting,
// not the caller's `code=` query or `x-functions-key` header (Azure/logicapps#611), and the Location cannot carry
// the function key (no secret goes into a response). So each run gets a random token (RUN_TOKEN_BYTES), sent once
// in the Location's `token` query; the run record keeps only its SHA-256. The token reads that one run's report and
// nothing else, and lives as long as the record (RUN_REPORT_RETENTION_HOURS). The 202 with it is also what the
// request's idempotency record stores (the answer as sent, in the same storage account that holds the report), so a
// replayed POST answers the same Location.
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { DEFAULT_LEASE_MS, type RunHandoff } from '../engine';
import type { ApprovalInfo } from '../approval/types';
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
  /**
   * A parked timer run (parkScheduledRun.ts): the run id of the window it covers. The continuation resumes that
   * window as a timer run, and only while it is still pending.
   */
  timerWindow?: string;
  /** The registry tenant (TENANTS key) the run acts in; absent: the single tenant. */
  tenant?: string;
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
  /** The status URL (the `Location` header), with the run's token: whoever holds it can read the report. */
  statusUrl: string;
  createdAt: string;
  handoff: { reason: RunHandoff['reason']; at: string };
  /** A run parked for approval: the approvals it waits for (decide them on their page or the decision API). */
  approvals?: ApprovalInfo[];
}

/**
 * Retry-After on a 202: Logic Apps polls every 20 s unless told otherwise (integration-conventions.md §1.4); a
 * workflow run takes seconds to minutes, so a little sooner.
 */
export const POLL_RETRY_AFTER_SECONDS = 10;

export const RUN_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** A run token's size: 256 random bits (at least 128 make guessing hopeless), 43 base64url characters. */
export const RUN_TOKEN_BYTES = 32;
/** The shape of a run token; anything else is refused before any lookup. */
export const RUN_TOKEN = /^[A-Za-z0-9_-]{43}$/;

/** A new run token and the SHA-256 (hex) the run record keeps instead of it. */
export function newRunToken(): { token: string; hash: string } {
  const token = randomBytes(RUN_TOKEN_BYTES).toString('base64url');
  return { token, hash: runTokenHash(token) };
}

export function runTokenHash(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex');
}

/**
 * Whether `token` is the one whose hash the run keeps. Compared in constant time (both sides are 32-byte digests,
 * so the lengths never differ); a record without a hash (none is written so) matches nothing.
 */
export function runTokenMatches(token: string, storedHash: string): boolean {
  const stored = Buffer.from(storedHash, 'hex');
  const presented = createHash('sha256').update(token, 'utf8').digest();
  return stored.length === presented.length && timingSafeEqual(stored, presented);
}

/**
 * `<base>/api/workflows/<workflow>/runs/<id>?token=<token>`: absolute from WEBSITE_HOSTNAME, never from the
 * request's Host header. The workflow's name is part of it: a run is found only under the workflow it belongs to.
 */
export function statusUrl(baseUrl: string | undefined, workflow: string, runId: string, token: string): string {
  return `${baseUrl ?? ''}/api/workflows/${encodeURIComponent(workflow)}/runs/${runId}?token=${encodeURIComponent(token)}`;
}

/**
 * The 202 for a run not yet done: Location, Retry-After, and the body saying where the report will be. `token` is
 * the run's token (known only when the run is accepted and when a poll presents it).
 */
export function acceptedAnswer(
  record: AsyncRunRecord,
  runs: Pick<AsyncRuns, 'baseUrl'>,
  token: string,
  extraHeaders: Record<string, string> = {},
): RequestAnswer {
  const url = statusUrl(runs.baseUrl, record.workflow, record.runId, token);
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
      ...(handoff.approvals ? { approvals: handoff.approvals } : {}),
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
    /**
     * Queue the continuation this much later (a run parked for approval: at the approval's expiry, when no decision
     * came first; a decision queues it at once).
     */
    delayMs?: number;
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
  const { token, hash } = newRunToken();
  const record: AsyncRunRecord = {
    runId: o.runId,
    workflow: o.workflow,
    tokenHash: hash,
    state: 'queued',
    request,
    handoff: JSON.stringify(o.handoff),
    attempts: 0,
    createdAt: now.toISOString(),
    updatedAt: now.toISOString(),
    expiresAt: new Date(
      now.getTime() + asyncRuns.retentionMs + (engine.leaseMs ?? DEFAULT_LEASE_MS) + (o.delayMs ?? 0),
    ).toISOString(),
  };
  if ((await engine.state.createRun(record)) === undefined)
    throw new Error(`asynchronous run ${o.runId} already exists`); // a fresh UUID: a bug if ever seen
  const message: AsyncRunMessage = { kind: 'workflowRun', runId: o.runId };
  await asyncRuns.queue.send(message, o.delayMs ? { delayMs: o.delayMs } : {});
  o.logger.info('[async-run] queued', { runId: o.runId, workflow: o.workflow, reason: o.handoff.reason });
  return acceptedAnswer(record, asyncRuns, token, o.preferred ? { 'Preference-Applied': 'respond-async' } : {});
}

/** RFC 7240 §2: `Prefer` is a comma-separated list of preferences, each a token with optional value and parameters. */
export function prefersRespondAsync(header: string | null | undefined): boolean {
  if (!header) return false;
  return header.split(',').some((p) => (p.split(';')[0] ?? '').split('=')[0]?.trim().toLowerCase() === 'respond-async');
}
