// The Defender for Endpoint machine-actions API (response-actions.md §1, §4): the action POSTs, reading and listing
// machine actions, and reading and finding machines. Sources: DD defender-endpoint/api/isolate-machine.md,
// unisolate-machine.md, run-av-scan.md, collect-investigation-package.md, restrict-code-execution.md,
// unrestrict-code-execution.md, stop-and-quarantine-file.md, get-machineaction-object.md,
// get-machineactions-collection.md, get-machine-by-id.md, get-machines.md, exposed-apis-odata-samples.md.
// Body parameter names are case-sensitive (`Comment`, `IsolationType`, `ScanType`, `Sha1`). Every call goes
// through the `machineActions` quota family (100 a minute, 1,500 an hour per app and tenant, every page's
// "Limitations"). The action POSTs are not idempotent (no idempotency key is documented, §1.5): they are sent with
// `idempotent: false`, so the HTTP layer retries them only when the request certainly never reached the server.
import { AppError, DefenderApiError, InputError } from '../errors';
import type { DefenderHttp } from '../http/defenderHttp';
import {
  isFinalStatus,
  type Machine,
  type MachineAction,
  type MachineActionRequest,
  type PlannedRequest,
} from './types';

type Call = { signal?: AbortSignal };

/** MDE machine ids: 40 hex digits in every example (response-actions.md §4); lower case is what the API answers. */
export const MACHINE_ID = /^[0-9a-f]{40}$/i;
/** Machine action ids are GUIDs (machineaction.md: `id` Guid). */
export const ACTION_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** @throws {InputError} naming `field` unless `id` is a machine id; @returns it in lower case. */
export function machineIdOf(id: unknown, field = 'deviceId'): string {
  if (typeof id !== 'string' || !MACHINE_ID.test(id.trim())) {
    const got = id === undefined ? 'nothing' : (JSON.stringify(id)?.slice(0, 60) ?? typeof id);
    throw new InputError(field, `${field} must be a Defender for Endpoint machine id (40 hex digits), got ${got}`);
  }
  return id.trim().toLowerCase();
}

const ACTION_PATHS: Record<MachineActionRequest['type'], string> = {
  Isolate: 'isolate',
  Unisolate: 'unisolate',
  RunAntiVirusScan: 'runAntiVirusScan',
  CollectInvestigationPackage: 'collectInvestigationPackage',
  RestrictCodeExecution: 'restrictCodeExecution',
  UnrestrictCodeExecution: 'unrestrictCodeExecution',
  // The page's path is capitalised, unlike the others (stop-and-quarantine-file.md).
  StopAndQuarantineFile: 'StopAndQuarantineFile',
};

/** The POST for `req` on `machineId` with `comment`: method, path (relative to the API root) and body. */
export function plannedRequest(machineId: string, req: MachineActionRequest, comment: string): PlannedRequest {
  const body: Record<string, string> = { Comment: comment };
  if (req.type === 'Isolate') body.IsolationType = req.isolationType;
  if (req.type === 'RunAntiVirusScan') body.ScanType = req.scanType;
  if (req.type === 'StopAndQuarantineFile') body.Sha1 = req.sha1;
  return {
    method: 'POST',
    path: `/api/machines/${encodeURIComponent(machineIdOf(machineId))}/${ACTION_PATHS[req.type]}`,
    body,
  };
}

/** An OData string literal: single quotes doubled, so no input can end the literal early. */
const literal = (v: string): string => `'${v.replace(/'/g, "''")}'`;

/**
 * The 400 for an action already running on the device: "Action is already in progress" on the unisolate, scan,
 * restrict and unrestrict pages, a running collection on collect-investigation-package.md. No Microsoft page names
 * its code; third-party responders match `ActiveRequestAlreadyExists` (response-actions.md §1.5: UNCONFIRMED), so
 * the code or the documented message text is matched.
 */
export function isAlreadyInProgress(e: unknown): boolean {
  if (!(e instanceof DefenderApiError) || e.status !== 400) return false;
  if (e.apiCode === 'ActiveRequestAlreadyExists') return true;
  return /already (?:in progress|running|pending)|ActiveRequestAlreadyExists/i.test(
    `${e.message} ${e.bodyExcerpt ?? ''}`,
  );
}

/** Whether `a` is the action `req` asks for (a quarantine of another file is a different action). */
export function sameAction(a: MachineAction, req: MachineActionRequest): boolean {
  if (a.type !== req.type) return false;
  if (req.type === 'StopAndQuarantineFile')
    return (a.relatedFileInfo?.fileIdentifier ?? '').toLowerCase() === req.sha1.toLowerCase();
  return true;
}

/** The action this write posted (its marked Comment), else an open one of the same kind: what to adopt. */
export function actionToAdopt(
  actions: readonly MachineAction[],
  req: MachineActionRequest,
  markedComment: string,
): { action: MachineAction; ours: boolean } | undefined {
  const ours = actions.find((a) => sameAction(a, req) && (a.requestorComment ?? '').includes(markedComment));
  if (ours) return { action: ours, ours: true };
  const open = actions.find((a) => sameAction(a, req) && !isFinalStatus(a.status));
  return open ? { action: open, ours: false } : undefined;
}

