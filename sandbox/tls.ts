// Generates, at start, a private CA and a server certificate for 127.0.0.1 / localhost, so that clients can trust the
// sandbox by being given one PEM file (no openssl binary, no manual step). ECDSA P-256 keeps generation fast.
import { webcrypto, randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import './reflectMetadata';
import * as x509 from '@peculiar/x509';

const ALG = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' } as const;
const DAY_MS = 86_400_000;

export interface TlsMaterial {
  caPem: string;
  /** PKCS#8 PEM of the CA key; only kept so the standalone sandbox can reuse its CA across restarts. */
  caKeyPem: string;
  certPem: string;
  keyPem: string;
}

// @peculiar/x509 types its crypto parameter with the DOM `Crypto`; node's WebCrypto is the same API.
const crypto = webcrypto as unknown as Parameters<typeof x509.X509CertificateGenerator.create>[1] & typeof webcrypto;

function toPem(der: ArrayBuffer, label: string): string {
  const b64 = Buffer.from(der).toString('base64');
  return `-----BEGIN ${label}-----\n${b64.replace(/(.{64})/g, '$1\n').replace(/\n$/, '')}\n-----END ${label}-----\n`;
}

function fromPem(pem: string): Buffer {
  return Buffer.from(pem.replace(/-----[^-]+-----/g, '').replace(/\s+/g, ''), 'base64');
}

function serial(): string {
  // Positive 16-byte serial: clear the top bit so DER does not read it as negative.
  const b = randomBytes(16);
  b[0] = (b[0] ?? 0) & 0x7f;
  return b.toString('hex');
}

async function createCa(now: Date): Promise<{ cert: x509.X509Certificate; keys: webcrypto.CryptoKeyPair }> {
  const keys = (await crypto.subtle.generateKey(ALG, true, ['sign', 'verify'])) as webcrypto.CryptoKeyPair;
  const cert = await x509.X509CertificateGenerator.createSelfSigned(
    {
      serialNumber: serial(),
      name: 'CN=Riposte Sandbox CA, O=Riposte sandbox (offline, not trusted anywhere else)',
      notBefore: new Date(now.getTime() - DAY_MS),
      notAfter: new Date(now.getTime() + 3650 * DAY_MS),
      keys,
      signingAlgorithm: ALG,
      extensions: [
        new x509.BasicConstraintsExtension(true, 0, true),
        new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
        await x509.SubjectKeyIdentifierExtension.create(keys.publicKey, false, crypto),
      ],
    },
    crypto,
  );
  return { cert, keys };
}

async function loadCa(dir: string): Promise<{ cert: x509.X509Certificate; keys: webcrypto.CryptoKeyPair } | undefined> {
  const certFile = join(dir, 'ca.crt');
  const keyFile = join(dir, 'ca.key');
  if (!existsSync(certFile) || !existsSync(keyFile)) return undefined;
  try {
    const cert = new x509.X509Certificate(readFileSync(certFile, 'utf8'));
    if (cert.notAfter.getTime() < Date.now() + 30 * DAY_MS) return undefined;
    const privateKey = await crypto.subtle.importKey('pkcs8', fromPem(readFileSync(keyFile, 'utf8')), ALG, true, [
      'sign',
    ]);
    const publicKey = await cert.publicKey.export(ALG, ['verify'], crypto);
    return { cert, keys: { privateKey, publicKey } };
  } catch {
    return undefined;
  }
}

/**
 * Creates the CA and a server certificate (SAN IP:127.0.0.1, DNS:localhost).
 * @param reuseCaFrom - a directory holding an earlier `ca.crt` + `ca.key` to keep (standalone mode), else a new CA
 */
export async function createTlsMaterial(now: Date = new Date(), reuseCaFrom?: string): Promise<TlsMaterial> {
  const ca = (reuseCaFrom ? await loadCa(reuseCaFrom) : undefined) ?? (await createCa(now));
  const serverKeys = (await crypto.subtle.generateKey(ALG, true, ['sign', 'verify'])) as webcrypto.CryptoKeyPair;
  const cert = await x509.X509CertificateGenerator.create(
    {
      serialNumber: serial(),
      subject: 'CN=localhost',
      issuer: ca.cert.subject,
      notBefore: new Date(now.getTime() - DAY_MS),
      // 397 days: the longest validity that strict TLS clients accept for a server certificate.
      notAfter: new Date(now.getTime() + 397 * DAY_MS),
      signingKey: ca.keys.privateKey,
      publicKey: serverKeys.publicKey,
      signingAlgorithm: ALG,
      extensions: [
        new x509.BasicConstraintsExtension(false, undefined, true),
        new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
        new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth], false),
        new x509.SubjectAlternativeNameExtension([
          { type: 'ip', value: '127.0.0.1' },
          { type: 'dns', value: 'localhost' },
        ]),
        await x509.AuthorityKeyIdentifierExtension.create(ca.keys.publicKey, false, crypto),
        await x509.SubjectKeyIdentifierExtension.create(serverKeys.publicKey, false, crypto),
      ],
    },
    crypto,
  );
  return {
    caPem: ca.cert.toString('pem') + '\n',
    caKeyPem: toPem(await crypto.subtle.exportKey('pkcs8', ca.keys.privateKey), 'PRIVATE KEY'),
    certPem: cert.toString('pem') + '\n',
    keyPem: toPem(await crypto.subtle.exportKey('pkcs8', serverKeys.privateKey), 'PRIVATE KEY'),
  };
}
