// CREDENTIAL_SOURCE managedIdentityFederation: no secret anywhere. The Function App's user-assigned managed identity
// gets a token for the token-exchange audience, and the app registration trusts it as a federated identity credential
// (FIC); ClientAssertionCredential presents that token as the client assertion (identity-modes.md §2).
import { AuthError } from '../errors';
import type { Cloud } from '../clouds';
import { redact } from '../logger';
import type { CredentialProof, CredentialSource, SourceAppOptions, TokenCredentialLike } from './credentialSource';
import { isTransientTokenError, parseTokenError, sanitisedCause, type TokenErrorInfo } from './tokenProvider';

/**
 * The FIC audience per cloud (identity-modes.md §2.1; entra-docs workload-identity-federation-config-app-trust-managed-
 * identity.md): the global one, or the US Government one where the login host is login.microsoftonline.us. GCC runs
 * on the commercial Entra ID, so it takes the global audience.
 */
export function tokenExchangeAudience(cloud: Cloud): string {
  return cloud === 'gcc-high' || cloud === 'dod' ? 'api://AzureADTokenExchangeUSGov' : 'api://AzureADTokenExchange';
}

export interface FederationSourceOptions extends SourceAppOptions {
  /** The user-assigned identity's client id (MANAGED_IDENTITY_CLIENT_ID): system-assigned ones cannot be a FIC. */
  managedIdentityClientId: string;
  audience: string;
  /** Replaces ManagedIdentityCredential (tests). */
  managedIdentity?: TokenCredentialLike;
}

interface ErrorLike {
  name?: string;
  message?: string;
  statusCode?: number;
}

/** What the last assertion attempt saw: its failure, or the non-secret claims of the token it got. */
interface LastAssertion {
  error?: unknown;
  claims?: { iss?: string; sub?: string; aud?: string };
}

function claimsOf(jwt: string): LastAssertion['claims'] {
  try {
    const payload = JSON.parse(Buffer.from(jwt.split('.')[1] ?? '', 'base64url').toString('utf8')) as Record<
      string,
      unknown
    >;
    const s = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);
    return { iss: s(payload.iss), sub: s(payload.sub), aud: s(payload.aud) };
  } catch {
    return {};
  }
}

export function createFederationSource(
  options: FederationSourceOptions,
): CredentialSource & { getAssertion(): Promise<string> } {
  const { tenantId, clientId, authorityHost, managedIdentityClientId: miClientId, audience } = options;
  const expectedIssuer = `${authorityHost.replace(/\/+$/, '')}/${tenantId}/v2.0`;
  let mi = options.managedIdentity;
  const managedIdentity = (): TokenCredentialLike => {
    if (!mi) {
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      const { ManagedIdentityCredential } = require('@azure/identity') as typeof import('@azure/identity');
      const tls = options.credentialOptions?.tlsOptions;
      mi = new ManagedIdentityCredential({ clientId: miClientId, ...(tls ? { tlsOptions: tls } : {}) });
    }
    return mi;
  };
  let last: LastAssertion = {};
  const getAssertion = async (): Promise<string> => {
    try {
      const t = await managedIdentity().getToken(`${audience}/.default`);
      if (!t?.token) throw new Error('the managed identity endpoint returned no token');
      last = { claims: claimsOf(t.token) };
      return t.token;
    } catch (err) {
      last = { error: err };
      throw err;
    }
  };
  const ficValues = (): string => {
    const subject = last.claims?.sub ?? `<the principal (object) id of managed identity ${miClientId}>`;
    return `issuer '${expectedIssuer}', subject '${subject}' (the managed identity's principal id, not its client id) and audience '${audience}'`;
  };
  const authError = (message: string, err: unknown, info: TokenErrorInfo, transient: boolean): AuthError => {
    const corr = info.correlationId ? ` (correlation id ${info.correlationId})` : '';
    return new AuthError(
      redact(message + corr),
      {
        ...(info.error ? { error: info.error } : {}),
        errorCodes: info.errorCodes,
        ...(info.correlationId ? { correlationId: info.correlationId } : {}),
        transient,
      },
      { cause: sanitisedCause(err) },
    );
  };
  const proof: CredentialProof = { key: 'managed-identity' };
  return {
    kind: 'managedIdentityFederation',
    label: 'federated credential',
    getAssertion,
    current: () => Promise.resolve(proof),
    createCredential: () => {
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      const { ClientAssertionCredential } = require('@azure/identity') as typeof import('@azure/identity');
      return new ClientAssertionCredential(tenantId, clientId, getAssertion, {
        ...options.credentialOptions,
        authorityHost,
        disableInstanceDiscovery: options.disableInstanceDiscovery,
      });
    },
    // Nothing to re-read: the managed identity's token is fetched anew whenever MSAL needs an assertion.
    isRejected: () => false,
    rejectedError: (err, info) => authError('federated credential rejected', err, info, false),
    explain: (err, info) => {
      if (last.error !== undefined) {
        // The managed identity endpoint failed: the app's own token request never went out.
        const miErr = last.error as ErrorLike;
        const miInfo = parseTokenError(miErr);
        const status = miErr.statusCode;
        const text = redact(String(miErr.message ?? miErr).split('\n')[0] ?? '').slice(0, 300);
        const notFound = status === 400 || /identity not found/i.test(text);
        const transient =
          !notFound && (status === undefined || status >= 500 || status === 429 || isTransientTokenError(miInfo));
        const advice = notFound
          ? `check that MANAGED_IDENTITY_CLIENT_ID is the client id of a user-assigned identity attached to the Function App`
          : `retried later; if it persists check that the Function App has the user-assigned identity ${miClientId} attached`;
        return authError(
          `The managed identity ${miClientId} could not get a token for ${audience} (the federated credential of app ${clientId}): ${advice} (${status ?? miErr.name ?? 'error'}: ${text})`,
          err,
          miInfo,
          transient,
        );
      }
      const codes = info.errorCodes;
      const has = (c: number): boolean => codes.includes(c);
      const fic = [70021, 700213, 700211, 700212].find(has);
      if (fic !== undefined) {
        return authError(
          `No federated identity credential of app ${clientId} matches the managed identity's token (AADSTS${fic}): add one to the app registration (Certificates & secrets → Federated credentials, or az ad app federated-credential create --id ${clientId}) with ${ficValues()}. A new one can take a minute to apply.`,
          err,
          info,
          false,
        );
      }
      if (has(700229)) {
        return authError(
          `Entra ID refused the managed identity's token as a federated credential of app ${clientId} (AADSTS700229): only an app-only token of a user-assigned managed identity can be one; set MANAGED_IDENTITY_CLIENT_ID to the user-assigned identity attached to the Function App.`,
          err,
          info,
          false,
        );
      }
      if (has(700024)) {
        return authError(
          `Entra ID refused the managed identity's token of app ${clientId} as outside its valid time range (AADSTS700024): retried with a new token; if it persists check this host's clock.`,
          err,
          info,
          true,
        );
      }
      return undefined;
    },
    describe: () => ({ MANAGED_IDENTITY_CLIENT_ID: miClientId, audience, issuer: expectedIssuer }),
  };
}
