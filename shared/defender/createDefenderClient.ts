// Picks the backend named by config (DEFENDER_API): Graph by default, legacy until it retires on 2027-02-01.
import type { DefenderHttp } from '../http/defenderHttp';
import type { Logger } from '../logger';
import { createGraphClient } from './graphClient';
import { createLegacyClient } from './legacyClient';
import type { ApiBackend, DefenderClient } from './types';

export interface CreateDefenderClientOptions {
  backend: ApiBackend;
  http: DefenderHttp;
  huntingTimeoutMs: number;
  logger?: Logger;
}

export function createDefenderClient(options: CreateDefenderClientOptions): DefenderClient {
  const { backend, ...rest } = options;
  return backend === 'legacy' ? createLegacyClient(rest) : createGraphClient(rest);
}
