// The approval gate's records and contracts (issue 14 item 5). A destructive step (ActionModule.destructive) runs only
// once a person approved it, unless the step says `approval: none`. The engine asks the gate before the step runs:
// the first time it creates a pending record (Table storage, ETag concurrency) and sends the request (Teams card,
// HTTP callback); the run then ends 'awaitingApproval' and is parked (its state in storage, no instance holding it).
// A decision (the page's POST, or the authenticated API) moves the record pending → approved | rejected exactly once
// and queues the run's continuation; the run is re-run under the same run id and owner, so the writes it already made
// are found done, and the gate now answers with the decision. No decision by expiresAt counts as rejection: a
// delayed continuation at expiry finds the record still pending and marks it expired.
import type { StepTarget } from '../steps/types';
import type { StepApproval, TriggerKind } from '../workflows/types';

export type ApprovalState = 'pending' | 'approved' | 'rejected' | 'expired';

export interface ApprovalRecord {
  /** 32 hex digits: a hash of (workflow, owner, step, input), so a resumed run finds the same record. */
  id: string;
  workflow: string;
  /** The run that asked; its continuation is what a decision resumes. */
  runId: string;
  stepId: string;
  /** What will happen, for the approver ("disable the user account"). */
  action: string;
  target?: StepTarget;
  incidentId?: string;
  /** Who asked: the trigger and run ("http run 1b2c… of contain-compromised-user"). */
  requestedBy: string;
  createdAt: string;
  expiresAt: string;
  state: ApprovalState;
  decidedBy?: string;
  decidedAt?: string;
  /** The request was sent to every channel configured (Teams, callback); until then each attempt sends it again. */
  notified: boolean;
}

export type Version = string;

export interface ApprovalStore {
  get(id: string): Promise<{ record: ApprovalRecord; version: Version } | undefined>;
  /** @returns undefined when the id exists already. */
  create(record: ApprovalRecord): Promise<Version | undefined>;
  /** @returns undefined when the record changed since `version` (412) or is gone. */
  replace(record: ApprovalRecord, version: Version): Promise<Version | undefined>;
  /** The link-signing key (32 bytes): created once, kept in storage, unless Key Vault provides it. */
  signingKey(): Promise<Buffer>;
}

/** What the engine asks about a destructive step. */
export interface ApprovalRequest {
  workflow: string;
  runId: string;
  /** The engine's write owner (window, delivery or run): stable across a parked run's continuation. */
  owner: string;
  trigger: TriggerKind;
  stepId: string;
  action: string;
  target?: StepTarget;
  incidentId?: string;
  /** The step's evaluated input: part of the approval's identity (another user is another approval). */
  input: unknown;
  approval: StepApproval | undefined;
}

/** What the run report says about an approval. */
export interface ApprovalInfo {
  id: string;
  stepId: string;
  action: string;
  target?: StepTarget;
  incidentId?: string;
  state: ApprovalState;
  requestedBy: string;
  expiresAt: string;
  decidedBy?: string;
  decidedAt?: string;
}

export interface ApprovalGate {
  /** @returns the approval's state now (a pending one was created or found, and its request sent). */
  check(req: ApprovalRequest): Promise<ApprovalInfo>;
}

export const infoOf = (r: ApprovalRecord): ApprovalInfo => ({
  id: r.id,
  stepId: r.stepId,
  action: r.action,
  ...(r.target ? { target: r.target } : {}),
  ...(r.incidentId !== undefined ? { incidentId: r.incidentId } : {}),
  state: r.state,
  requestedBy: r.requestedBy,
  expiresAt: r.expiresAt,
  ...(r.decidedBy !== undefined ? { decidedBy: r.decidedBy } : {}),
  ...(r.decidedAt !== undefined ? { decidedAt: r.decidedAt } : {}),
});

export const APPROVAL_ID = /^[0-9a-f]{32}$/;
