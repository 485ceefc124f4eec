// The workflow engine: one entry point for every trigger.
export { DEFAULT_LEASE_MS, runWorkflow, type EngineDeps, type RunOptions } from './runWorkflow';
export { InProgressError } from './inProgressError';
export type { RunHandoff, RunReport, RunStatus, StepReport, StepStatus, StepErrorInfo } from './runReport';
export { DEFAULT_WINDOW, planWindow, type WindowDefaults, type PlannedWindow } from './window';
export { isRiposteComment } from '../steps/marker';
