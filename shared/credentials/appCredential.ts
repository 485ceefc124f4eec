// Builds the credential source CREDENTIAL_SOURCE names, and what health and on-behalf-of need from it. Each source
// reads only its own settings: a certificate deployment never reads CLIENT_SECRET_NAME, a federated one no secret.
import type { Cloud } from '../clouds';
import type { AppConfig } from '../config';
import { createCertificateSource } from './certificateSource';
import { createClientAuth, type ClientAuthProvider } from './clientAuth';
import type { CredentialSource, CredentialSourceKind } from './credentialSource';
import { createFederationSource, tokenExchangeAudience } from './federationSource';
import { createSecretProvider, type SecretClientLike, type SecretProvider } from './secretProvider';
import { createSecretSource, type CredentialFactory } from './tokenProvider';

export interface AppCredential {
  source: CredentialSource;
  /** The Key Vault secret the source reads (client secret or certificate); undefined for managedIdentityFederation. */
  secrets: SecretProvider | undefined;
  clientAuth: ClientAuthProvider;
  /**
   * The first hop of deep health, done anew (never from cache): Key Vault for a secret or certificate (a disabled or
   * deleted one shows at once), the managed identity's exchange token for a federated credential.
   */
  check(): Promise<unknown>;
  /** The hop's name in deep health. */
  readonly checkName: 'keyVault' | 'managedIdentity';
  /** Source and non-secret names (secret or certificate name, thumbprint once read, identity client id). */
  describe(): { source: CredentialSourceKind } & Record<string, string>;
}

export interface CreateAppCredentialOptions {
  secretClient: SecretClientLike;
  /** Trusted CAs for the identity endpoint and Entra ID (TLS_CA_FILE). */
  ca?: string[] | undefined;
  now?: () => number;
  /** Replaces ClientSecretCredential (keyVaultSecret only). */
  createCredential?: CredentialFactory;
  /**
   * Another tenant's app (a TENANTS entry): its tenant, client, authority, cloud, source and Key Vault names. Key
   * Vault, the managed identity and the caches stay the deployment's. Absent: the root settings.
   */
  identity?: AppIdentity;
}

export interface AppIdentity {
  tenantId: string;
  clientId: string;
  authorityHost: string;
  cloud: Cloud;
  credentialSource: CredentialSourceKind;
  clientSecretName: string;
  clientCertificateName?: string | undefined;
}

export function createAppCredential(config: Readonly<AppConfig>, options: CreateAppCredentialOptions): AppCredential {
  const id: AppIdentity = options.identity ?? config;
  const common = {
    tenantId: id.tenantId,
    clientId: id.clientId,
    authorityHost: id.authorityHost,
    // Instance discovery asks login.microsoftonline.com about the authority: wrong for the sandbox or a private one.
    disableInstanceDiscovery: config.customAuthority,
    credentialOptions: options.ca ? { tlsOptions: { ca: options.ca } } : {},
  };
  const secretsFor = (name: string, holds: 'clientSecret' | 'certificate'): SecretProvider =>
    createSecretProvider({
      secretClient: options.secretClient,
      vaultUrl: config.keyVaultUrl,
      secretName: name,
      ttlMs: config.secretCacheTtlMs,
      holds,
      ...(options.now ? { now: options.now } : {}),
    });
  const describe = (source: CredentialSource) => () => ({ source: source.kind, ...source.describe() });

  switch (id.credentialSource) {
    case 'keyVaultCertificate': {
      const secrets = secretsFor(id.clientCertificateName ?? '', 'certificate');
      const source = createCertificateSource({ ...common, secrets, ...(options.now ? { now: options.now } : {}) });
      return {
        source,
        secrets,
        clientAuth: createClientAuth({ kind: source.kind, ...common, certificate: () => source.certificate() }),
        // Reads and parses: a PKCS#12 or key-less certificate fails the hop with what to do.
        check: async () => {
          await secrets.refresh();
          return source.current();
        },
        checkName: 'keyVault',
        describe: describe(source),
      };
    }
    case 'managedIdentityFederation': {
      const source = createFederationSource({
        ...common,
        managedIdentityClientId: config.managedIdentityClientId ?? '',
        audience: tokenExchangeAudience(id.cloud),
      });
      return {
        source,
        secrets: undefined,
        clientAuth: createClientAuth({ kind: source.kind, ...common, federatedToken: source.getAssertion }),
        check: () => source.getAssertion(),
        checkName: 'managedIdentity',
        describe: describe(source),
      };
    }
    case 'keyVaultSecret': {
      const secrets = secretsFor(id.clientSecretName, 'clientSecret');
      const source = createSecretSource({
        ...common,
        secrets,
        ...(options.createCredential ? { createCredential: options.createCredential } : {}),
      });
      return {
        source,
        secrets,
        clientAuth: createClientAuth({ kind: source.kind, ...common, secret: () => secrets.get() }),
        check: () => secrets.refresh(),
        checkName: 'keyVault',
        describe: describe(source),
      };
    }
  }
}
