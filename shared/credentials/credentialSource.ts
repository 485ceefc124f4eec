// How Riposte's app registration proves itself to Entra ID (CREDENTIAL_SOURCE). The token provider asks a source for
// the current proof, builds one @azure/identity credential per proof and scope, and asks the source what a rejection
// means; each source knows its own Entra error codes and what the operator must fix.
import type { AuthError } from '../errors';
import type { TokenErrorInfo } from './tokenProvider';

export const CREDENTIAL_SOURCES = ['keyVaultSecret', 'keyVaultCertificate', 'managedIdentityFederation'] as const;
export type CredentialSourceKind = (typeof CREDENTIAL_SOURCES)[number];

/** The part of @azure/core-auth's TokenCredential used here. */
export interface TokenCredentialLike {
  getToken(scopes: string | string[], options?: object): Promise<{ token: string; expiresOnTimestamp: number } | null>;
}

/** What every source needs to build its credential: the app, where it signs in, the SDK's options. */
export interface SourceAppOptions {
  tenantId: string;
  clientId: string;
  authorityHost: string;
  disableInstanceDiscovery: boolean;
  /** tlsOptions with the sandbox CA, retryOptions… */
  credentialOptions?: Record<string, unknown>;
}

/** One proof (a secret value, a certificate version, the managed identity); `key` tells two proofs apart. */
export interface CredentialProof {
  /** Compared only, never logged or shown (for a secret it is the value itself). */
  readonly key: string;
}

export interface CredentialSource<P extends CredentialProof = CredentialProof> {
  readonly kind: CredentialSourceKind;
  /** The current proof (cached; Key Vault is read on first use and after its TTL). */
  current(): Promise<P>;
  /** Reads the proof again after Entra rejected it; absent when re-reading cannot help. */
  refresh?(): Promise<P>;
  /** A new @azure/identity credential for this proof (MSAL caches tokens inside it, per scope). */
  createCredential(proof: P): TokenCredentialLike;
  /** True when Entra rejected the proof itself, so a re-read may heal it (the secret or certificate was rotated). */
  isRejected(info: TokenErrorInfo): boolean;
  /** The error once the re-read did not help: names what was read and what to fix. */
  rejectedError(err: unknown, info: TokenErrorInfo, reRead: 'unchanged' | 'changed', proof: P): AuthError;
  /**
   * A source-specific explanation of any other failure (a federated credential mismatch, the managed identity
   * endpoint down); undefined leaves it to the generic mapping.
   */
  explain?(err: unknown, info: TokenErrorInfo, scope: string): AuthError | undefined;
  /** Log words: "client secret", "client certificate", "federated credential". */
  readonly label: string;
  /** Non-secret names for health and logs: setting → value (secret name, certificate name, identity client id). */
  describe(): Record<string, string>;
}
