// Key Vault secrets data plane (defender-api.md §5, local-azure.md §4): challenge-based auth, get latest or a version,
// list versions, set (new version), disabled and missing secrets, wrong audience.
import { header, isPlainObject, json, jsonBody, type Reply, type SandboxRequest } from './httpUtil';
import { checkBearer } from './jwt';
import { canonicalResource, VAULT_RESOURCE } from './resources';
import type { Route } from './router';
import type { SecretVersion } from './secrets';
import type { SandboxState } from './state';

const NAME = /^[0-9a-zA-Z-]{1,127}$/;

function kvHeaders(req: SandboxRequest): Record<string, string> {
  const clientRequestId = header(req, 'x-ms-client-request-id');
  return {
    'x-ms-keyvault-region': 'sandbox',
    'x-ms-keyvault-service-version': '1.9.2914.1',
    'x-ms-request-id': req.requestId,
    ...(clientRequestId ? { 'x-ms-client-request-id': clientRequestId } : {}),
  };
}

function kvError(
  req: SandboxRequest,
  status: number,
  code: string,
  message: string,
  inner?: string,
  extra: Record<string, string> = {},
): Reply {
  const error: Record<string, unknown> = { code, message };
  if (inner) error.innererror = { code: inner };
  return json(status, { error }, { ...kvHeaders(req), ...extra });
}

function challenge(state: SandboxState, req: SandboxRequest, message: string): Reply {
  state.counters.keyVaultChallenges += 1;
  return kvError(req, 401, 'Unauthorized', message, undefined, {
    'www-authenticate': `Bearer authorization="${state.url}/${state.tenantId}", resource="${VAULT_RESOURCE}"`,
  });
}

const PROBLEM_TEXT: Record<string, string> = {
  missing: 'AKV10000: Request is missing a Bearer or PoP token.',
  malformed: 'AKV10000: The bearer token is not a well-formed JWT.',
  signature: 'Invalid token signature.',
  expired: 'The access token has expired.',
  notYetValid: 'The access token is not yet valid.',
  revoked: 'The access token has been revoked.',
};

function authenticate(state: SandboxState, req: SandboxRequest): Reply | undefined {
  const check = checkBearer(state.key, header(req, 'authorization'), state.nowSeconds(), state.isRevoked);
  if (!check.ok) return challenge(state, req, PROBLEM_TEXT[check.problem] ?? 'Unauthorized.');
  if (canonicalResource(String(check.claims.aud)) !== VAULT_RESOURCE) {
    return challenge(
      state,
      req,
      `AKV10022: Invalid audience. Expected ${VAULT_RESOURCE}, found: ${String(check.claims.aud)}.`,
    );
  }
  if (check.claims.tid !== state.tenantId) {
    return challenge(
      state,
      req,
      `AKV10032: Invalid issuer. Expected one of https://sts.windows.net/${state.tenantId}/, found ${String(check.claims.iss)}.`,
    );
  }
  return undefined;
}

function attributes(v: SecretVersion): Record<string, unknown> {
  return {
    enabled: v.enabled,
    ...(v.nbf !== undefined ? { nbf: v.nbf } : {}),
    ...(v.exp !== undefined ? { exp: v.exp } : {}),
    created: v.created,
    updated: v.updated,
    recoveryLevel: 'Recoverable+Purgeable',
    recoverableDays: 90,
  };
}

function secretId(state: SandboxState, name: string, version?: string): string {
  return `${state.url}/secrets/${name}${version ? `/${version}` : ''}`;
}

function bundle(state: SandboxState, name: string, v: SecretVersion): Record<string, unknown> {
  return {
    value: v.value,
    ...(v.contentType !== undefined ? { contentType: v.contentType } : {}),
    id: secretId(state, name, v.version),
    attributes: attributes(v),
    ...(v.tags !== undefined ? { tags: v.tags } : {}),
    // A certificate's secret: managed, with the certificate's key id (AD about-certificates.md; identity-modes.md §1.3).
    ...(v.managed ? { managed: true, kid: `${state.url}/keys/${name}/${v.version}` } : {}),
  };
}

function notFound(req: SandboxRequest, nameOrId: string): Reply {
  return kvError(
    req,
    404,
    'SecretNotFound',
    `A secret with (name/id) ${nameOrId} was not found in this key vault. If you recently deleted this secret you may be able to recover it using the correct recovery command. For help resolving this issue, please see https://go.microsoft.com/fwlink/?linkid=2125182`,
  );
}

