// Defender for Endpoint machines and machine actions as Riposte sees them (response-actions.md §1.3, §4; DD
// defender-endpoint/api/machineaction.md, machine.md). Wire names are the API's; only what Riposte reads is typed.

/** MachineAction.type values for the actions Riposte requests (machineaction.md). */
export const MACHINE_ACTION_TYPES = [
  'Isolate',
  'Unisolate',
  'RunAntiVirusScan',
  'CollectInvestigationPackage',
  'RestrictCodeExecution',
  'UnrestrictCodeExecution',
  'StopAndQuarantineFile',
] as const;
export type MachineActionType = (typeof MACHINE_ACTION_TYPES)[number];

export const MACHINE_ACTION_STATUSES = [
  'Pending',
  'InProgress',
  'Succeeded',
  'Failed',
  'TimeOut',
  'Cancelled',
] as const;
export type MachineActionStatus = (typeof MACHINE_ACTION_STATUSES)[number];

/**
 * States after which the action changes no more. The cancel page names completed, canceled and failed; `TimeOut` is
 * taken as final too (response-actions.md §1.3: UNCONFIRMED), since nothing documents a timed-out action resuming.
 */
export const FINAL_STATUSES: ReadonlySet<string> = new Set(['Succeeded', 'Failed', 'TimeOut', 'Cancelled']);
export const isFinalStatus = (s: string): boolean => FINAL_STATUSES.has(s);

export const ISOLATION_TYPES = ['Full', 'Selective', 'UnManagedDevice'] as const;
export type IsolationType = (typeof ISOLATION_TYPES)[number];
export const SCAN_TYPES = ['Quick', 'Full'] as const;
export type ScanType = (typeof SCAN_TYPES)[number];

export interface MachineAction {
  id: string;
  type: string;
  /** Full/Selective (isolation), Quick/Full (scan), else null. */
  scope: string | null;
  status: string;
  requestor?: string;
  requestorComment?: string;
  machineId: string;
  computerDnsName?: string;
  creationDateTimeUtc?: string;
  /** machineaction.md spells it lastUpdateDateTimeUtc, the list example lastUpdateTimeUtc: both are read. */
  lastUpdateDateTimeUtc?: string;
  relatedFileInfo?: { fileIdentifier?: string; fileIdentifierType?: string } | null;
}

export interface Machine {
  id: string;
  computerDnsName?: string;
  aadDeviceId?: string | null;
  osPlatform?: string;
  healthStatus?: string;
  lastSeen?: string;
}

/** One action Riposte asks for: what the POST carries besides `Comment`. */
export type MachineActionRequest =
  | { type: 'Isolate'; isolationType: IsolationType }
  | { type: 'Unisolate' }
  | { type: 'RunAntiVirusScan'; scanType: ScanType }
  | { type: 'CollectInvestigationPackage' }
  | { type: 'RestrictCodeExecution' }
  | { type: 'UnrestrictCodeExecution' }
  | { type: 'StopAndQuarantineFile'; sha1: string };

/** The exact request an action sends: what a dry run shows and what the client posts. */
export interface PlannedRequest {
  method: 'POST';
  path: string;
  body: Record<string, string>;
}
