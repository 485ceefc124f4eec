// The composition roots and the automation entry points, required on a function's first invocation instead of when
// the host indexes the app. Importing them eagerly pulled axios, @azure/data-tables, @azure/storage-queue, yaml, ajv,
// jsonata and cron-parser into every cold start (~1 s on the 2-core dev box, against ~30 ms for @azure/functions
// alone; bench/coldStart.ts measures it). Function files import these wrappers; types come from `import type`.
/* eslint-disable @typescript-eslint/no-require-imports */
import type { Automation } from '../../shared/automation';
import type { AppDeps } from '../../shared/deps';

type Deps = typeof import('../../shared/deps');
type AutomationModule = typeof import('../../shared/automation');
type Content = typeof import('../../shared/content');
type Accept = typeof import('../../shared/automation/acceptDelivery');
type Apply = typeof import('../../shared/automation/applyTicketEvent');
type RunRequest = typeof import('../../shared/automation/runWorkflowRequest');
type Scheduled = typeof import('../../shared/automation/runScheduled');
type Poison = typeof import('../../shared/automation/poisonQueue');
type Clients = typeof import('../../shared/automation/storageClients');
type RunStatus = typeof import('../../shared/automation/asyncRunStatus');
type Continue = typeof import('../../shared/automation/continueAsyncRun');
type FollowDevice = typeof import('../../shared/automation/followDeviceAction');

export const getDeps = (): AppDeps => (require('../../shared/deps') as Deps).getDeps();

export const getAutomation = (): Promise<Automation> =>
  (require('../../shared/automation') as AutomationModule).getAutomation();

export const getQueryLibrary: Content['getQueryLibrary'] = (...args) =>
  (require('../../shared/content') as Content).getQueryLibrary(...args);

export const acceptDelivery: Accept['acceptDelivery'] = (...args) =>
  (require('../../shared/automation/acceptDelivery') as Accept).acceptDelivery(...args);

export const applyTicketEvent: Apply['applyTicketEvent'] = (...args) =>
  (require('../../shared/automation/applyTicketEvent') as Apply).applyTicketEvent(...args);

export const runWorkflowRequest: RunRequest['runWorkflowRequest'] = (...args) =>
  (require('../../shared/automation/runWorkflowRequest') as RunRequest).runWorkflowRequest(...args);

export const runScheduled: Scheduled['runScheduled'] = (...args) =>
  (require('../../shared/automation/runScheduled') as Scheduled).runScheduled(...args);

export const createPoisonQueue: Poison['createPoisonQueue'] = (...args) =>
  (require('../../shared/automation/poisonQueue') as Poison).createPoisonQueue(...args);

export const createStorageClients: Clients['createStorageClients'] = (...args) =>
  (require('../../shared/automation/storageClients') as Clients).createStorageClients(...args);

export const asyncRunStatus: RunStatus['asyncRunStatus'] = (...args) =>
  (require('../../shared/automation/asyncRunStatus') as RunStatus).asyncRunStatus(...args);

export const continueAsyncRun: Continue['continueAsyncRun'] = (...args) =>
  (require('../../shared/automation/continueAsyncRun') as Continue).continueAsyncRun(...args);

export const followDeviceAction: FollowDevice['followDeviceAction'] = (...args) =>
  (require('../../shared/automation/followDeviceAction') as FollowDevice).followDeviceAction(...args);

type Approvals = typeof import('../../shared/automation/approvalDecision');

export const approvalPage: Approvals['approvalPage'] = (...args) =>
  (require('../../shared/automation/approvalDecision') as Approvals).approvalPage(...args);

export const decideByLink: Approvals['decideByLink'] = (...args) =>
  (require('../../shared/automation/approvalDecision') as Approvals).decideByLink(...args);

export const decideByCaller: Approvals['decideByCaller'] = (...args) =>
  (require('../../shared/automation/approvalDecision') as Approvals).decideByCaller(...args);
