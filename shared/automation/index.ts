// The second composition root, for workflows and webhooks: content (queries, workflows, mappings), Table state,
// the delivery log, the ticket queue, the ticket-event clock and webhook secrets, built once per process on top of
// the core deps.
import { join } from 'node:path';
import { approvalChannels } from '../approval/channels';
import { createApprovalGate } from '../approval/gate';
import { createTableApprovalStore } from '../approval/tableStore';
import type { ApprovalStore } from '../approval/types';
import type { TokenCredential } from '@azure/identity';
import { getQueryLibrary } from '../content';
import { getDeps, type AppDeps } from '../deps';
import type { EngineDeps } from '../engine';
import { createActionFollowUps, createTableDeviceActionStore, type DeviceActionStore } from '../mde/actionFollowUp';
import type { ActionFollowUps } from '../mde/followUpTypes';
import type { QueryLibrary } from '../queries';
import { createTableStateStore } from '../state/tableState';
import { createTableTicketEventClock } from '../state/tableTicketEventClock';
import type { TicketEventClock } from '../state/ticketEventClock';
import type { StateStore } from '../state/types';
import {
  createWebhookSecrets,
  keyVaultWebhookSecretLoader,
  loadMappings,
  webhookSecretsFromSettings,
  type WebhookSecrets,
} from '../webhooks';
import type { SourceMapping, WebhookSource } from '../webhooks/types';
import { loadWorkflows, type Workflow } from '../workflows';
import { webhookWorkflowProblems } from './webhookWorkflow';
import { createTableDeliveryLog, type DeliveryLog } from './deliveryLog';
import { createStorageClients, FAIL_FAST_RETRY, type StorageClients } from './storageClients';
import type { AsyncRuns } from './asyncRuns';
import { createTicketQueue, type MessageQueue, type TicketQueue } from './ticketQueue';

/** One enqueue of an accepted webhook, retries included; within the 10-30 s senders wait for an answer. */
const ACCEPT_SEND_TIMEOUT_MS = 8000;

export interface Automation {
  deps: AppDeps;
  queries: QueryLibrary;
  workflows: ReadonlyMap<string, Workflow>;
  mappings: ReadonlyMap<WebhookSource, SourceMapping>;
  state: StateStore;
  deliveries: DeliveryLog;
  ticketQueue: TicketQueue;
  /** Per incident: the last applied ticket event per field, and the lease that serialises applying them. */
  ticketClock: TicketEventClock;
  webhookSecrets: WebhookSecrets;
  engine: EngineDeps;
  /** Workflow runs answered 202 over HTTP and continued on the queue (asyncRuns.ts). */
  asyncRuns: AsyncRuns;
  /** Approvals of destructive steps (shared/approval): the gate in `engine`, the records for the decision functions. */
  approvals: ApprovalStore;
}

export interface AutomationOverrides {
  /** Replaces the managed identity for identity-based storage (AzureWebJobsStorage__accountName). */
  credential?: TokenCredential;
  state?: StateStore;
  deliveries?: DeliveryLog;
  ticketQueue?: TicketQueue;
  ticketClock?: TicketEventClock;
  webhookSecrets?: WebhookSecrets;
  runQueue?: MessageQueue;
  approvals?: ApprovalStore;
}

