// The client secret lives in Key Vault and in memory only. One read serves every caller until the TTL ends or a
// caller asks for a re-read (rotation healing); concurrent callers share one Key Vault request.
import { SecretError } from '../errors';
import { redact } from '../logger';

/** The part of @azure/keyvault-secrets' SecretClient used here (a fake in tests). */
export interface SecretClientLike {
  getSecret(name: string, options?: { abortSignal?: AbortSignal }): Promise<{ value?: string | undefined }>;
}

export interface SecretProvider {
  /** The cached value, read from Key Vault when missing or older than the TTL. */
  get(): Promise<string>;
  /** Reads Key Vault now (joining a read already in flight) and caches the result. */
  refresh(): Promise<string>;
  /** Number of Key Vault reads made so far (for logs and tests). */
  readonly reads: number;
  readonly vaultUrl: string;
  readonly secretName: string;
}

export interface CreateSecretProviderOptions {
  secretClient: SecretClientLike;
  vaultUrl: string;
  secretName: string;
  /** 0 caches forever. */
  ttlMs: number;
  now?: () => number;
  /** What the secret holds, for the advice in errors (default: the app's client secret). */
  holds?: SecretHolds;
}

/** A client secret value, or a Key Vault certificate read through its certificate-backed secret (CLIENT_CERTIFICATE_NAME). */
export type SecretHolds = 'clientSecret' | 'certificate';

const STALE_RETRY_MS = 60_000;

interface RestLikeError {
  name?: string;
  message?: string;
  statusCode?: number;
  code?: string;
  details?: unknown;
  response?: { bodyAsText?: string | null };
}

/** Key Vault's 403 for a disabled secret carries innererror.code "SecretDisabled" (defender-api.md §5). */
function isDisabled(e: RestLikeError): boolean {
  const body = `${e.response?.bodyAsText ?? ''} ${JSON.stringify(e.details ?? '')}`;
  return /SecretDisabled/i.test(body) || /disabled secret/i.test(e.message ?? '');
}

/** Maps a SecretClient / managed identity failure to an actionable SecretError; the value is never in reach here. */
export function toSecretError(
  err: unknown,
  vaultUrl: string,
  secretName: string,
  holds: SecretHolds = 'clientSecret',
): SecretError {
  const e = (err ?? {}) as RestLikeError;
  const where =
    holds === 'certificate'
      ? `Key Vault certificate '${secretName}' (its secret) in ${vaultUrl}`
      : `Key Vault secret '${secretName}' in ${vaultUrl}`;
  const status = typeof e.statusCode === 'number' ? e.statusCode : undefined;
  const sdkText = redact((e.message ?? String(err)).split('\n')[0] ?? '').slice(0, 300);
  let advice: string;
  if (
    e.name === 'CredentialUnavailableError' ||
    e.name === 'AuthenticationError' ||
    e.name === 'AuthenticationRequiredError'
  ) {
    advice =
      "the managed identity could not get a token for Key Vault: enable the Function App's identity (or set MANAGED_IDENTITY_CLIENT_ID to a user-assigned identity that is attached to it)";
  } else if (status === 404 && holds === 'certificate') {
    advice = `the certificate does not exist: create the certificate '${secretName}' in the vault with content type application/x-pem-file and upload its public part to the app registration`;
  } else if (status === 404) {
    advice = `the secret does not exist: create the secret '${secretName}' in the vault with the app registration's client secret VALUE`;
  } else if (status === 403 && isDisabled(e)) {
    advice = 'the secret is disabled: enable it (or its latest version) in the vault';
  } else if (status === 403) {
    advice =
      "access denied: grant the Function App's managed identity the Key Vault Secrets User role on the vault (or a 'get' secret access policy), and check the vault firewall";
  } else if (status === 401) {
    advice = "Key Vault rejected the managed identity token: check that the identity belongs to the vault's tenant";
  } else if (status === 429 || (status !== undefined && status >= 500)) {
    advice = 'Key Vault is throttling or unavailable: it is retried on the next call';
  } else {
    advice = 'check KEY_VAULT_URL, the network path to the vault and its firewall';
  }
  const cause = new Error(sdkText);
  cause.name = e.name ?? 'Error';
  return new SecretError(
    `Could not read ${where}: ${advice} (${status ?? e.code ?? e.name ?? 'error'}: ${sdkText})`,
    {
      vaultUrl,
      secretName,
      ...(status !== undefined ? { status } : {}),
    },
    { cause },
  );
}

/** @throws {SecretError} from get()/refresh() naming vault, secret and what to do; never the value. */
export function createSecretProvider(options: CreateSecretProviderOptions): SecretProvider {
  const { secretClient, vaultUrl, secretName, ttlMs, now = Date.now, holds = 'clientSecret' } = options;
  let cached: { value: string; at: number } | undefined;
  let inFlight: Promise<string> | undefined;
  let reads = 0;

  const readOnce = async (): Promise<string> => {
    reads++;
    let secret: { value?: string | undefined };
    try {
      secret = await secretClient.getSecret(secretName);
    } catch (err) {
      throw toSecretError(err, vaultUrl, secretName, holds);
    }
    if (!secret.value) {
      throw new SecretError(
        holds === 'certificate'
          ? `Key Vault certificate '${secretName}' in ${vaultUrl} has no exportable secret: create it with an exportable key and content type application/x-pem-file`
          : `Key Vault secret '${secretName}' in ${vaultUrl} has an empty value: store the app registration's client secret VALUE in it`,
        // The vault answered (200) with nothing usable: the deployment must change, so 502 rather than 503.
        { vaultUrl, secretName, status: 200 },
      );
    }
    cached = { value: secret.value, at: now() };
    return secret.value;
  };

  const read = (): Promise<string> => {
    if (inFlight) return inFlight;
    const p = readOnce();
    inFlight = p;
    // Cleared after settling (never synchronously), so a failed read is not cached.
    p.then(
      () => (inFlight === p ? (inFlight = undefined) : undefined),
      () => (inFlight === p ? (inFlight = undefined) : undefined),
    );
    return p;
  };

  return {
    get: () => {
      if (!cached) return read();
      if (ttlMs === 0 || now() - cached.at < ttlMs) return Promise.resolve(cached.value);
      // TTL re-read: if Key Vault is briefly unreachable, the value we hold is still the best guess; a wrong one
      // is caught by the token endpoint, which triggers refresh() (and that one does fail loudly).
      const stale = cached;
      return read().catch(() => {
        // Try Key Vault again in a minute rather than on every call.
        stale.at = Math.min(now(), now() - ttlMs + STALE_RETRY_MS);
        return stale.value;
      });
    },
    refresh: read,
    vaultUrl,
    secretName,
    get reads() {
      return reads;
    },
  };
}
