// The logging seam for shared code: an injected Logger (octokit's `log`), adapted to the Functions context at the
// edge. Log counts and ids, never rows, tokens or secrets; redact() is the last line of defence for free text.

export type LogProps = Record<string, unknown>;

export interface Logger {
  debug(message: string, props?: LogProps): void;
  info(message: string, props?: LogProps): void;
  warn(message: string, props?: LogProps): void;
  error(message: string, props?: LogProps): void;
}

const noop = (): void => {};

/** Drops everything (default in tests and libraries). */
export const silentLogger: Logger = Object.freeze({ debug: noop, info: noop, warn: noop, error: noop });

// Ordered: the specific shapes first, so a JWT inside "Bearer …" is reported once as a bearer token.
const PATTERNS: ReadonlyArray<[RegExp, string]> = [
  // A client certificate's key (CREDENTIAL_SOURCE keyVaultCertificate), should PEM text ever reach a message.
  [/-----BEGIN [A-Z ]*PRIVATE KEY-----[\s\S]*?(?:-----END [A-Z ]*PRIVATE KEY-----|$)/g, '[REDACTED PRIVATE KEY]'],
  [/\b(Bearer|Basic)\s+[A-Za-z0-9\-._~+/]+=*/gi, '$1 [REDACTED]'],
  [/("?(?:authorization|x-identity-header|secret)"?\s*[:=]\s*)("[^"]*"|'[^']*'|[^\s,;&}]+)/gi, '$1[REDACTED]'],
  [
    /\b(client_secret|client_assertion|access_token|refresh_token|id_token|sig|password)=([^&\s"']+)/gi,
    '$1=[REDACTED]',
  ],
  [
    /("(?:client_secret|client_assertion|access_token|refresh_token|id_token|value|password)"\s*:\s*)"(?:[^"\\]|\\.)*"/gi,
    '$1"[REDACTED]"',
  ],
  [/\beyJ[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]*/g, '[REDACTED_JWT]'],
];

/**
 * Masks bearer tokens, JWT-looking strings, `client_secret=…`, Authorization headers and token/secret JSON fields.
 * @param text - any string that may have crossed a wire (error messages, response bodies).
 */
export function redact(text: string): string {
  let out = text;
  for (const [re, replacement] of PATTERNS) out = out.replace(re, replacement);
  return out;
}

const SENSITIVE_KEY = /^(authorization|token|access_?token|secret|client_?secret|password|x-identity-header)$/i;

/** Deep copy of log props with sensitive keys masked and every string redacted; Errors become {name, message}. */
export function redactProps(value: unknown, depth = 0): unknown {
  if (typeof value === 'string') return redact(value);
  if (value === null || typeof value !== 'object') return value;
  if (depth > 6) return '[…]';
  if (value instanceof Error) return { name: value.name, message: redact(value.message) };
  if (value instanceof Date) return value.toISOString();
  if (Array.isArray(value)) return value.map((v) => redactProps(v, depth + 1));
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) out[k] = SENSITIVE_KEY.test(k) ? '[REDACTED]' : redactProps(v, depth + 1);
  return out;
}

function serialise(props: LogProps | undefined): string {
  if (!props || Object.keys(props).length === 0) return '';
  try {
    return ' ' + JSON.stringify(redactProps(props));
  } catch {
    return ' [unserialisable props]';
  }
}

/** Writes one redacted line per call to the console (CLI, local runs). */
export function createConsoleLogger(minLevel: 'debug' | 'info' | 'warn' | 'error' = 'info'): Logger {
  const order = ['debug', 'info', 'warn', 'error'] as const;
  const min = order.indexOf(minLevel);
  const write =
    (level: (typeof order)[number]) =>
    (message: string, props?: LogProps): void => {
      if (order.indexOf(level) < min) return;
      console[level](`${redact(message)}${serialise(props)}`);
    };
  return { debug: write('debug'), info: write('info'), warn: write('warn'), error: write('error') };
}

export const consoleLogger: Logger = createConsoleLogger('info');

/** The subset of @azure/functions' InvocationContext used here (structural, so shared/ never imports it). */
export interface ContextLogMethods {
  debug(...args: unknown[]): void;
  info(...args: unknown[]): void;
  warn(...args: unknown[]): void;
  error(...args: unknown[]): void;
}

/**
 * Adapts an InvocationContext to Logger. Props are appended to the message as one line of JSON, redacted like the
 * message: the worker would format an object argument with util.inspect (multi-line, nested values cut to
 * `[Object]`), which Application Insights queries cannot parse (`parse_json` on the text after the first `{`).
 */
export function loggerFromContext(ctx: ContextLogMethods): Logger {
  const write =
    (fn: (...args: unknown[]) => void) =>
    (message: string, props?: LogProps): void => {
      fn(`${redact(message)}${serialise(props)}`);
    };
  return {
    debug: write(ctx.debug.bind(ctx)),
    info: write(ctx.info.bind(ctx)),
    warn: write(ctx.warn.bind(ctx)),
    error: write(ctx.error.bind(ctx)),
  };
}