export async function createAutomation(deps: AppDeps, overrides: AutomationOverrides = {}): Promise<Automation> {
  const { config } = deps;
  const queries = await getQueryLibrary(config);
  const [workflows, mappings] = await Promise.all([
    loadWorkflows(join(config.contentDir, 'workflows'), queries, {
      backend: config.api,
      tenants: config.tenants.tenants.map((t) => t.key),
    }),
    loadMappings(join(config.contentDir, 'mappings')),
  ]);
  for (const problem of webhookWorkflowProblems(workflows, config.ticketSyncWorkflow))
    deps.logger.warn(`[automation] ${problem}`);
  // Built only when something needs storage, so overrides alone never require a storage setting.
  let clients: StorageClients | undefined;
  const storage = (): StorageClients =>
    (clients ??= createStorageClients(config, { credential: overrides.credential }));
  // Webhook acceptance (the delivery log and enqueueing) fails fast: the sender is waiting and retries a 503
  // itself. Engine state and the poison queue keep the SDKs' patient retries.
  let acceptClients: StorageClients | undefined;
  const acceptStorage = (): StorageClients => (acceptClients ??= storage().withRetry(FAIL_FAST_RETRY));
  const ticketQueue = (): TicketQueue => {
    const accepting = createTicketQueue(acceptStorage(), config.ticketEventsQueue, ACCEPT_SEND_TIMEOUT_MS);
    const poisoning = createTicketQueue(storage(), config.ticketEventsQueue);
    return { send: accepting.send, sendPoison: poisoning.sendPoison };
  };
  const state = overrides.state ?? createTableStateStore(storage());
  let clock: TicketEventClock | undefined;
  let runQueue: MessageQueue | undefined;
  const signingSecret = config.approval.signingSecretName;
  const approvals =
    overrides.approvals ??
    createTableApprovalStore(
      { table: (name) => storage().table(name) },
      {
        ...(signingSecret
          ? {
              signingKey: async () => {
                const key = Buffer.from((await deps.notify.secrets.get(signingSecret)).trim(), 'base64');
                if (key.length < 32)
                  throw new Error(`Key Vault secret '${signingSecret}' must hold at least 32 bytes, base64-encoded`);
                return key;
              },
            }
          : {}),
      },
    );
  const webhookSecrets =
    overrides.webhookSecrets ??
    (Object.keys(config.webhookSecretSettings).length > 0
      ? webhookSecretsFromSettings(config.webhookSecretSettings)
      : createWebhookSecrets(keyVaultWebhookSecretLoader(deps.secretClient, config.keyVaultUrl)));
  return {
    deps,
    queries,
    workflows,
    mappings,
    state,
    deliveries: overrides.deliveries ?? createTableDeliveryLog(acceptStorage()),
    ticketQueue: overrides.ticketQueue ?? ticketQueue(),
    // Built on first use like the rest: the queue consumer keeps the SDK's patient retries (nobody is waiting).
    get ticketClock(): TicketEventClock {
      return (clock ??= overrides.ticketClock ?? createTableTicketEventClock(storage()));
    },
    webhookSecrets,
    asyncRuns: {
      // Built on first use: nothing but an asynchronous run needs this queue.
      get queue(): MessageQueue {
        return (runQueue ??= overrides.runQueue ?? createTicketQueue(storage(), config.workflowRunsQueue));
      },
      retentionMs: config.runReportRetentionMs,
      baseUrl: config.publicBaseUrl,
    },
    engine: {
      defender: deps.defender,
      apis: deps.apis,
      // Without storage (a CLI dry run) an action still open is reported as such, with no later check.
      ...(config.storageConnectionString || config.storageAccountName
        ? { followUps: lazyFollowUps(() => deviceActions(storage(), config)) }
        : {}),
      queries,
      state,
      logger: deps.logger,
      markerText: config.markerText,
      notify: deps.notify,
      dryRun: config.dryRun,
      leaseMs: config.leaseMs,
      approvals: createApprovalGate({
        store: approvals,
        channels: approvalChannels(deps.notify),
        defaults: {
          expiresInMs: config.approval.expiresInMs,
          teamsSecret: config.approval.teamsSecretName,
          callbackSecret: config.approval.callbackSecretName,
        },
        baseUrl: config.publicBaseUrl,
        now: () => new Date(),
        logger: deps.logger,
      }),
    },
    approvals,
  };
}

/** The device-action follow-up over storage: the RiposteDeviceActions table and DEVICE_ACTIONS_QUEUE. */
export function deviceActions(
  clients: StorageClients,
  config: Pick<AppDeps['config'], 'deviceActionsQueue' | 'deviceActionCheckMs'>,
): { store: DeviceActionStore; queue: MessageQueue; firstCheckMs: number } {
  return {
    store: createTableDeviceActionStore(clients.table('RiposteDeviceActions')),
    queue: createTicketQueue(clients, config.deviceActionsQueue),
    firstCheckMs: config.deviceActionCheckMs,
  };
}

/** Built on first use, like the other storage clients. */
function lazyFollowUps(build: () => ReturnType<typeof deviceActions>): ActionFollowUps {
  let built: ActionFollowUps | undefined;
  return { track: (entry) => (built ??= createActionFollowUps(build())).track(entry) };
}

let cached: Promise<Automation> | undefined;

/** Memoised per process; a failed build (bad file, missing setting) is retried on the next invocation. */
export function getAutomation(): Promise<Automation> {
  cached ??= createAutomation(getDeps()).catch((e: unknown) => {
    cached = undefined;
    throw e;
  });
  return cached;
}
