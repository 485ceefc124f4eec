// The sandbox's Defender for Endpoint devices and machine actions (response-actions.md §1.3, §4; DD
// defender-endpoint/api/machine.md, machineaction.md). An action moves Pending → InProgress → its outcome as real
// time passes (configurable; a frozen sandbox clock does not freeze it), and its effect on the device (isolated,
// app execution restricted) applies when it succeeds.
import { randomUUID } from 'node:crypto';
import { devices } from '../seed/entities';

export type ActionOutcome = 'Succeeded' | 'Failed' | 'TimeOut' | 'Cancelled' | 'stuck';

export interface SandboxMachine {
  id: string;
  computerDnsName: string;
  aadDeviceId: string | null;
  osPlatform: string;
  osVersion: string;
  healthStatus: 'Active' | 'Inactive';
  onboardingStatus: 'Onboarded';
  riskScore: 'None' | 'Low' | 'Medium' | 'High';
  exposureLevel: 'None' | 'Low' | 'Medium' | 'High';
  lastIpAddress: string;
  lastExternalIpAddress: string;
  firstSeen: string;
  lastSeen: string;
  machineTags: string[];
  /** Sandbox state the portal would show: the isolation in force, and whether app execution is restricted. */
  isolation: 'Full' | 'Selective' | 'UnManagedDevice' | null;
  restricted: boolean;
}

export interface SandboxAction {
  id: string;
  type: string;
  scope: string | null;
  requestor: string;
  requestorComment: string;
  status: string;
  machineId: string;
  computerDnsName: string;
  creationDateTimeUtc: string;
  lastUpdateDateTimeUtc: string;
  cancellationRequestor: string | null;
  cancellationComment: string | null;
  cancellationDateTimeUtc: string | null;
  errorHResult: number;
  title: string | null;
  externalID: string | null;
  requestSource: string;
  relatedFileInfo: { fileIdentifier: string; fileIdentifierType: 'Sha1' } | null;
  commands: unknown[];
  troubleshootInfo: string | null;
}

interface Tracked {
  action: SandboxAction;
  /** performance.now() at creation: the lifecycle runs on real elapsed time. */
  startedAt: number;
  outcome: ActionOutcome;
  applied: boolean;
}

const OS: Record<string, { platform: string; version: string }> = {
  Windows11: { platform: 'Windows11', version: '23H2' },
  Windows10: { platform: 'Windows10', version: '22H2' },
  WindowsServer2022: { platform: 'WindowsServer2022', version: '21H2' },
  macOS: { platform: 'macOS', version: '14.5' },
};

export function seedMachines(now: Date): SandboxMachine[] {
  const day = 86_400_000;
  return devices.map((d, i) => ({
    id: d.deviceId,
    computerDnsName: d.deviceName,
    aadDeviceId: d.aadDeviceId,
    osPlatform: OS[d.os]?.platform ?? d.os,
    osVersion: OS[d.os]?.version ?? '',
    healthStatus: 'Active',
    onboardingStatus: 'Onboarded',
    riskScore: i === 0 ? 'High' : 'Low',
    exposureLevel: 'Medium',
    lastIpAddress: `10.0.${i + 1}.${20 + i}`,
    lastExternalIpAddress: d.publicIp,
    firstSeen: new Date(now.getTime() - 200 * day).toISOString(),
    lastSeen: new Date(now.getTime() - 3_600_000).toISOString(),
    machineTags: [],
    isolation: null,
    restricted: false,
  }));
}

export class MdeStore {
  machines: SandboxMachine[];
  private actions: Tracked[] = [];
  /** Real milliseconds from request to outcome (Pending the first third, then InProgress). */
  completionMs: number;
  private readonly outcomes = new Map<string, ActionOutcome>();

  constructor(
    machines: SandboxMachine[],
    completionMs: number,
    private readonly now: () => Date,
    private readonly clock: () => number = () => performance.now(),
  ) {
    this.machines = machines;
    this.completionMs = completionMs;
  }

  machine(id: string): SandboxMachine | undefined {
    return this.machines.find((m) => m.id === id.toLowerCase());
  }

  /** How actions on `machineId` end from now on (default Succeeded; 'stuck' stays InProgress). */
  setOutcome(machineId: string, outcome: ActionOutcome | undefined): void {
    if (outcome === undefined) this.outcomes.delete(machineId.toLowerCase());
    else this.outcomes.set(machineId.toLowerCase(), outcome);
  }

  create(
    machine: SandboxMachine,
    fields: { type: string; scope: string | null; comment: string; requestor: string; sha1?: string },
  ): SandboxAction {
    const at = this.now().toISOString();
    const action: SandboxAction = {
      id: randomUUID(),
      type: fields.type,
      scope: fields.scope,
      requestor: fields.requestor,
      requestorComment: fields.comment,
      status: 'Pending',
      machineId: machine.id,
      computerDnsName: machine.computerDnsName,
      creationDateTimeUtc: at,
      lastUpdateDateTimeUtc: at,
      cancellationRequestor: null,
      cancellationComment: null,
      cancellationDateTimeUtc: null,
      errorHResult: 0,
      title: null,
      externalID: null,
      requestSource: 'PublicApi',
      relatedFileInfo: fields.sha1 ? { fileIdentifier: fields.sha1, fileIdentifierType: 'Sha1' } : null,
      commands: [],
      troubleshootInfo: null,
    };
    this.actions.push({
      action,
      startedAt: this.clock(),
      outcome: this.outcomes.get(machine.id) ?? 'Succeeded',
      applied: false,
    });
    return structuredClone(action);
  }

  /** Every action, newest first, each brought up to date. */
  list(): SandboxAction[] {
    return this.actions.map((t) => this.advance(t)).reverse();
  }

  get(id: string): SandboxAction | undefined {
    const t = this.actions.find((a) => a.action.id.toLowerCase() === id.toLowerCase());
    return t ? this.advance(t) : undefined;
  }

  /** An open (Pending or InProgress) action of `type` on the machine. */
  open(machineId: string, type: string): SandboxAction | undefined {
    return this.list().find((a) => a.machineId === machineId && a.type === type && isOpen(a.status));
  }

  reset(machines: SandboxMachine[], completionMs: number): void {
    this.machines = machines;
    this.actions = [];
    this.outcomes.clear();
    this.completionMs = completionMs;
  }

  private advance(t: Tracked): SandboxAction {
    const a = t.action;
    if (isOpen(a.status)) {
      const elapsed = this.clock() - t.startedAt;
      const next =
        elapsed >= this.completionMs && t.outcome !== 'stuck'
          ? t.outcome
          : elapsed >= this.completionMs / 3
            ? 'InProgress'
            : 'Pending';
      if (next !== a.status) {
        a.status = next;
        a.lastUpdateDateTimeUtc = this.now().toISOString();
      }
    }
    if (a.status === 'Succeeded' && !t.applied) {
      t.applied = true;
      const m = this.machine(a.machineId);
      if (m) {
        if (a.type === 'Isolate') m.isolation = (a.scope as SandboxMachine['isolation']) ?? 'Full';
        if (a.type === 'Unisolate') m.isolation = null;
        if (a.type === 'RestrictCodeExecution') m.restricted = true;
        if (a.type === 'UnrestrictCodeExecution') m.restricted = false;
      }
    }
    return structuredClone(a);
  }
}

export const isOpen = (status: string): boolean => status === 'Pending' || status === 'InProgress';
