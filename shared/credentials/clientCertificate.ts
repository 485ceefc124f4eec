// A client certificate as Key Vault hands it out: the certificate-backed secret of a certificate created with content
// type application/x-pem-file holds the private key and the certificate(s) in one PEM blob (identity-modes.md §1.3).
// The default content type (PKCS#12, base64 PFX) needs a PKCS#12 reader, which node:crypto is not (§1.4) and no kept
// library is, so it is refused with what to do instead.
import { createHash, createPrivateKey, X509Certificate, type KeyObject } from 'node:crypto';
import { SecretError } from '../errors';

export interface ClientCertificate {
  /** Key and certificate(s) as ClientCertificateCredential takes them (`{ certificate: pem }`). Secret. */
  readonly pem: string;
  readonly privateKey: KeyObject;
  /** SHA-1 of the leaf's DER, upper-case hex: the thumbprint the Azure portal and Key Vault show. Not secret. */
  readonly thumbprint: string;
  /** base64url SHA-256 of the leaf's DER: the `x5t#S256` header of a client assertion. */
  readonly x5tS256: string;
  readonly subject: string;
  readonly notAfter: Date;
}

const CERT_BLOCK = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/;
const KEY_BLOCK =
  /-----BEGIN (?:RSA |EC |ENCRYPTED )?PRIVATE KEY-----[\s\S]+?-----END (?:RSA |EC |ENCRYPTED )?PRIVATE KEY-----/;

/**
 * @param where - "Key Vault certificate 'name' in https://vault" for the messages
 * @throws {SecretError} (status 200: the vault answered, the deployment must change) naming the certificate and the
 *   fix; never any of the value.
 */
export function parseClientCertificate(value: string, where: { vaultUrl: string; name: string }): ClientCertificate {
  const ref = `Key Vault certificate '${where.name}' in ${where.vaultUrl}`;
  const fail = (why: string): never => {
    throw new SecretError(`${ref} cannot be used as a client certificate: ${why}`, {
      vaultUrl: where.vaultUrl,
      secretName: where.name,
      status: 200,
    });
  };
  const text = value.trim();
  if (!text.includes('-----BEGIN')) {
    fail(
      /^[A-Za-z0-9+/=\s]+$/.test(text)
        ? 'it is in PKCS#12 (PFX) format, which Riposte does not read. Create the certificate with content type application/x-pem-file (az keyvault certificate create … --policy with "contentType": "application/x-pem-file"), or import a PEM file holding the private key and the certificate'
        : 'it holds no PEM data. Create the certificate with content type application/x-pem-file',
    );
  }
  const certPem = CERT_BLOCK.exec(text)?.[0];
  if (!certPem) return fail('the PEM holds no certificate (-----BEGIN CERTIFICATE-----)');
  const keyPem = KEY_BLOCK.exec(text)?.[0];
  if (!keyPem)
    return fail(
      'the PEM holds no private key: the certificate policy must mark the key exportable (HSM keys never are)',
    );
  if (keyPem.includes('ENCRYPTED')) return fail('the private key is encrypted: import it without a password');
  let privateKey: KeyObject;
  let cert: X509Certificate;
  try {
    privateKey = createPrivateKey({ key: keyPem, format: 'pem' });
  } catch {
    return fail('its private key could not be read');
  }
  try {
    cert = new X509Certificate(certPem);
  } catch {
    return fail('its certificate could not be read');
  }
  if (privateKey.asymmetricKeyType !== 'rsa')
    return fail(`its key is ${privateKey.asymmetricKeyType ?? 'unknown'}: Entra ID client certificates must be RSA`);
  if (!cert.checkPrivateKey(privateKey))
    return fail('the first certificate in the PEM does not belong to its private key (the leaf must come first)');
  return {
    pem: text,
    privateKey,
    thumbprint: createHash('sha1').update(cert.raw).digest('hex').toUpperCase(),
    x5tS256: createHash('sha256').update(cert.raw).digest('base64url'),
    subject: cert.subject.replace(/\n/g, ', '),
    notAfter: new Date(cert.validTo),
  };
}
