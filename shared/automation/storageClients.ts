// Table and queue clients for state, deliveries and the ticket-event queue, from either storage setting the
// Functions host understands: a connection string (AzureWebJobsStorage: Azurite, or an account key) or an account
// name used with the managed identity (AzureWebJobsStorage__accountName: no key anywhere, as deployed by infra/).
import type { TokenCredential } from '@azure/identity';
import { TableClient } from '@azure/data-tables';
import { QueueClient } from '@azure/storage-queue';
import type { Cloud } from '../clouds';
import type { AppConfig } from '../config';
import { ConfigError } from '../errors';

export interface StorageClients {
  /** How the clients authenticate, for messages: 'connectionString' or 'managedIdentity'. */
  readonly mode: 'connectionString' | 'managedIdentity';
  table(name: string): TableClient;
  queue(name: string): QueueClient;
}

// Storage endpoint suffixes: GCC runs in the commercial cloud; GCC High and DoD in Azure Government.
const STORAGE_SUFFIX: Record<Cloud, string> = {
  public: 'core.windows.net',
  gcc: 'core.windows.net',
  'gcc-high': 'core.usgovcloudapi.net',
  dod: 'core.usgovcloudapi.net',
};

/** Azurite and other http endpoints need allowInsecureConnection; real accounts use https. */
export function isInsecureConnectionString(connectionString: string): boolean {
  return /TableEndpoint=http:|QueueEndpoint=http:|UseDevelopmentStorage=true|DefaultEndpointsProtocol=http;/i.test(
    connectionString,
  );
}

export function storageClientsFromConnectionString(connectionString: string): StorageClients {
  const allowInsecureConnection = isInsecureConnectionString(connectionString);
  return {
    mode: 'connectionString',
    table: (name) => TableClient.fromConnectionString(connectionString, name, { allowInsecureConnection }),
    queue: (name) => new QueueClient(connectionString, name),
  };
}

export interface IdentityStorageOptions {
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
    table: (name) => new TableClient(tableUrl, name, options.credential),
    queue: (name) => new QueueClient(`${queueUrl}/${name}`, options.credential),
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
