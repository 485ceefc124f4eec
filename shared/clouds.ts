// Hosts and token scopes per cloud. Sources: ../shared/reference/defender-api.md §1.1 (legacy hosts per cloud,
// DX usgov.md) and §2 (Graph national-cloud hosts, GD concepts/deployments.md).
import type { ApiBackend } from './defender/types';

export const CLOUDS = ['public', 'gcc', 'gcc-high', 'dod'] as const;
export type Cloud = (typeof CLOUDS)[number];

interface CloudEndpoints {
  authorityHost: string;
  graphHost: string;
  legacyHost: string;
}

const ENDPOINTS: Record<Cloud, CloudEndpoints> = {
  public: {
    authorityHost: 'https://login.microsoftonline.com',
    graphHost: 'https://graph.microsoft.com',
    legacyHost: 'https://api.security.microsoft.com',
  },
  gcc: {
    authorityHost: 'https://login.microsoftonline.com',
    graphHost: 'https://graph.microsoft.com',
    legacyHost: 'https://api-gcc.security.microsoft.us',
  },
  'gcc-high': {
    authorityHost: 'https://login.microsoftonline.us',
    graphHost: 'https://graph.microsoft.us',
    legacyHost: 'https://api-gov.security.microsoft.us',
  },
  dod: {
    authorityHost: 'https://login.microsoftonline.us',
    graphHost: 'https://dod-graph.microsoft.us',
    legacyHost: 'https://api-gov.security.microsoft.us',
  },
};

export function authorityHostFor(cloud: Cloud): string {
  return ENDPOINTS[cloud].authorityHost;
}

/** Base URL the client's paths are relative to: Graph paths start at `/security`, legacy ones at `/api`. */
export function apiBaseUrlFor(cloud: Cloud, backend: ApiBackend): string {
  return backend === 'graph' ? `${ENDPOINTS[cloud].graphHost}/v1.0` : ENDPOINTS[cloud].legacyHost;
}

/**
 * DEFENDER_API_BASE_URL in either form the docs show it: the client's paths start at `/security` (Graph) and
 * `/api` (legacy), so the Graph root gets `/v1.0` unless it already ends in a version (`/v1.0`, `/beta`), and a
 * legacy URL ending in `/api` loses it. `https://graph.microsoft.com`, `.../v1.0` and `.../v1.0/` all send the same
 * requests, as do `https://api.security.microsoft.com` and `.../api/`.
 */
export function normaliseApiBaseUrl(url: string, backend: ApiBackend): string {
  const trimmed = url.replace(/\/+$/, '');
  if (backend === 'graph') return /\/(?:v1\.0|beta)$/i.test(trimmed) ? trimmed : `${trimmed}/v1.0`;
  return trimmed.replace(/\/api$/i, '');
}

/** The `.default` scope of the API's resource. The gov legacy scope follows the host (UNCONFIRMED in the docs). */
export function apiScopeFor(cloud: Cloud, backend: ApiBackend): string {
  const host = backend === 'graph' ? ENDPOINTS[cloud].graphHost : ENDPOINTS[cloud].legacyHost;
  return `${host}/.default`;
}