/** A machine action as answered, with the list example's `lastUpdateTimeUtc` read as `lastUpdateDateTimeUtc`. */
function mapAction(raw: unknown): MachineAction {
  const a = (raw ?? {}) as Record<string, unknown> & MachineAction;
  if (typeof a.id !== 'string' || typeof a.status !== 'string')
    throw new AppError('DEFENDER_HTTP', 'The Defender for Endpoint API returned a machine action without id or status');
  const updated = a.lastUpdateDateTimeUtc ?? (a.lastUpdateTimeUtc as string | undefined);
  return {
    id: a.id,
    type: String(a.type ?? ''),
    scope: typeof a.scope === 'string' ? a.scope : null,
    status: a.status,
    machineId: String(a.machineId ?? '').toLowerCase(),
    ...(typeof a.requestor === 'string' ? { requestor: a.requestor } : {}),
    ...(typeof a.requestorComment === 'string' ? { requestorComment: a.requestorComment } : {}),
    ...(typeof a.computerDnsName === 'string' ? { computerDnsName: a.computerDnsName } : {}),
    ...(typeof a.creationDateTimeUtc === 'string' ? { creationDateTimeUtc: a.creationDateTimeUtc } : {}),
    ...(typeof updated === 'string' ? { lastUpdateDateTimeUtc: updated } : {}),
    relatedFileInfo: a.relatedFileInfo ?? null,
  };
}

export interface MachineActionsClient {
  /** POSTs the action (never retried once it may have reached the server). @returns the MachineAction (201). */
  requestAction(machineId: string, req: MachineActionRequest, comment: string, call?: Call): Promise<MachineAction>;
  getAction(actionId: string, call?: Call): Promise<MachineAction>;
  /** The device's actions of `type` (get-machineactions-collection.md `$filter` on machineId and type). */
  listActions(machineId: string, type: string, call?: Call): Promise<MachineAction[]>;
  getMachine(machineId: string, call?: Call): Promise<Machine>;
  /** Machines whose `computerDnsName` or `aadDeviceId` equals `value` (get-machines.md `$filter`); [] when none. */
  findMachines(by: 'computerDnsName' | 'aadDeviceId', value: string, call?: Call): Promise<Machine[]>;
}

/** How many of a device's actions of one type are read to find an open one (newest are what matter). */
const ACTIONS_PAGE = 100;

export function createMachineActionsClient(http: DefenderHttp): MachineActionsClient {
  const signal = (call?: Call) => (call?.signal ? { signal: call.signal } : {});
  return {
    async requestAction(machineId, req, comment, call) {
      const planned = plannedRequest(machineId, req, comment);
      const raw = await http.request<unknown>({
        method: 'POST',
        path: planned.path,
        data: planned.body,
        headers: { 'Content-Type': 'application/json' },
        family: 'machineActions',
        idempotent: false,
        ...signal(call),
      });
      return mapAction(raw);
    },
    async getAction(actionId, call) {
      if (!ACTION_ID.test(actionId)) throw new InputError('actionId', `'${actionId}' is not a machine action id`);
      const raw = await http.request<unknown>({
        method: 'GET',
        path: `/api/machineactions/${encodeURIComponent(actionId)}`,
        family: 'machineActions',
        ...signal(call),
      });
      return mapAction(raw);
    },
    async listActions(machineId, type, call) {
      const id = machineIdOf(machineId);
      // machineId and type are each documented filters; their combination is UNCONFIRMED (§1.4), so the answer is
      // filtered again here, and the status is checked here rather than in the filter.
      const page = await http.request<{ value?: unknown[] }>({
        method: 'GET',
        path: '/api/machineactions',
        params: { $filter: `machineId eq ${literal(id)} and type eq ${literal(type)}`, $top: ACTIONS_PAGE },
        family: 'machineActions',
        ...signal(call),
      });
      return (page.value ?? []).map(mapAction).filter((a) => a.machineId === id && a.type === type);
    },
    async getMachine(machineId, call) {
      const raw = await http.request<Machine>({
        method: 'GET',
        path: `/api/machines/${encodeURIComponent(machineIdOf(machineId))}`,
        family: 'machineActions',
        ...signal(call),
      });
      if (typeof raw?.id !== 'string')
        throw new AppError('DEFENDER_HTTP', 'The Defender for Endpoint API returned a machine without an id');
      return { ...raw, id: raw.id.toLowerCase() };
    },
    async findMachines(by, value, call) {
      try {
        const page = await http.request<{ value?: Machine[] }>({
          method: 'GET',
          path: '/api/machines',
          params: { $filter: `${by} eq ${literal(value)}` },
          family: 'machineActions',
          ...signal(call),
        });
        return (page.value ?? [])
          .filter((m) => typeof m?.id === 'string')
          .map((m) => ({ ...m, id: m.id.toLowerCase() }));
      } catch (e) {
        // get-machines.md: "404 Not Found if no recent machines".
        if (e instanceof DefenderApiError && e.status === 404) return [];
        throw e;
      }
    },
  };
}
