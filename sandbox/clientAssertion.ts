// How the sandbox's Entra ID authenticates the app at its token endpoint: a client secret (form or Basic), or a
// client assertion (client_assertion_type jwt-bearer) that is either signed by a certificate registered on the app
// (PS256 + x5t#S256, or RS256 + x5t: identity-modes.md §1.2) or a federated credential: the sandbox managed
// identity's token for api://AzureADTokenExchange, matched against the app's FICs (§2.1). Error bodies and codes
// follow identity-modes.md §1.6 / §2.4 and the AADSTS texts real Entra returns (quoted in public issue threads:
// AzureAD/microsoft-authentication-library-for-js#8339 for 700027, Azure/azure-workload-identity#616 for 70021,
// Azure/login#372 for 700024). Texts marked "sandbox wording" are not from a source.
import { constants, verify } from 'node:crypto';
import { aadError, credentialMissing } from './aadErrors';
import { header, type Reply, type SandboxRequest } from './httpUtil';
import type { SandboxState } from './state';

export const JWT_BEARER_ASSERTION = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer';

/** Entra allows this much clock skew on nbf (UNCONFIRMED: the usual 5 minutes). */
const SKEW_SECONDS = 300;

interface Jwt {
  header: Record<string, unknown>;
  payload: Record<string, unknown>;
  signed: Buffer;
  signature: Buffer;
}

function decode(token: string): Jwt | undefined {
  const parts = token.split('.');
  if (parts.length !== 3) return undefined;
  const [h, p, s] = parts as [string, string, string];
  try {
    const headerJson = JSON.parse(Buffer.from(h, 'base64url').toString('utf8')) as unknown;
    const payloadJson = JSON.parse(Buffer.from(p, 'base64url').toString('utf8')) as unknown;
    if (!headerJson || typeof headerJson !== 'object' || !payloadJson || typeof payloadJson !== 'object')
      return undefined;
    return {
      header: headerJson as Record<string, unknown>,
      payload: payloadJson as Record<string, unknown>,
      signed: Buffer.from(`${h}.${p}`),
      signature: Buffer.from(s, 'base64url'),
    };
  } catch {
    return undefined;
  }
}

const iso = (seconds: number): string => new Date(seconds * 1000).toISOString().replace('Z', '0000Z');

/** The client id and secret from the form body or an HTTP Basic header. */
function secretOf(req: SandboxRequest, form: URLSearchParams): string | null {
  const basic = /^Basic\s+(\S+)$/i.exec(header(req, 'authorization') ?? '');
  if (basic?.[1]) {
    const [, secret = ''] = Buffer.from(basic[1], 'base64').toString('utf8').split(':');
    return decodeURIComponent(secret);
  }
  return form.get('client_secret');
}

/**
 * Authenticates the client of a token request whose client_id is the sandbox app.
 * @returns undefined when the app proved itself; otherwise Entra's error reply.
 */
export function clientAuthProblem(
  state: SandboxState,
  req: SandboxRequest,
  tenant: string,
  form: URLSearchParams,
): Reply | undefined {
  if (form.has('client_assertion')) return assertionProblem(state, req, tenant, form);
  const secret = secretOf(req, form);
  if (!secret) {
    return credentialMissing(state, req);
  }
  const verdict = state.app.check(secret);
  if (verdict === 'wrong') {
    return aadError(
      state,
      req,
      401,
      'invalid_client',
      7000215,
      `Invalid client secret provided. Ensure the secret being sent in the request is the client secret value, not the client secret ID, for a secret added to app '${state.clientId}'.`,
    );
  }
  if (verdict === 'expired') {
    return aadError(
      state,
      req,
      401,
      'invalid_client',
      7000222,
      `The provided client secret keys for app '${state.clientId}' are expired. Visit the Azure portal to create new keys for your app: https://aka.ms/NewClientSecret, or consider using certificate credentials for added security: https://aka.ms/certCreds.`,
    );
  }
  return undefined;
}

function assertionProblem(
  state: SandboxState,
  req: SandboxRequest,
  tenant: string,
  form: URLSearchParams,
): Reply | undefined {
  const fail = (status: number, error: string, code: number, message: string): Reply =>
    aadError(state, req, status, error, code, message);
  const malformed = (): Reply => fail(400, 'invalid_request', 50027, 'JWT token is invalid or malformed.');
  if (form.get('client_assertion_type') !== JWT_BEARER_ASSERTION) return malformed();
  const jwt = decode(form.get('client_assertion') ?? '');
  if (!jwt) return malformed();
  const now = state.nowSeconds();
  const { exp, nbf } = jwt.payload;
  if (typeof exp !== 'number' || now >= exp || (typeof nbf === 'number' && now + SKEW_SECONDS < nbf)) {
    return fail(
      401,
      'invalid_client',
      700024,
      `Client assertion is not within its valid time range. Current time: ${iso(now)}, assertion valid from ${iso(typeof nbf === 'number' ? nbf : 0)}, expiry time of assertion ${iso(typeof exp === 'number' ? exp : 0)}. Review the documentation at https://learn.microsoft.com/entra/identity-platform/certificate-credentials .`,
    );
  }
  const clientId = (form.get('client_id') ?? '').toLowerCase();
  const iss = typeof jwt.payload.iss === 'string' ? jwt.payload.iss : '';
  // An assertion the app signed itself names the app as issuer; anything else is a federated credential.
  return iss.toLowerCase() === clientId
    ? certificateProblem(state, tenant, jwt, fail)
    : federatedProblem(state, jwt, fail);
}

