// The later check of a device action still open when its step ended (its `wait` was spent). The step records the
// action in Table storage (RiposteDeviceActions: partition = machine id, row = action id) and queues a check with a
// visibility delay; the queue-triggered function (functions/followDeviceAction.ts) reads the action
// (GET /api/machineactions/{id}), stores what it found with ETag concurrency, and, once the action is final, writes
// the outcome where the run's report shows it: the stored report of an asynchronous run (its status URL), and the
// record itself for every run (timer, webhook, synchronous HTTP). An open action is checked again later, backing
// off from DEVICE_ACTION_CHECK_SECONDS to an hour, for up to seven days (the queue's longest delay; MDE times an
// undelivered action out well before that). Any instance can take any check: all state is in storage.
import type { TableClient } from '@azure/data-tables';
import type { MessageQueue } from '../automation/ticketQueue';
import { DefenderApiError } from '../errors';
import type { Logger } from '../logger';
import { ensureTable } from '../state/tableReady';
import type { StateStore } from '../state/types';
import type { ActionFollowUps, FollowUpEntry } from './followUpTypes';
import type { MachineActionsClient } from './machineActionsClient';
import { isFinalStatus } from './types';

export interface DeviceActionRecord extends FollowUpEntry {
  /** Checks made so far by the later check. */
  checks: number;
  createdAt: string;
  updatedAt: string;
  /** Set once the action is final. */
  finishedAt?: string;
  /** True once the final status is in the asynchronous run's stored report (or there is none to update). */
  reported?: boolean;
  /** Set when the checks stopped before the action was final (seven days). */
  abandonedAt?: string;
}

export interface DeviceActionStore {
  get(machineId: string, actionId: string): Promise<{ record: DeviceActionRecord; etag: string } | undefined>;
  /** @returns false when it exists already. */
  create(record: DeviceActionRecord): Promise<boolean>;
  /** @returns false when it changed since `etag` (another instance checked it). */
  replace(record: DeviceActionRecord, etag: string): Promise<boolean>;
}

/** The queue message: which action to check. */
export interface DeviceActionMessage {
  kind: 'deviceAction';
  machineId: string;
  actionId: string;
}

export const isDeviceActionMessage = (v: unknown): v is DeviceActionMessage =>
  typeof v === 'object' &&
  v !== null &&
  (v as DeviceActionMessage).kind === 'deviceAction' &&
  /^[0-9a-f]{40}$/.test(String((v as DeviceActionMessage).machineId)) &&
  /^[0-9a-f-]{36}$/i.test(String((v as DeviceActionMessage).actionId));

const statusOf = (e: unknown): number | undefined => (e as { statusCode?: number } | undefined)?.statusCode;

export function createTableDeviceActionStore(table: TableClient): DeviceActionStore {
  const entity = (r: DeviceActionRecord) => ({ partitionKey: r.machineId, rowKey: r.actionId, ...r });
  return {
    async get(machineId, actionId) {
      try {
        const e = await (await ensureTable(table)).getEntity<DeviceActionRecord>(machineId, actionId);
        const { partitionKey: _p, rowKey: _r, etag, timestamp: _t, ...record } = e as typeof e & { timestamp?: string };
        return { record: record as DeviceActionRecord, etag };
      } catch (err) {
        if (statusOf(err) === 404) return undefined;
        throw err;
      }
    },
    async create(record) {
      try {
        await (await ensureTable(table)).createEntity(entity(record));
        return true;
      } catch (err) {
        if (statusOf(err) === 409) return false;
        throw err;
      }
    },
    async replace(record, etag) {
      try {
        await (await ensureTable(table)).updateEntity(entity(record), 'Replace', { etag });
        return true;
      } catch (err) {
        if (statusOf(err) === 412 || statusOf(err) === 404) return false;
        throw err;
      }
    },
  };
}

export const HOUR_MS = 3_600_000;
/** How long the checks go on: the queue's longest visibility delay. */
export const FOLLOW_FOR_MS = 7 * 24 * HOUR_MS;

/** The delay before check number `checks` (0 = the first): doubling from `firstMs`, at most an hour. */
export const checkDelayMs = (firstMs: number, checks: number): number =>
  Math.min(HOUR_MS, firstMs * 2 ** Math.min(checks, 20));

export function createActionFollowUps(o: {
  store: DeviceActionStore;
  queue: MessageQueue;
  firstCheckMs: number;
  now?: () => Date;
}): ActionFollowUps {
  const now = o.now ?? (() => new Date());
  return {
    async track(entry) {
      const at = now();
      // A re-run following the same action finds the record: one record, and one more check, is harmless.
      await o.store.create({ ...entry, checks: 0, createdAt: at.toISOString(), updatedAt: at.toISOString() });
      const message: DeviceActionMessage = {
        kind: 'deviceAction',
        machineId: entry.machineId,
        actionId: entry.actionId,
      };
      await o.queue.send(message, { delayMs: o.firstCheckMs });
      return { checkAt: new Date(at.getTime() + o.firstCheckMs).toISOString() };
    },
  };
}

export type CheckOutcome =
  | { status: 'final'; actionStatus: string; reported: boolean }
  | { status: 'open'; actionStatus: string; nextCheckMs: number }
  | { status: 'skipped'; reason: string };

