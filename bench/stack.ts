// What every figure runs against, all on 127.0.0.1: the offline sandbox (in this process), Azurite (a child
// process) and the Function App in the local host (this process), wired the way scripts/start.ts wires them.
import '../host/fakeCore'; // must precede anything that loads @azure/functions
import { randomBytes } from 'node:crypto';
import http from 'node:http';
import https from 'node:https';
import { resolve } from 'node:path';
import axios, { type AxiosInstance } from 'axios';
import { startAzurite, type Azurite } from '../host/azurite';
import { startLocalHost, type LocalHost } from '../host/localHost';
import { startSandbox, type Sandbox, type SandboxOptions } from '../sandbox';

export const REPO_ROOT = resolve(__dirname, '..');

/** Riposte's own client-side quota, scaled so it never binds at the request rates of the latency figures. */
export const UNBOUND_CLIENT_RATE_SCALE = '0.001';

export interface StackOptions {
  sandbox?: SandboxOptions;
  /** Extra app settings (override the sandbox's). */
  settings?: Record<string, string>;
  /** Functions switched off with AzureWebJobs.<name>.Disabled (e.g. the queue consumer during a webhook run). */
  disabled?: string[];
  /** Start Azurite (default true). */
  azurite?: boolean;
}

export interface Stack {
  sandbox: Sandbox;
  azurite: Azurite | undefined;
  host: LocalHost;
  settings: Record<string, string>;
  /** Host log lines that mention a failure (the host's own log is otherwise dropped: it would cost console I/O). */
  problems: string[];
  /** Keep-alive client for the local host with the function key set. */
  hostClient: AxiosInstance;
  close(): Promise<void>;
}

export async function startStack(options: StackOptions = {}): Promise<Stack> {
  const sandbox = await startSandbox({ rateLimits: false, ...options.sandbox });
  let azurite: Azurite | undefined;
  try {
    if (options.azurite !== false) azurite = await startAzurite({ inMemory: true, ports: 'random' });
    const settings: Record<string, string> = {
      ...sandbox.settings('graph'),
      RATE_LIMIT_WINDOW_SCALE: UNBOUND_CLIENT_RATE_SCALE,
      WEBHOOK_SECRET_GENERIC: `whsec_${randomBytes(24).toString('base64')}`,
      ...(azurite ? { AzureWebJobsStorage: azurite.connectionString } : {}),
      ...Object.fromEntries((options.disabled ?? []).map((n) => [`AzureWebJobs.${n}.Disabled`, 'true'])),
      ...options.settings,
    };
    const problems: string[] = [];
    const host = await startLocalHost({
      entry: ['functions/*.ts'],
      cwd: REPO_ROOT,
      port: 0,
      hostJsonPath: resolve(REPO_ROOT, 'host.json'),
      settings,
      ...(azurite ? { storageConnectionString: azurite.connectionString } : {}),
      timers: false,
      logger: (line) => {
        if (/\b(fail|error|exception|warn)/i.test(line) && problems.length < 50) problems.push(line);
      },
    });
    const hostClient = axios.create({
      baseURL: host.url,
      httpAgent: new http.Agent({ keepAlive: true, maxSockets: 64 }),
      headers: { 'x-functions-key': host.functionKey },
      validateStatus: () => true,
    });
    return {
      sandbox,
      azurite,
      host,
      settings,
      problems,
      hostClient,
      async close() {
        await host.close().catch(() => undefined);
        await azurite?.stop().catch(() => undefined);
        await sandbox.close().catch(() => undefined);
      },
    };
  } catch (e) {
    await azurite?.stop().catch(() => undefined);
    await sandbox.close();
    throw e;
  }
}

/** A client-credentials token for the Graph API straight from the sandbox's Entra (never printed). */
export async function fetchGraphToken(sandbox: Sandbox): Promise<string> {
  const agent = new https.Agent({ ca: sandbox.caPem });
  const res = await axios.post<{ access_token: string }>(
    `${sandbox.authorityHost}/${sandbox.tenantId}/oauth2/v2.0/token`,
    new URLSearchParams({
      client_id: sandbox.clientId,
      client_secret: sandbox.control.currentSecret(),
      scope: 'https://graph.microsoft.com/.default',
      grant_type: 'client_credentials',
    }).toString(),
    { httpsAgent: agent, headers: { 'content-type': 'application/x-www-form-urlencoded' } },
  );
  agent.destroy();
  return res.data.access_token;
}

/** The baseline client: plain axios, keep-alive agent trusting the sandbox CA, token fetched once. */
export function rawGraphClient(sandbox: Sandbox, token: string): AxiosInstance {
  return axios.create({
    baseURL: sandbox.graphBaseUrl,
    httpsAgent: new https.Agent({ keepAlive: true, ca: sandbox.caPem }),
    headers: { Authorization: `Bearer ${token}`, Accept: 'application/json' },
  });
}

/** Ids of the sandbox's seeded incidents (numeric strings, as Graph sends them). */
export function incidentIds(sandbox: Sandbox): string[] {
  return sandbox.control.incidents().map((i) => String(i.id));
}
