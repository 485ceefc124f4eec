// Declarative workflows: load and validate YAML files, check run input.
export { loadWorkflows, loadWorkflowFile, parseWorkflow } from './loadWorkflow';
export { WorkflowError } from './workflowError';
export { validateRunInput } from './runInput';
export { ExpressionError } from './expressions';
export { STEP_KINDS, type StepKind } from './workflowSchema';
export type { Workflow, Step, InputField, TriggerKind, WorkflowTriggers, WebhookSource } from './types';
