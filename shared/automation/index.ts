// The second composition root, for workflows and webhooks: content (queries, workflows, mappings), Table state,
// the delivery log, the ticket queue and webhook secrets, built once per process on top of the core deps.
import { join } from 'node:path';
import { getQueryLibrary } from '../content';
import { getDeps, type AppDeps } from '../deps';
import type { EngineDeps } from '../engine';
import { ConfigError } from '../errors';
import type { QueryLibrary } from '../queries';
import { createTableStateStore } from '../state/tableState';
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
import { createTableDeliveryLog, type DeliveryLog } from './deliveryLog';
import { createTicketQueue, type TicketQueue } from './ticketQueue';

export interface Automation {
  deps: AppDeps;
  queries: QueryLibrary;
  workflows: ReadonlyMap<string, Workflow>;
  mappings: ReadonlyMap<WebhookSource, SourceMapping>;
  state: StateStore;
  deliveries: DeliveryLog;
  ticketQueue: TicketQueue;
  webhookSecrets: WebhookSecrets;
  engine: EngineDeps;
}

export interface AutomationOverrides {
  state?: StateStore;
  deliveries?: DeliveryLog;
  ticketQueue?: TicketQueue;
  webhookSecrets?: WebhookSecrets;
}

export async function createAutomation(deps: AppDeps, overrides: AutomationOverrides = {}): Promise<Automation> {
  const { config } = deps;
  const queries = await getQueryLibrary(config);
  const [workflows, mappings] = await Promise.all([
    loadWorkflows(join(config.contentDir, 'workflows'), queries),
    loadMappings(join(config.contentDir, 'mappings')),
  ]);
  const storage = (): string => {
    if (!config.storageConnectionString) {
      throw new ConfigError(['AzureWebJobsStorage is required for workflows and webhooks (state, deliveries, queue)']);
    }
    return config.storageConnectionString;
  };
  const state = overrides.state ?? createTableStateStore(storage());
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
    deliveries: overrides.deliveries ?? createTableDeliveryLog(storage()),
    ticketQueue: overrides.ticketQueue ?? createTicketQueue(storage(), config.ticketEventsQueue),
    webhookSecrets,
    engine: {
      defender: deps.defender,
      queries,
      state,
      logger: deps.logger,
      markerText: config.markerText,
      dryRun: config.dryRun,
    },
  };
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
