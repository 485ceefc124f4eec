// `riposte run --user`: the analyst signs in with the device code flow (DeviceCodeCredential from @azure/identity)
// and the run's API calls carry their delegated tokens, so Defender applies their own RBAC and no app secret (nor any
// Key Vault read) is needed on the laptop. One credential serves every API: after the one sign-in, MSAL gets the
// other APIs' tokens silently with the refresh token. Protocol and client behaviour: identity-modes.md §5.
import type { DeviceCodeCredential, DeviceCodeInfo } from '@azure/identity';
import { parseTokenError, type TokenProvider } from '../shared/credentials/tokenProvider';
import { AuthError } from '../shared/errors';
import { redact } from '../shared/logger';
import { EXIT } from './exitCodes';
import { InterruptError } from './interrupt';

/** The user the run acts as (from the sign-in, for the report; never used to authorize anything). */
export interface SignedInUser {
  username: string;
  /** The user's object id (the first part of MSAL's home account id, `<oid>.<tid>`). */
  oid: string;
  tenantId: string;
}

/** The sign-in failed: its message says what happened and what to do; exitCode tells scripts which case it was. */
export class SignInError extends Error {
  constructor(
    message: string,
    readonly exitCode: number,
    readonly reason: string,
  ) {
    super(message);
    this.name = 'SignInError';
  }
}

/** Where to go and what to type, as the credential's userPromptCallback gives it (MSAL adds expiresIn at runtime). */
export interface SignInPrompt {
  verificationUri: string;
  userCode: string;
  message: string;
  expiresInSeconds?: number;
}

export interface UserSignInOptions {
  tenantId: string;
  /** The CLI's public client app registration ("Allow public client flows" on). */
  clientId: string;
  authorityHost: string;
  disableInstanceDiscovery: boolean;
  /** Extra CA certificates (the sandbox's). */
  ca?: string[];
  prompt: (p: SignInPrompt) => void;
}

export interface UserSignIn {
  /** For createDeps: each API's delegated token from the one credential. */
  tokens: TokenProvider;
  /**
   * Runs the device code flow for `scope` (the incident backend's): resolves once the user approved.
   * @throws {SignInError} declined, expired, slow_down, bad code, not a public client, other refusals
   * @throws {InterruptError} the stop signal fired while waiting (Ctrl-C)
   */
  signIn(scope: string, stop?: AbortSignal): Promise<SignedInUser>;
}

/** MSAL's `post_request_failed: <error>` and client errors, each with what the analyst or the admin can do. */
export function signInErrorFor(err: unknown, o: { tenantId: string; clientId: string }): SignInError {
  const e = err as { message?: string; name?: string };
  const text = String(e?.message ?? err);
  const info = parseTokenError(err);
  const has = (s: string): boolean => text.includes(s) || info.error === s;
  if (has('authorization_declined'))
    return new SignInError(
      'Sign-in was declined at the device login page: nothing ran. Run the command again and approve the sign-in to run as yourself.',
      EXIT.signInDeclined,
      'authorization_declined',
    );
  if (has('expired_token') || has('device_code_expired'))
    return new SignInError(
      `The sign-in code expired before it was approved${has('device_code_expired') ? ' (its time ran out here)' : ''}: nothing ran. Run the command again and enter the new code promptly.`,
      EXIT.signInExpired,
      'expired_token',
    );
  if (has('slow_down'))
    return new SignInError(
      'Entra ID asked the sign-in to poll more slowly (slow_down), which the sign-in library treats as final: nothing ran. Wait a minute and run the command again.',
      EXIT.signInSlowDown,
      'slow_down',
    );
  if (has('bad_verification_code'))
    return new SignInError(
      'Entra ID did not recognise the sign-in code (bad_verification_code): nothing ran. Run the command again for a new code.',
      EXIT.signInBadCode,
      'bad_verification_code',
    );
  // While polling, MSAL keeps only Entra's `error` ("post_request_failed: invalid_client"), not its AADSTS number;
  // for a client that sends no secret, invalid_client is AADSTS7000218: the app is not a public client (§5.1).
  if (info.errorCodes.includes(7000218) || has('invalid_client'))
    return new SignInError(
      `Entra ID refused app ${o.clientId} as a client (invalid_client, AADSTS7000218): it is not a public client, so it may not use the device code flow. In the app registration's Authentication page set "Allow public client flows" to Yes (isFallbackPublicClient), or set RIPOSTE_CLI_CLIENT_ID to the CLI's own public client app.`,
      EXIT.signInRefused,
      'public_client_not_allowed',
    );
  if (info.errorCodes.includes(700016))
    return new SignInError(
      `App ${o.clientId} was not found in tenant ${o.tenantId} (AADSTS700016): check RIPOSTE_CLI_CLIENT_ID and TENANT_ID.`,
      EXIT.signInRefused,
      'unknown_client',
    );
  const what = [info.error, ...info.errorCodes.map((c) => `AADSTS${c}`)].filter(Boolean).join(' ');
  const detail = info.description ?? text.split('\n')[0] ?? '';
  return new SignInError(
    redact(`Sign-in to tenant ${o.tenantId} failed${what ? ` (${what})` : ''}: ${detail}`),
    EXIT.signInRefused,
    info.error ?? 'sign_in_failed',
  );
}

