// RS256 access tokens signed by a key that lives only in this sandbox process, plus the checks every sandbox API
// makes on them (signature, lifetime, revocation). Audience and role checks belong to each API.
import { generateKeyPair, randomUUID, sign, verify, type KeyObject } from 'node:crypto';
import { promisify } from 'node:util';

export interface TokenClaims {
  aud: string;
  iss: string;
  tid: string;
  appid: string;
  azp: string;
  oid: string;
  sub: string;
  /** 'user' on delegated (app + user) tokens (sandbox/users.ts). */
  idtyp: 'app' | 'user';
  /** Delegated scopes, space-separated (user tokens only). */
  scp?: string;
  ver: '1.0' | '2.0';
  roles?: string[];
  iat: number;
  nbf: number;
  exp: number;
  jti: string;
  [extra: string]: unknown;
}

export interface SigningKey {
  kid: string;
  privateKey: KeyObject;
  publicKey: KeyObject;
}

export async function createSigningKey(): Promise<SigningKey> {
  const { privateKey, publicKey } = await promisify(generateKeyPair)('rsa', { modulusLength: 2048 });
  return { kid: randomUUID().replace(/-/g, ''), privateKey, publicKey };
}

const b64url = (data: string | Buffer): string => Buffer.from(data).toString('base64url');

export function signJwt(key: SigningKey, claims: TokenClaims): string {
  const header = b64url(JSON.stringify({ typ: 'JWT', alg: 'RS256', kid: key.kid }));
  const payload = b64url(JSON.stringify(claims));
  const signature = sign('RSA-SHA256', Buffer.from(`${header}.${payload}`), key.privateKey);
  return `${header}.${payload}.${b64url(signature)}`;
}

/** The JWKS document (`jwks_uri` of the discovery document), so a client could validate tokens itself. */
export function jwks(key: SigningKey): { keys: Record<string, unknown>[] } {
  const jwk = key.publicKey.export({ format: 'jwk' });
  return { keys: [{ kty: 'RSA', use: 'sig', kid: key.kid, x5t: key.kid, n: jwk.n, e: jwk.e }] };
}

export type TokenProblem = 'missing' | 'malformed' | 'signature' | 'expired' | 'notYetValid' | 'revoked';

export type TokenCheck = { ok: true; claims: TokenClaims } | { ok: false; problem: TokenProblem };

/**
 * Checks an `Authorization` header value: a Bearer JWT signed by this sandbox, within its lifetime, not revoked.
 * @param nowSeconds - the sandbox clock in unix seconds (no clock-skew allowance, so short-lived tokens really expire)
 */
export function checkBearer(
  key: SigningKey,
  authorization: string | undefined,
  nowSeconds: number,
  isRevoked: (jti: string) => boolean,
): TokenCheck {
  const m = /^Bearer\s+(\S+)$/i.exec(authorization?.trim() ?? '');
  if (!m?.[1]) return { ok: false, problem: 'missing' };
  const parts = m[1].split('.');
  if (parts.length !== 3) return { ok: false, problem: 'malformed' };
  const [h, p, s] = parts as [string, string, string];
  let claims: TokenClaims;
  try {
    const header = JSON.parse(Buffer.from(h, 'base64url').toString('utf8')) as { alg?: string };
    if (header.alg !== 'RS256') return { ok: false, problem: 'signature' };
    claims = JSON.parse(Buffer.from(p, 'base64url').toString('utf8')) as TokenClaims;
  } catch {
    return { ok: false, problem: 'malformed' };
  }
  if (!verify('RSA-SHA256', Buffer.from(`${h}.${p}`), key.publicKey, Buffer.from(s, 'base64url'))) {
    return { ok: false, problem: 'signature' };
  }
  if (typeof claims.exp !== 'number' || nowSeconds >= claims.exp) return { ok: false, problem: 'expired' };
  if (typeof claims.nbf === 'number' && nowSeconds < claims.nbf) return { ok: false, problem: 'notYetValid' };
  if (isRevoked(claims.jti)) return { ok: false, problem: 'revoked' };
  return { ok: true, claims };
}
