// The contract between device-action steps and the later check that follows an action past its step's `wait`.

/** A machine action still open when its step ended. */
export interface FollowUpEntry {
  actionId: string;
  machineId: string;
  type: string;
  status: string;
  workflow: string;
  runId: string;
  stepId: string;
  requestedAt: string;
}

export interface ActionFollowUps {
  /** Records the action (Table storage) and queues its check. @returns when the first check is due. */
  track(entry: FollowUpEntry): Promise<{ checkAt: string }>;
}
