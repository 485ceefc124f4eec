// An extra trusted CA (the sandbox's, or a TLS-inspecting proxy's) for every outbound client. Passing `ca` to an
// agent REPLACES Node's default roots, so the bundle is the defaults plus the extra file, never the file alone.
import { readFileSync } from 'node:fs';
import https from 'node:https';
import tls from 'node:tls';

/** @throws {Error} when the file cannot be read (names the file only). */
export function loadCaBundle(caFile: string | undefined): string[] | undefined {
  if (!caFile) return undefined;
  let pem: string;
  try {
    pem = readFileSync(caFile, 'utf8');
  } catch (e) {
    throw new Error(`TLS_CA_FILE ${caFile} cannot be read: ${(e as NodeJS.ErrnoException).code ?? 'error'}`, {
      cause: e,
    });
  }
  return [...tls.rootCertificates, pem];
}

/** The keep-alive agent for the API client (one per process: connections are reused across invocations). */
export function createHttpsAgent(ca: string[] | undefined): https.Agent {
  // One SecureContext built up front rather than `ca` on the agent: https.Agent puts `ca` into the socket-pool key
  // it rebuilds for every request (~220 KB of PEM with the default roots), which cost ~3 ms per warm request.
  return new https.Agent({
    keepAlive: true,
    maxSockets: 16,
    ...(ca ? { secureContext: tls.createSecureContext({ ca }) } : {}),
  });
}
