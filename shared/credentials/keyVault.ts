// The Key Vault client that reads the client secret, authenticated by the Function App's managed identity.
// ManagedIdentityCredential directly, not DefaultAzureCredential: it never probes other sources (IMDS guesses,
// az/pwsh/azd processes), so a misconfigured identity fails fast with one clear error.
import type { SecretClientLike } from './secretProvider';

export interface CreateKeyVaultSecretClientOptions {
  vaultUrl: string;
  /** User-assigned identity's client id; undefined uses the system-assigned identity. */
  managedIdentityClientId: string | undefined;
  /** False only for vaults whose host does not end in the challenge's resource domain (the loopback sandbox). */
  challengeResourceVerification: boolean;
  /** Trusted CAs (defaults plus TLS_CA_FILE) for both the identity endpoint and the vault. */
  ca?: string[] | undefined;
}

/**
 * A SecretClient built on first use and reused for the life of the process (the SDKs are loaded lazily to keep
 * cold starts of functions that never need a token short).
 */
export function createKeyVaultSecretClient(options: CreateKeyVaultSecretClientOptions): SecretClientLike {
  let client: SecretClientLike | undefined;
  const build = (): SecretClientLike => {
    /* eslint-disable @typescript-eslint/no-require-imports */
    const { ManagedIdentityCredential } = require('@azure/identity') as typeof import('@azure/identity');
    const { SecretClient } = require('@azure/keyvault-secrets') as typeof import('@azure/keyvault-secrets');
    /* eslint-enable @typescript-eslint/no-require-imports */
    const tlsOptions = options.ca ? { tlsOptions: { ca: options.ca } } : {};
    const credential = new ManagedIdentityCredential({
      ...(options.managedIdentityClientId ? { clientId: options.managedIdentityClientId } : {}),
      ...tlsOptions,
    });
    return new SecretClient(options.vaultUrl, credential, {
      disableChallengeResourceVerification: !options.challengeResourceVerification,
      ...tlsOptions,
    });
  };
  return {
    getSecret: (name, opts) => {
      client ??= build();
      return client.getSecret(name, opts);
    },
  };
}
