// Step kind → module. Control kinds (forEach, if, stop) are part of the engine, not modules.
import type { ActionKind } from '../workflows/types';
import { comment } from './comment';
import { commentAlert } from './commentAlert';
import {
  collectInvestigationPackage,
  isolateDevice,
  releaseDevice,
  restrictAppExecution,
  runAntivirusScan,
  stopAndQuarantineFile,
  unrestrictAppExecution,
} from './deviceActionSteps';
import { getAlert } from './getAlert';
import { getIncident } from './getIncident';
import { hunt } from './hunt';
import { confirmUserCompromised, confirmUserSafe, disableUser, enableUser, revokeUserSessions } from './identitySteps';
import { jiraComment } from './jiraComment';
import { listAlerts } from './listAlerts';
import { listIncidents } from './listIncidents';
import { notifyTeams } from './notifyTeams';
import { serviceNowWorkNote } from './serviceNowWorkNote';
import { set } from './set';
import type { ActionModule } from './types';
import { updateAlert } from './updateAlert';
import { updateIncident } from './updateIncident';

export const ACTIONS: Readonly<Record<ActionKind, ActionModule<unknown>>> = {
  hunt: hunt as ActionModule<unknown>,
  listIncidents: listIncidents as ActionModule<unknown>,
  getIncident: getIncident as ActionModule<unknown>,
  updateIncident: updateIncident as ActionModule<unknown>,
  comment: comment as ActionModule<unknown>,
  set: set as ActionModule<unknown>,
  listAlerts: listAlerts as ActionModule<unknown>,
  getAlert: getAlert as ActionModule<unknown>,
  updateAlert: updateAlert as ActionModule<unknown>,
  commentAlert: commentAlert as ActionModule<unknown>,
  isolateDevice: isolateDevice as ActionModule<unknown>,
  releaseDevice: releaseDevice as ActionModule<unknown>,
  runAntivirusScan: runAntivirusScan as ActionModule<unknown>,
  collectInvestigationPackage: collectInvestigationPackage as ActionModule<unknown>,
  restrictAppExecution: restrictAppExecution as ActionModule<unknown>,
  unrestrictAppExecution: unrestrictAppExecution as ActionModule<unknown>,
  stopAndQuarantineFile: stopAndQuarantineFile as ActionModule<unknown>,
  revokeUserSessions: revokeUserSessions as ActionModule<unknown>,
  disableUser: disableUser as ActionModule<unknown>,
  enableUser: enableUser as ActionModule<unknown>,
  confirmUserCompromised: confirmUserCompromised as ActionModule<unknown>,
  confirmUserSafe: confirmUserSafe as ActionModule<unknown>,
  notifyTeams: notifyTeams as ActionModule<unknown>,
  jiraComment: jiraComment as ActionModule<unknown>,
  serviceNowWorkNote: serviceNowWorkNote as ActionModule<unknown>,
};

/** Kinds that change incidents or alerts: skipped in dry run, guarded by idempotency keys. */
export const WRITE_KINDS: ReadonlySet<ActionKind> = new Set([
  'updateIncident',
  'comment',
  'updateAlert',
  'commentAlert',
  'isolateDevice',
  'releaseDevice',
  'runAntivirusScan',
  'collectInvestigationPackage',
  'restrictAppExecution',
  'unrestrictAppExecution',
  'stopAndQuarantineFile',
  'revokeUserSessions',
  'disableUser',
  'enableUser',
  'confirmUserCompromised',
  'confirmUserSafe',
  'notifyTeams',
  'jiraComment',
  'serviceNowWorkNote',
]);

export type { ActionModule, StepChange, StepResult, StepRuntime, StepTarget, WriteGuard, PreparedWrite } from './types';
export { isRiposteComment, markComment, DEFAULT_MARKER_TEXT } from './marker';
