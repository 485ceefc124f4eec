// Table and queue clients for state, deliveries and the ticket-event queue, from either storage setting the
// Functions host understands: a connection string (AzureWebJobsStorage: Azurite, or an account key) or an account
// name used with the managed identity (AzureWebJobsStorage__accountName: no key anywhere, as deployed by infra/).
import type { TokenCredential } from '@azure/identity';
import { TableClient, type TableServiceClientOptions } from '@azure/data-tables';
import { QueueClient, type StoragePipelineOptions } from '@azure/storage-queue';
import type { Cloud } from '../clouds';
import type { AppConfig } from '../config';
import { ConfigError } from '../errors';

export interface StorageClients {
  /** How the clients authenticate, for messages: 'connectionString' or 'managedIdentity'. */
  readonly mode: 'connectionString' | 'managedIdentity';
  table(name: string): TableClient;
  queue(name: string): QueueClient;
  /** The same account and credential (one token cache) with other retry and timeout settings. */
  withRetry(retry: StorageRetry): StorageClients;
}

// Storage endpoint suffixes: GCC runs in the commercial cloud; GCC High and DoD in Azure Government.
const STORAGE_SUFFIX: Record<Cloud, string> = {
  public: 'core.windows.net',
  gcc: 'core.windows.net',
  'gcc-high': 'core.usgovcloudapi.net',
  dod: 'core.usgovcloudapi.net',
};

/** How hard the clients try before failing; absent: the SDKs' defaults (3 retries from 1 s for tables, 4 s queues). */
export interface StorageRetry {
  /** Retries after the first try. */
  maxRetries: number;
  /** First retry delay; later ones double, up to four times this. */
  retryDelayMs: number;
  /**
   * Tables: each try is aborted after this long (a hung connection instead of a refused one). Queues: sent as the
   * server-side `timeout` only; the queue SDK has no client-side per-try timeout to set.
   */
  tryTimeoutMs: number;
}

/**
 * For webhook acceptance: the sender is waiting and will retry the whole delivery itself, so storage trouble should
 * be answered 503 within a second or two, not after the SDKs' ~5 s of backoff. One retry 100-200 ms later still
 * rides over a dropped keep-alive connection; 5 s per table try bounds a hung claim inside senders' timeouts.
 */
export const FAIL_FAST_RETRY: StorageRetry = { maxRetries: 1, retryDelayMs: 200, tryTimeoutMs: 5000 };

type PipelinePolicy = NonNullable<TableServiceClientOptions['additionalPolicies']>[number]['policy'];

/** Sets a per-try timeout on every table request (core-rest-pipeline's node client aborts it when it expires). */
function tryTimeoutPolicy(ms: number): PipelinePolicy {
  return {
    name: 'riposteTryTimeout',
    sendRequest: (request, next) => {
      if (!request.timeout) request.timeout = ms;
      return next(request);
    },
  };
}

function tableOptions(retry: StorageRetry | undefined): TableServiceClientOptions {
  if (!retry) return {};
  return {
    retryOptions: {
      maxRetries: retry.maxRetries,
      retryDelayInMs: retry.retryDelayMs,
      maxRetryDelayInMs: retry.retryDelayMs * 4,
    },
    additionalPolicies: [{ policy: tryTimeoutPolicy(retry.tryTimeoutMs), position: 'perRetry' }],
  };
}

function queueOptions(retry: StorageRetry | undefined): StoragePipelineOptions {
  if (!retry) return {};
  return {
    retryOptions: {
      maxTries: retry.maxRetries + 1,
      retryDelayInMs: retry.retryDelayMs,
      maxRetryDelayInMs: retry.retryDelayMs * 4,
      tryTimeoutInMs: retry.tryTimeoutMs,
    },
  };
}

/** Azurite and other http endpoints need allowInsecureConnection; real accounts use https. */
export function isInsecureConnectionString(connectionString: string): boolean {
  return /TableEndpoint=http:|QueueEndpoint=http:|UseDevelopmentStorage=true|DefaultEndpointsProtocol=http;/i.test(
    connectionString,
  );
}

export interface StorageClientOptions {
  /** Retry and timeout for every client built (default: the SDKs' own). */
  retry?: StorageRetry;
}

export function storageClientsFromConnectionString(
  connectionString: string,
  options: StorageClientOptions = {},
): StorageClients {
  const allowInsecureConnection = isInsecureConnectionString(connectionString);
  return {
    mode: 'connectionString',
    table: (name) =>
      TableClient.fromConnectionString(connectionString, name, {
        ...tableOptions(options.retry),
        allowInsecureConnection,
      }),
    queue: (name) => new QueueClient(connectionString, name, queueOptions(options.retry)),
    withRetry: (retry) => storageClientsFromConnectionString(connectionString, { ...options, retry }),
  };
}

export interface IdentityStorageOptions extends StorageClientOptions {
  accountName: string;
  cloud: Cloud;
  credential: TokenCredential;
}

/** `https://<account>.table.<suffix>` and `https://<account>.queue.<suffix>`, with a bearer token per request. */
export function storageClientsFromIdentity(options: IdentityStorageOptions): StorageClients {
  const suffix = STORAGE_SUFFIX[options.cloud];
  const tableUrl = `https://${options.accountName}.table.${suffix}`;
  const queueUrl = `https://${options.accountName}.queue.${suffix}`;
  return {
    mode: 'managedIdentity',
    table: (name) => new TableClient(tableUrl, name, options.credential, tableOptions(options.retry)),
    queue: (name) => new QueueClient(`${queueUrl}/${name}`, options.credential, queueOptions(options.retry)),
    withRetry: (retry) => storageClientsFromIdentity({ ...options, retry }),
  };
}

/**
 * The storage the config names: the connection string wins (local runs, Azurite); otherwise the account name with
 * the managed identity (MANAGED_IDENTITY_CLIENT_ID for a user-assigned one).
 * @throws {ConfigError} when neither setting is present.
 */
export function createStorageClients(
  config: Pick<AppConfig, 'storageConnectionString' | 'storageAccountName' | 'cloud' | 'managedIdentityClientId'>,
  options: { credential?: TokenCredential } = {},
): StorageClients {
  if (config.storageConnectionString) return storageClientsFromConnectionString(config.storageConnectionString);
  if (config.storageAccountName) {
    let credential = options.credential;
    if (!credential) {
      // Loaded lazily, as in credentials/keyVault.ts: functions that never touch storage skip the SDK.
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      const { ManagedIdentityCredential } = require('@azure/identity') as typeof import('@azure/identity');
      credential = new ManagedIdentityCredential(
        config.managedIdentityClientId ? { clientId: config.managedIdentityClientId } : {},
      );
    }
    return storageClientsFromIdentity({ accountName: config.storageAccountName, cloud: config.cloud, credential });
  }
  throw new ConfigError([
    'AzureWebJobsStorage (a connection string) or AzureWebJobsStorage__accountName (with the managed identity) is required for workflows and webhooks (state, deliveries, queue)',
  ]);
}
