// Picks the backend named by config (DEFENDER_API): Graph by default, legacy until it retires on 2027-02-01.
import type { DefenderHttp } from '../http/defenderHttp';
import type { Logger } from '../logger';
import { createGraphClient } from './graphClient';
import { createIndicatorsClient } from './indicatorsClient';
import { createLegacyClient } from './legacyClient';
import type { ApiBackend, DefenderClient } from './types';

export interface CreateDefenderClientOptions {
  backend: ApiBackend;
  http: DefenderHttp;
  huntingTimeoutMs: number;
  logger?: Logger;
  /** The Defender for Endpoint API's client (its own host and token): indicators are served there on both backends. */
  mde?: DefenderHttp;
}

export function createDefenderClient(options: CreateDefenderClientOptions): DefenderClient {
  const { backend, mde, ...rest } = options;
  const client = backend === 'legacy' ? createLegacyClient(rest) : createGraphClient(rest);
  return mde ? { ...client, indicators: createIndicatorsClient(mde) } : client;
}