export function createUserSignIn(options: UserSignInOptions): UserSignIn {
  let credential: DeviceCodeCredential | undefined;
  const credentialFor = (): DeviceCodeCredential => {
    if (!credential) {
      // Loaded on first use, as the app's own credentials are: @azure/identity is heavy.
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      const { DeviceCodeCredential: Credential } = require('@azure/identity') as typeof import('@azure/identity');
      credential = new Credential({
        tenantId: options.tenantId,
        clientId: options.clientId,
        authorityHost: options.authorityHost,
        disableInstanceDiscovery: options.disableInstanceDiscovery,
        ...(options.ca ? { tlsOptions: { ca: options.ca } } : {}),
        userPromptCallback: (info: DeviceCodeInfo) => {
          // At runtime the callback gets MSAL's object, expiresIn included (identity-modes.md §5.2).
          const expiresIn = (info as DeviceCodeInfo & { expiresIn?: number }).expiresIn;
          options.prompt({
            verificationUri: info.verificationUri,
            userCode: info.userCode,
            message: info.message,
            ...(typeof expiresIn === 'number' ? { expiresInSeconds: expiresIn } : {}),
          });
        },
      });
    }
    return credential;
  };
  const who = { tenantId: options.tenantId, clientId: options.clientId };

  const tokens: TokenProvider = {
    async getToken(scope?: string): Promise<string> {
      if (scope === undefined) throw new AuthError('no scope asked for');
      try {
        const t = await credentialFor().getToken(scope);
        if (!t?.token) throw new AuthError(`Entra ID returned no access token for scope ${scope}`);
        return t.token;
      } catch (err) {
        if (err instanceof AuthError) throw err;
        throw new AuthError(signInErrorFor(err, who).message, { error: parseTokenError(err).error });
      }
    },
    // A 401 from an API: MSAL's cache decides; a new token needs no new sign-in while the refresh token holds.
    invalidate(): void {},
    get credentialsBuilt() {
      return credential ? 1 : 0;
    },
  };

  return {
    tokens,
    async signIn(scope, stop) {
      if (stop?.aborted) throw stop.reason instanceof Error ? stop.reason : new InterruptError('SIGINT');
      const flow = credentialFor().authenticate(scope, stop ? { abortSignal: stop } : {});
      // Ctrl-C ends the wait at once; MSAL stops polling at its next turn (the abort signal sets its cancel flag).
      const stopped = new Promise<never>((_, reject) => {
        stop?.addEventListener(
          'abort',
          () => reject(stop.reason instanceof Error ? stop.reason : new InterruptError('SIGINT')),
          {
            once: true,
          },
        );
      });
      // Whichever loses the race must not become an unhandled rejection.
      flow.catch(() => {});
      stopped.catch(() => {});
      let record;
      try {
        record = await Promise.race([flow, stopped]);
      } catch (err) {
        if (err instanceof InterruptError) throw err;
        throw signInErrorFor(err, who);
      }
      return {
        username: record?.username ?? 'unknown user',
        oid: record?.homeAccountId?.split('.')[0] ?? '',
        tenantId: record?.tenantId ?? options.tenantId,
      };
    },
  };
}
