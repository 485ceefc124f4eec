// How Riposte's app registration proves itself where a credential class needs the proof itself rather than a
// TokenCredential: OnBehalfOfCredential takes a clientSecret, or a getAssertion callback (and a certificate only as a
// file path, never a PEM string: identity-modes.md §4.3), so for a Key Vault certificate the assertion is signed here.
import { randomUUID } from 'node:crypto';
import type { ClientCertificate } from './clientCertificate';
import type { CredentialSourceKind } from './credentialSource';

/** What OnBehalfOfCredential (and any other confidential-client flow) needs from the app. */
export type ClientAuth = { clientSecret: string } | { getAssertion: () => Promise<string> };

/** `AppDeps.clientAuth`: the app's proof for a token request to `tenantId` (default: TENANT_ID). */
export type ClientAuthProvider = (tenantId?: string) => Promise<ClientAuth>;

export interface CreateClientAuthOptions {
  kind: CredentialSourceKind;
  tenantId: string;
  clientId: string;
  authorityHost: string;
  /** keyVaultSecret: the cached client secret. */
  secret?: () => Promise<string>;
  /** keyVaultCertificate: the cached certificate (key + leaf). */
  certificate?: () => Promise<ClientCertificate>;
  /** managedIdentityFederation: the managed identity's token for the exchange audience. */
  federatedToken?: () => Promise<string>;
  now?: () => number;
}

/** The token endpoint a client assertion is addressed to (its `aud`): the authority's v2 token URL for the tenant. */
export function tokenEndpoint(authorityHost: string, tenantId: string): string {
  return `${authorityHost.replace(/\/+$/, '')}/${tenantId}/oauth2/v2.0/token`;
}

/**
 * A client assertion as msal-node signs one (identity-modes.md §1.2; entra-docs certificate-credentials.md): PS256
 * with `x5t#S256`, aud = the token URL, iss = sub = client id, nbf = iat = now, exp = now + 10 minutes, a fresh jti.
 */
export async function signClientAssertion(
  certificate: ClientCertificate,
  o: { clientId: string; tokenUrl: string; now?: number },
): Promise<string> {
  const { SignJWT } = await import('jose');
  const now = Math.floor((o.now ?? Date.now()) / 1000);
  return new SignJWT({ jti: randomUUID() })
    .setProtectedHeader({ alg: 'PS256', typ: 'JWT', 'x5t#S256': certificate.x5tS256 })
    .setIssuer(o.clientId)
    .setSubject(o.clientId)
    .setAudience(o.tokenUrl)
    .setIssuedAt(now)
    .setNotBefore(now)
    .setExpirationTime(now + 600)
    .sign(certificate.privateKey);
}

export function createClientAuth(o: CreateClientAuthOptions): ClientAuthProvider {
  const missing = (what: string): never => {
    throw new TypeError(`createClientAuth(${o.kind}) needs ${what}`);
  };
  switch (o.kind) {
    case 'keyVaultSecret': {
      const secret = o.secret ?? missing('secret');
      return async () => ({ clientSecret: await secret() });
    }
    case 'keyVaultCertificate': {
      const certificate = o.certificate ?? missing('certificate');
      // A fresh assertion per call: the certificate may have rotated, and assertions are cheap to sign.
      return (tenantId = o.tenantId) =>
        Promise.resolve({
          getAssertion: async () =>
            signClientAssertion(await certificate(), {
              clientId: o.clientId,
              tokenUrl: tokenEndpoint(o.authorityHost, tenantId),
              ...(o.now ? { now: o.now() } : {}),
            }),
        });
    }
    case 'managedIdentityFederation': {
      const federatedToken = o.federatedToken ?? missing('federatedToken');
      // The MI token's audience is the exchange audience, not a tenant: the same assertion serves every tenant.
      return () => Promise.resolve({ getAssertion: federatedToken });
    }
  }
}
