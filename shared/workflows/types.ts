// A workflow after loading: validated, every expression compiled and checked. Only the loader builds these.
import type { CompiledExpression, CompiledValue } from './expressions';
import type { StepKind } from './workflowSchema';

export type TriggerKind = 'timer' | 'http' | 'webhook' | 'queue' | 'cli';
export type WebhookSource = 'servicenow' | 'jira' | 'generic';
export type InputType = 'string' | 'integer' | 'number' | 'boolean' | 'array' | 'object';

export interface WorkflowTriggers {
  /** 6-field NCRONTAB (UTC). */
  schedule?: string;
  http?: boolean;
  webhook?: { sources: WebhookSource[] };
}

export interface InputField {
  name: string;
  type: InputType;
  required: boolean;
  default?: unknown;
  enum?: unknown[];
  minimum?: number;
  maximum?: number;
  description?: string;
}

export interface WindowSettings {
  ingestionDelayMs?: number;
  initialLookbackMs?: number;
  maxWindowMs?: number;
}

interface StepBase {
  id: string;
  /** Where the step is declared, for messages: "steps[2] (tagIncidents)". */
  path: string;
  description?: string;
  when?: CompiledExpression;
  onError: 'fail' | 'continue';
}

export type ActionKind = Exclude<StepKind, 'forEach' | 'if' | 'stop'>;

export interface ActionStep extends StepBase {
  kind: ActionKind;
  /** The step's `input`, compiled; each action module knows its shape. */
  input: CompiledValue;
  /** Destructive kinds only: `none`, or how to ask (absent: the APPROVAL_* settings decide). */
  approval?: StepApproval;
}

/** How a destructive step is approved: not at all, or asked of a person through Teams and/or an HTTP callback. */
export type StepApproval =
  { mode: 'none' } | { mode: 'ask'; teamsSecret?: string; callbackSecret?: string; expiresInMs?: number };

export interface ForEachStep extends StepBase {
  kind: 'forEach';
  items: CompiledExpression;
  concurrency: number;
  steps: Step[];
}

export interface IfStep extends StepBase {
  kind: 'if';
  condition: CompiledExpression;
  then: Step[];
  else: Step[];
}

export interface StopStep extends StepBase {
  kind: 'stop';
  reason: CompiledValue;
}

export type Step = ActionStep | ForEachStep | IfStep | StopStep;

export interface Workflow {
  name: string;
  description: string;
  /** The file it was loaded from (as given to the loader). */
  file: string;
  triggers: WorkflowTriggers;
  input: InputField[];
  window: WindowSettings;
  /** The file asks to always run dry. */
  dryRun: boolean;
  /** `tenants:` (the registry tenants it runs for): 'all' (the default) or tenant keys. */
  tenants: 'all' | readonly string[];
  steps: Step[];
}