type Fail = (status: number, error: string, code: number, message: string) => Reply;

function certificateProblem(state: SandboxState, tenant: string, jwt: Jwt, fail: Fail): Reply | undefined {
  const { alg } = jwt.header;
  const sub = typeof jwt.payload.sub === 'string' ? jwt.payload.sub : '';
  if (sub.toLowerCase() !== state.clientId.toLowerCase()) {
    // Sandbox wording (UNCONFIRMED code): sub must equal iss = client_id (entra-docs certificate-credentials.md).
    return fail(
      401,
      'invalid_client',
      700021,
      "Client assertion application identifier doesn't match 'client_id' parameter.",
    );
  }
  const cert = state.appKeys.find(jwt.header);
  const presented = [jwt.header['x5t#S256'], jwt.header.x5t].find((v) => typeof v === 'string') as string | undefined;
  const presentedHex = presented ? Buffer.from(presented, 'base64url').toString('hex').toUpperCase() : '';
  const keyNotFound = (reason: string): Reply =>
    fail(
      401,
      'invalid_client',
      700027,
      `The certificate with identifier used to sign the client assertion is not registered on application. [Reason - ${reason}, Thumbprint of key used by client: '${presentedHex}', Please visit the Azure Portal, Graph Explorer or directly use MS Graph to see configured keys for app Id '${state.clientId}'.]`,
    );
  if (!cert) return keyNotFound('The key was not found.');
  if (cert.notAfter <= state.now().getTime()) return keyNotFound('The key used is expired.');
  const ok =
    alg === 'PS256'
      ? verify(
          'sha256',
          jwt.signed,
          { key: cert.publicKey, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: constants.RSA_PSS_SALTLEN_AUTO },
          jwt.signature,
        )
      : alg === 'RS256'
        ? verify('sha256', jwt.signed, cert.publicKey, jwt.signature)
        : false;
  if (!ok) {
    return fail(
      401,
      'invalid_client',
      700027,
      `Client assertion contains an invalid signature. [Reason - The key was found but the signature does not verify (alg ${String(alg)})., Thumbprint of key used by client: '${cert.thumbprint}', Found key 'Start=..., End=...']`,
    );
  }
  const aud = typeof jwt.payload.aud === 'string' ? jwt.payload.aud : '';
  const base = `${state.url}/${tenant}/oauth2`;
  if (aud !== `${base}/v2.0/token` && aud !== `${base}/token`) {
    // Sandbox wording: the aud must be the token endpoint (entra-docs certificate-credentials.md).
    return fail(
      401,
      'invalid_client',
      50012,
      `Client assertion audience claim '${aud}' does not match the token endpoint.`,
    );
  }
  if (typeof jwt.payload.jti !== 'string' || !jwt.payload.jti) {
    return fail(401, 'invalid_client', 50012, "Client assertion must contain a 'jti' claim."); // sandbox wording
  }
  return undefined;
}

function federatedProblem(state: SandboxState, jwt: Jwt, fail: Fail): Reply | undefined {
  const { iss, sub, aud, idtyp } = jwt.payload;
  // Only this sandbox's issuer exists: its signing key is the only one to check against.
  const signed =
    jwt.header.alg === 'RS256' &&
    jwt.header.kid === state.key.kid &&
    verify('sha256', jwt.signed, state.key.publicKey, jwt.signature);
  if (!signed) return fail(401, 'invalid_client', 50013, 'Assertion failed signature validation.'); // sandbox wording
  if (iss === state.issuer() && idtyp !== 'app') {
    return fail(
      400,
      'invalid_request',
      700229,
      'ForbiddenTokenType: Only app-only tokens can be used as a federated identity credential for the Entra ID issuer.',
    ); // sandbox wording; the code is from identity-modes.md §2.4
  }
  const s = (v: unknown): string => (typeof v === 'string' ? v : '');
  if (!state.appKeys.matchFederated(s(iss), s(sub), s(aud))) {
    return fail(
      400,
      'invalid_request',
      70021,
      `No matching federated identity record found for presented assertion. Assertion Issuer: '${s(iss)}'. Assertion Subject: '${s(sub)}'. Assertion Audience: '${s(aud)}'. https://learn.microsoft.com/entra/workload-id/workload-identity-federation`,
    );
  }
  return undefined;
}
