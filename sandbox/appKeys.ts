// The app registration's certificate credentials (keyCredentials) and federated identity credentials as the sandbox's
// Entra ID sees them, and client certificates as a Key Vault certificate of content type application/x-pem-file
// hands them out (identity-modes.md §1.3: key first, then the certificate). Several certificates may be registered at
// once, as during a rotation; a FIC matches on issuer + subject + audience, exactly and case-sensitively (§2.1).
import { createHash, createPublicKey, webcrypto, randomBytes, X509Certificate, type KeyObject } from 'node:crypto';
import './reflectMetadata';
import * as x509 from '@peculiar/x509';

/** Token-exchange audiences a managed identity issues FIC tokens for (identity-modes.md §2.1). */
export const TOKEN_EXCHANGE_AUDIENCES = [
  'api://AzureADTokenExchange',
  'api://AzureADTokenExchangeUSGov',
  'api://AzureADTokenExchangeChina',
] as const;

/** The canonical spelling of a token-exchange audience (Entra matches resources case-insensitively), or undefined. */
export function tokenExchangeAudience(resource: string): string | undefined {
  const r = resource.trim().replace(/\/+$/, '').toLowerCase();
  return TOKEN_EXCHANGE_AUDIENCES.find((a) => a.toLowerCase() === r);
}

export interface RegisteredCertificate {
  /** SHA-1 of the DER, upper-case hex (what the portal shows and `x5t` carries, base64url-encoded). */
  thumbprint: string;
  /** base64url SHA-256 of the DER (`x5t#S256`). */
  x5tS256: string;
  /** base64url SHA-1 of the DER (`x5t`). */
  x5t: string;
  publicKey: KeyObject;
  notAfter: number;
}

export interface FederatedCredential {
  name: string;
  issuer: string;
  subject: string;
  audiences: string[];
}

export class AppKeys {
  certificates: RegisteredCertificate[] = [];
  federated: FederatedCredential[] = [];

  /** Adds a certificate's public part (PEM) to the app; @returns its SHA-1 thumbprint. */
  registerCertificate(certPem: string): string {
    const cert = new X509Certificate(certPem);
    const der = cert.raw;
    const sha1 = createHash('sha1').update(der).digest();
    const entry: RegisteredCertificate = {
      thumbprint: sha1.toString('hex').toUpperCase(),
      x5t: sha1.toString('base64url'),
      x5tS256: createHash('sha256').update(der).digest('base64url'),
      publicKey: createPublicKey(cert.publicKey.export({ format: 'pem', type: 'spki' })),
      notAfter: Date.parse(cert.validTo),
    };
    this.certificates = [...this.certificates.filter((c) => c.thumbprint !== entry.thumbprint), entry];
    return entry.thumbprint;
  }

  unregisterCertificate(thumbprint: string): boolean {
    const before = this.certificates.length;
    this.certificates = this.certificates.filter((c) => c.thumbprint !== thumbprint.toUpperCase());
    return this.certificates.length < before;
  }

  /** Looks a certificate up by the assertion header's `x5t#S256` or `x5t`. */
  find(header: { 'x5t#S256'?: unknown; x5t?: unknown }): RegisteredCertificate | undefined {
    const s256 = header['x5t#S256'];
    if (typeof s256 === 'string') return this.certificates.find((c) => c.x5tS256 === s256);
    const s1 = header.x5t;
    if (typeof s1 === 'string') return this.certificates.find((c) => c.x5t === s1);
    return undefined;
  }

  addFederatedCredential(fic: FederatedCredential): void {
    this.federated = [...this.federated.filter((f) => f.name !== fic.name), { ...fic, audiences: [...fic.audiences] }];
  }

  removeFederatedCredential(name: string): boolean {
    const before = this.federated.length;
    this.federated = this.federated.filter((f) => f.name !== name);
    return this.federated.length < before;
  }

  /** Exact, case-sensitive match on issuer and subject, and the assertion's audience among the FIC's. */
  matchFederated(iss: string, sub: string, aud: string): FederatedCredential | undefined {
    return this.federated.find((f) => f.issuer === iss && f.subject === sub && f.audiences.includes(aud));
  }

  clear(): void {
    this.certificates = [];
    this.federated = [];
  }
}

const RSA = {
  name: 'RSASSA-PKCS1-v1_5',
  hash: 'SHA-256',
  modulusLength: 2048,
  publicExponent: new Uint8Array([1, 0, 1]),
};
const crypto = webcrypto as unknown as Parameters<typeof x509.X509CertificateGenerator.create>[1] & typeof webcrypto;

function toPem(der: ArrayBuffer, label: string): string {
  const b64 = Buffer.from(der).toString('base64');
  return `-----BEGIN ${label}-----\n${b64.replace(/(.{64})/g, '$1\n').replace(/\n$/, '')}\n-----END ${label}-----\n`;
}

export interface ClientCertificateMaterial {
  /** Private key then certificate, as Key Vault's PEM certificate-backed secret holds them. */
  pem: string;
  certPem: string;
  thumbprint: string;
}

/** A self-signed RSA client certificate, as `az keyvault certificate create` with the default policy would make. */
export async function createClientCertificate(
  now: Date,
  subject = 'CN=riposte-client',
): Promise<ClientCertificateMaterial> {
  const keys = (await crypto.subtle.generateKey(RSA, true, ['sign', 'verify'])) as webcrypto.CryptoKeyPair;
  const serial = randomBytes(16);
  serial[0] = (serial[0] ?? 0) & 0x7f;
  const cert = await x509.X509CertificateGenerator.createSelfSigned(
    {
      serialNumber: serial.toString('hex'),
      name: subject,
      notBefore: new Date(now.getTime() - 86_400_000),
      notAfter: new Date(now.getTime() + 365 * 86_400_000),
      keys,
      signingAlgorithm: RSA,
      extensions: [new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true)],
    },
    crypto,
  );
  const certPem = cert.toString('pem') + '\n';
  const keyPem = toPem(await crypto.subtle.exportKey('pkcs8', keys.privateKey), 'PRIVATE KEY');
  const thumbprint = createHash('sha1').update(Buffer.from(cert.rawData)).digest('hex').toUpperCase();
  return { pem: keyPem + certPem, certPem, thumbprint };
}

/** The Key Vault certificate (PEM content type) the sandbox creates at start and registers on the app. */
export const SANDBOX_CERTIFICATE_NAME = 'riposte-client-cert';
/** The Function App's user-assigned identity the app trusts as a federated credential at start. */
export const SANDBOX_UAMI_CLIENT_ID = '3f6a2d8c-1b4e-4c7a-9e5d-7a8b9c0d1e2f';
/** The name of that federated credential (as infra/postdeploy.sh names it). */
export const SANDBOX_FIC_NAME = 'riposte-func-uami';
