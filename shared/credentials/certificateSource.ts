// CREDENTIAL_SOURCE keyVaultCertificate: a certificate in Key Vault, read as its certificate-backed secret (PEM) and
// given to ClientCertificateCredential. MSAL builds its assertion signer once per credential (identity-modes.md §1.5),
// so a new certificate version means a new credential: the proof's key is the PEM's hash.
import { createHash } from 'node:crypto';
import { AuthError } from '../errors';
import { parseClientCertificate, type ClientCertificate } from './clientCertificate';
import type { CredentialProof, CredentialSource, SourceAppOptions } from './credentialSource';
import type { SecretProvider } from './secretProvider';
import { sanitisedCause, type TokenErrorInfo } from './tokenProvider';

export interface CertificateProof extends CredentialProof {
  readonly certificate: ClientCertificate;
}

export interface CertificateSourceOptions extends SourceAppOptions {
  /** Reads the certificate's secret (CLIENT_CERTIFICATE_NAME) from Key Vault. */
  secrets: SecretProvider;
  now?: () => number;
}

/**
 * AADSTS700027 (assertion signature: the key is not registered on the app, or the certificate expired) and 50012
 * (authentication failed: thumbprint, chain, signature) (identity-modes.md §1.6, entra-docs reference-error-codes.md):
 * the certificate itself is refused, so a newer version in Key Vault may heal it.
 */
export function isCertificateRejected(info: TokenErrorInfo): boolean {
  return info.errorCodes.includes(700027) || info.errorCodes.includes(50012);
}

export function createCertificateSource(
  options: CertificateSourceOptions,
): CredentialSource<CertificateProof> & { certificate(): Promise<ClientCertificate> } {
  const { tenantId, clientId, authorityHost, secrets } = options;
  const now = options.now ?? Date.now;
  const ref = `Key Vault certificate '${secrets.secretName}' in ${secrets.vaultUrl}`;
  // Parsing costs a key import: once per value.
  let parsed: { value: string; proof: CertificateProof } | undefined;
  const proofOf = (value: string): CertificateProof => {
    if (parsed?.value !== value) {
      const certificate = parseClientCertificate(value, { vaultUrl: secrets.vaultUrl, name: secrets.secretName });
      parsed = { value, proof: { key: createHash('sha256').update(value).digest('hex'), certificate } };
    }
    return parsed.proof;
  };
  const describeCert = (c: ClientCertificate): string =>
    `${ref} (thumbprint ${c.thumbprint}, ${c.subject}, ${c.notAfter.getTime() < now() ? 'EXPIRED on' : 'valid until'} ${c.notAfter.toISOString()})`;
  return {
    kind: 'keyVaultCertificate',
    label: 'client certificate',
    current: async () => proofOf(await secrets.get()),
    refresh: async () => proofOf(await secrets.refresh()),
    certificate: async () => proofOf(await secrets.get()).certificate,
    createCredential: (p) => {
      // Loaded on first use, like ClientSecretCredential: most cold starts never need a token.
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      const { ClientCertificateCredential } = require('@azure/identity') as typeof import('@azure/identity');
      return new ClientCertificateCredential(
        tenantId,
        clientId,
        { certificate: p.certificate.pem },
        { ...options.credentialOptions, authorityHost, disableInstanceDiscovery: options.disableInstanceDiscovery },
      );
    },
    isRejected: isCertificateRejected,
    rejectedError: (err, info, reRead, proof) => {
      const c = proof.certificate;
      const code = info.errorCodes.includes(700027) ? 700027 : 50012;
      const corr = info.correlationId ? ` (correlation id ${info.correlationId})` : '';
      const afterReRead =
        reRead === 'unchanged'
          ? 'It was re-read from Key Vault and is unchanged.'
          : 'It was re-read from Key Vault and its new version is rejected too.';
      const fix =
        c.notAfter.getTime() < now()
          ? `the certificate has expired: renew it in Key Vault (a new version) and upload the new certificate's public part to the app registration`
          : `upload this certificate's public part (.cer, thumbprint ${c.thumbprint}) to the app registration's "Certificates & secrets" (az ad app credential reset --id ${clientId} --cert @cert.pem --append), or, if the certificate was renewed in Entra ID only, renew it in Key Vault too`;
      return new AuthError(
        `Entra ID rejects the client certificate of app ${clientId} (AADSTS${code}): ${describeCert(c)} is not a valid certificate credential of this app. ${afterReRead} To fix: ${fix}.${corr}`,
        {
          error: info.error ?? 'invalid_client',
          errorCodes: info.errorCodes,
          ...(info.correlationId ? { correlationId: info.correlationId } : {}),
        },
        { cause: sanitisedCause(err) },
      );
    },
    explain: (err, info) => {
      // Subject name + issuer authorization (700030, 50048) is for Microsoft's own apps (identity-modes.md §1.5).
      const code = [700030, 50048, 700024].find((n) => info.errorCodes.includes(n));
      if (code === undefined || !parsed) return undefined;
      const corr = info.correlationId ? ` (correlation id ${info.correlationId})` : '';
      const why =
        code === 700024
          ? "the client assertion is outside its valid time range: check this host's clock"
          : 'subject name and issuer authorization is not available to this app: register the certificate itself on the app registration';
      return new AuthError(
        `Entra ID refused the client certificate of app ${clientId} in tenant ${tenantId} (AADSTS${code}): ${describeCert(parsed.proof.certificate)}: ${why}.${corr}`,
        {
          error: info.error ?? 'invalid_client',
          errorCodes: info.errorCodes,
          ...(info.correlationId ? { correlationId: info.correlationId } : {}),
        },
        { cause: sanitisedCause(err) },
      );
    },
    describe: () => ({
      CLIENT_CERTIFICATE_NAME: secrets.secretName,
      KEY_VAULT_URL: secrets.vaultUrl,
      ...(parsed ? { thumbprint: parsed.proof.certificate.thumbprint } : {}),
    }),
  };
}
