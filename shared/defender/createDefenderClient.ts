// Picks the backend named by config (DEFENDER_API): Graph by default, legacy until it retires on 2027-02-01.
import type { ApiTarget } from '../clouds';
import type { DefenderHttp } from '../http/defenderHttp';
import type { Logger } from '../logger';
import { createGraphClient } from './graphClient';
import { createIndicatorsClient } from './indicatorsClient';
import { createIdentityClient } from './identityClient';
import { createLegacyClient } from './legacyClient';
import type { ApiBackend, DefenderClient } from './types';

export interface CreateDefenderClientOptions {
  backend: ApiBackend;
  http: DefenderHttp;
  /**
   * Microsoft Graph, for what only Graph serves whatever DEFENDER_API says (identity containment: users and
   * riskyUsers). Default: `http` when the backend is Graph.
   */
  graph?: DefenderHttp;
  huntingTimeoutMs: number;
  logger?: Logger;
  /** The Defender for Endpoint API's client (its own host and token): indicators are served there on both backends. */
  mde?: DefenderHttp;
}

export function createDefenderClient(options: CreateDefenderClientOptions): DefenderClient {
  const { backend, mde, graph, ...rest } = options;
  const client = backend === 'legacy' ? createLegacyClient(rest) : createGraphClient(rest);
  const graphHttp = graph ?? (backend === 'graph' ? rest.http : undefined);
  return Object.assign(
    client,
    mde ? { indicators: createIndicatorsClient(mde) } : {},
    graphHttp ? { identity: createIdentityClient(graphHttp) } : {},
  );
}

export interface DefenderClients {
  /** One HTTP client per API host (Graph, the legacy incidents API, Defender for Endpoint). */
  apis: Record<ApiTarget, DefenderHttp>;
  /** The incidents backend's HTTP client. */
  http: DefenderHttp;
  defender: DefenderClient;
}

/**
 * The clients of one identity (the app in a tenant, or a user on behalf of whom it acts): an HTTP client per API
 * host from `make`, and the Defender client over them for `backend`.
 */
export function createDefenderClients(
  backend: ApiBackend,
  make: (target: ApiTarget) => DefenderHttp,
  options: { huntingTimeoutMs: number; logger?: Logger },
): DefenderClients {
  const apis: Record<ApiTarget, DefenderHttp> = { graph: make('graph'), legacy: make('legacy'), mde: make('mde') };
  const defender = createDefenderClient({
    backend,
    http: apis[backend],
    graph: apis.graph,
    ...options,
    // Indicators live on the Defender for Endpoint API host, whichever backend serves incidents.
    mde: apis.mde,
  });
  return { apis, http: apis[backend], defender };
}
