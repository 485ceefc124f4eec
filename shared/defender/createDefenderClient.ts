// Picks the backend named by config (DEFENDER_API): Graph by default, legacy until it retires on 2027-02-01.
import type { DefenderHttp } from '../http/defenderHttp';
import type { Logger } from '../logger';
import { createGraphClient } from './graphClient';
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
}

export function createDefenderClient(options: CreateDefenderClientOptions): DefenderClient {
  const { backend, graph, ...rest } = options;
  const client = backend === 'legacy' ? createLegacyClient(rest) : createGraphClient(rest);
  const graphHttp = graph ?? (backend === 'graph' ? rest.http : undefined);
  return graphHttp ? Object.assign(client, { identity: createIdentityClient(graphHttp) }) : client;
}