/** Auth first (the SDK's first request is always unauthenticated), then api-version and the name. */
function preamble(state: SandboxState, req: SandboxRequest, name?: string): Reply | undefined {
  const unauthorized = authenticate(state, req);
  if (unauthorized) return unauthorized;
  if (!req.url.searchParams.get('api-version')) {
    return kvError(
      req,
      400,
      'BadParameter',
      'The request URI contains an invalid or missing api-version query parameter.',
    );
  }
  if (name !== undefined && !NAME.test(name)) {
    return kvError(
      req,
      400,
      'BadParameter',
      `The secret name '${name}' is invalid: use 1-127 letters, digits or dashes.`,
    );
  }
  return undefined;
}

function getSecret(state: SandboxState, req: SandboxRequest, name: string, version: string): Reply {
  const early = preamble(state, req, name);
  if (early) return early;
  const v = version ? state.vault.version(name, version) : state.vault.latest(name);
  if (!v) return notFound(req, version ? `${name}/${version}` : name);
  if (!v.enabled)
    return kvError(req, 403, 'Forbidden', 'Operation get is not allowed on a disabled secret.', 'SecretDisabled');
  state.counters.keyVaultReads += 1;
  return json(200, bundle(state, name, v), kvHeaders(req));
}

function listVersions(state: SandboxState, req: SandboxRequest, name: string): Reply {
  const early = preamble(state, req, name);
  if (early) return early;
  const versions = state.vault.versions(name);
  if (!versions) return notFound(req, name);
  const value = versions.map((v) => ({
    id: secretId(state, name, v.version),
    attributes: attributes(v),
    ...(v.contentType !== undefined ? { contentType: v.contentType } : {}),
    ...(v.tags !== undefined ? { tags: v.tags } : {}),
  }));
  return json(200, { value, nextLink: null }, kvHeaders(req));
}

function listSecrets(state: SandboxState, req: SandboxRequest): Reply {
  const early = preamble(state, req);
  if (early) return early;
  const value = state.vault.names().flatMap((name) => {
    const v = state.vault.latest(name);
    return v
      ? [
          {
            id: secretId(state, name),
            attributes: attributes(v),
            ...(v.contentType !== undefined ? { contentType: v.contentType } : {}),
          },
        ]
      : [];
  });
  return json(200, { value, nextLink: null }, kvHeaders(req));
}

function setSecret(state: SandboxState, req: SandboxRequest, name: string): Reply {
  const early = preamble(state, req, name);
  if (early) return early;
  const body = jsonBody(req);
  if (!isPlainObject(body) || typeof body.value !== 'string') {
    return kvError(req, 400, 'BadParameter', "The request body must be a JSON object with a string 'value'.");
  }
  const attrs = isPlainObject(body.attributes) ? body.attributes : {};
  const tags = isPlainObject(body.tags)
    ? (Object.fromEntries(Object.entries(body.tags).map(([k, v]) => [k, String(v)])) as Record<string, string>)
    : undefined;
  const v = state.vault.set(name, body.value, state.nowSeconds(), {
    contentType: typeof body.contentType === 'string' ? body.contentType : undefined,
    tags,
    enabled: typeof attrs.enabled === 'boolean' ? attrs.enabled : true,
    nbf: typeof attrs.nbf === 'number' ? attrs.nbf : undefined,
    exp: typeof attrs.exp === 'number' ? attrs.exp : undefined,
  });
  return json(200, bundle(state, name, v), kvHeaders(req));
}

export function keyVaultRoutes(state: SandboxState): Route[] {
  const faultReply = (req: SandboxRequest, spec: { status?: number; retryAfterSeconds?: number }): Reply => {
    const status = spec.status ?? 500;
    const [code, message] =
      status === 429
        ? [
            'Throttled',
            'Request was not processed because too many requests were received. Reason: VaultRequestTypeLimitReached',
          ]
        : status === 503
          ? ['ServiceUnavailable', 'The service is temporarily unavailable.']
          : ['InternalServerError', 'An internal server error occurred.'];
    const extra: Record<string, string> =
      spec.retryAfterSeconds !== undefined ? { 'retry-after': String(Math.ceil(spec.retryAfterSeconds)) } : {};
    return kvError(req, status, code, message, undefined, extra);
  };
  const route = (methods: string[], pattern: RegExp, handle: Route['handle']): Route => ({
    methods,
    pattern,
    family: 'keyvault',
    target: 'keyvault',
    faultReply,
    handle,
  });
  return [
    route(['GET'], /^\/secrets\/?$/, (req) => listSecrets(state, req)),
    route(['GET'], /^\/secrets\/([^/]+)\/versions\/?$/, (req, [name = '']) => listVersions(state, req, name)),
    route(['GET'], /^\/secrets\/([^/]+)(?:\/([^/]*))?\/?$/, (req, [name = '', version = '']) =>
      getSecret(state, req, name, version),
    ),
    route(['PUT'], /^\/secrets\/([^/]+)\/?$/, (req, [name = '']) => setSecret(state, req, name)),
  ];
}