interface ReportLike {
  steps?: { changes?: { machineAction?: { id: string; status: string; checkedAt?: string } }[] }[];
  handoff?: { changes?: { machineAction?: { id: string; status: string; checkedAt?: string } }[] };
  resumedWrites?: { machineAction?: { id: string; status: string; checkedAt?: string } }[];
}

/**
 * Writes `status` into the asynchronous run's stored report, on every change naming the action.
 * @returns 'updated', 'none' (no such run: a timer, webhook or synchronous run), 'notDone' (the run is still going)
 *   or 'raced' (the record changed under us: try again).
 */
export async function recordInRunReport(
  state: StateStore,
  runId: string,
  actionId: string,
  status: string,
  at: string,
): Promise<'updated' | 'none' | 'notDone' | 'raced'> {
  if (!runId) return 'none';
  const found = await state.getRun(runId);
  if (!found) return 'none';
  const { record, version } = found;
  if (!record.response) return 'notDone';
  let report: ReportLike;
  try {
    report = JSON.parse(record.response.body) as ReportLike;
  } catch {
    return 'none';
  }
  let touched = false;
  const mark = (c: { machineAction?: { id: string; status: string; checkedAt?: string } }): void => {
    if (c.machineAction?.id === actionId) {
      c.machineAction.status = status;
      c.machineAction.checkedAt = at;
      touched = true;
    }
  };
  for (const s of report.steps ?? []) for (const c of s.changes ?? []) mark(c);
  for (const c of report.handoff?.changes ?? []) mark(c);
  for (const c of report.resumedWrites ?? []) mark(c);
  if (!touched) return 'none';
  const next = { ...record, updatedAt: at, response: { ...record.response, body: JSON.stringify(report) } };
  return (await state.replaceRun(next, version)) === undefined ? 'raced' : 'updated';
}

/** One check of a tracked action; the caller's queue message is done when this returns (it queues the next). */
export async function checkDeviceAction(
  message: unknown,
  o: {
    store: DeviceActionStore;
    queue: MessageQueue;
    client: MachineActionsClient;
    state: StateStore;
    firstCheckMs: number;
    logger: Logger;
    now?: () => Date;
  },
): Promise<CheckOutcome> {
  const now = o.now ?? (() => new Date());
  if (!isDeviceActionMessage(message)) return { status: 'skipped', reason: 'not a device-action message' };
  const found = await o.store.get(message.machineId, message.actionId);
  if (!found) return { status: 'skipped', reason: `no record of action ${message.actionId}` };
  let { record } = found;
  if (record.finishedAt && record.reported) return { status: 'skipped', reason: 'already final and reported' };
  let actionStatus = record.status;
  if (!record.finishedAt) {
    try {
      actionStatus = (await o.client.getAction(record.actionId)).status;
    } catch (e) {
      // The action is gone (retention): its last known status is what there is to report.
      if (!(e instanceof DefenderApiError && e.status === 404)) throw e;
      o.logger.warn('[device] tracked action no longer exists; stopping its checks', { actionId: record.actionId });
      record = { ...record, abandonedAt: now().toISOString() };
      await o.store.replace({ ...record, updatedAt: now().toISOString() }, found.etag);
      return { status: 'skipped', reason: 'action not found' };
    }
  }
  const at = now().toISOString();
  const final = isFinalStatus(actionStatus);
  record = { ...record, status: actionStatus, checks: record.checks + 1, updatedAt: at };
  if (final && !record.finishedAt) record.finishedAt = at;
  let reported = record.reported ?? false;
  if (final && !reported) {
    const r = await recordInRunReport(o.state, record.runId, record.actionId, actionStatus, at);
    reported = r === 'updated' || r === 'none';
    if (r === 'notDone' || r === 'raced') {
      // The run's report is not stored yet (it is still running) or changed meanwhile: come back for it.
      await o.store.replace(record, found.etag);
      const delay = checkDelayMs(o.firstCheckMs, 0);
      await o.queue.send(message, { delayMs: delay });
      return { status: 'open', actionStatus, nextCheckMs: delay };
    }
    record.reported = reported;
  }
  if (!(await o.store.replace(record, found.etag)))
    // Another instance checked it meanwhile (a duplicate message): its write stands.
    return { status: 'skipped', reason: 'checked by another instance meanwhile' };
  if (final) {
    o.logger.info('[device] action finished', {
      actionId: record.actionId,
      deviceId: record.machineId,
      type: record.type,
      status: actionStatus,
      workflow: record.workflow,
      runId: record.runId,
    });
    return { status: 'final', actionStatus, reported };
  }
  if (Date.parse(at) - Date.parse(record.requestedAt) > FOLLOW_FOR_MS) {
    await o.store
      .get(record.machineId, record.actionId)
      .then((again) => (again ? o.store.replace({ ...again.record, abandonedAt: at }, again.etag) : false));
    o.logger.warn('[device] action still open after seven days; no more checks', { actionId: record.actionId });
    return { status: 'skipped', reason: 'followed for seven days' };
  }
  const delay = checkDelayMs(o.firstCheckMs, record.checks);
  await o.queue.send(message, { delayMs: delay });
  return { status: 'open', actionStatus, nextCheckMs: delay };
}
