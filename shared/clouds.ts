// Hosts and token scopes per cloud. Sources: ../shared/reference/defender-api.md §1.1 (legacy hosts per cloud,
// DX usgov.md) and §2 (Graph national-cloud hosts, GD concepts/deployments.md); response-actions.md §2 (the MDE API
// host and token audience per cloud: DD defender-endpoint/gov.md, exposed-apis-create-app-webapp.md,
// exposed-apis-list.md, includes/improve-request-performance.md).
import type { ApiBackend } from './defender/types';

export const CLOUDS = ['public', 'gcc', 'gcc-high', 'dod'] as const;
export type Cloud = (typeof CLOUDS)[number];

/**
 * The APIs Riposte calls, each with its own host and token audience per cloud: Microsoft Graph (always, whatever
 * DEFENDER_API says: alerts and identity steps need it), the legacy Defender XDR API, and the Defender for Endpoint
 * API (machine actions, indicators).
 */
export const API_TARGETS = ['graph', 'legacy', 'mde'] as const;
export type ApiTarget = (typeof API_TARGETS)[number];

interface CloudEndpoints {
  authorityHost: string;
  graphHost: string;
  legacyHost: string;
  mdeHost: string;
  /** The MDE API's token resource (its scope is `<resource>/.default`). */
  mdeResource: string;
}

const ENDPOINTS: Record<Cloud, CloudEndpoints> = {
  public: {
    authorityHost: 'https://login.microsoftonline.com',
    graphHost: 'https://graph.microsoft.com',
    legacyHost: 'https://api.security.microsoft.com',
    // The stated base URI of the MDE API pages (regional hosts are an optimisation: MDE_API_BASE_URL takes one).
    mdeHost: 'https://api.security.microsoft.com',
    // The documented client-credentials scope (exposed-apis-create-app-webapp.md); the pages call
    // api.security.microsoft.com with this token. Its audience is the WindowsDefenderATP app.
    mdeResource: 'https://api.securitycenter.microsoft.com',
  },
  gcc: {
    authorityHost: 'https://login.microsoftonline.com',
    graphHost: 'https://graph.microsoft.com',
    legacyHost: 'https://api-gcc.security.microsoft.us',
    mdeHost: 'https://api-gcc.securitycenter.microsoft.us',
    // UNCONFIRMED (response-actions.md §2, §8.3: third-party scripts only); MDE_API_SCOPE overrides it.
    mdeResource: 'https://api-gcc.securitycenter.microsoft.us',
  },
  'gcc-high': {
    authorityHost: 'https://login.microsoftonline.us',
    graphHost: 'https://graph.microsoft.us',
    legacyHost: 'https://api-gov.security.microsoft.us',
    mdeHost: 'https://api-gov.securitycenter.microsoft.us',
    // UNCONFIRMED: sources disagree (CISA Untitled Goose Tool uses this one; another script
    // api.securitycenter.microsoft.us); MDE_API_SCOPE overrides it.
    mdeResource: 'https://api-gov.securitycenter.microsoft.us',
  },
  dod: {
    authorityHost: 'https://login.microsoftonline.us',
    graphHost: 'https://dod-graph.microsoft.us',
    legacyHost: 'https://api-gov.security.microsoft.us',
    // gov.md gives GCC High and DoD one column for the MDE host; the scope is UNCONFIRMED as for GCC High.
    mdeHost: 'https://api-gov.securitycenter.microsoft.us',
    mdeResource: 'https://api-gov.securitycenter.microsoft.us',
  },
};

export function authorityHostFor(cloud: Cloud): string {
  return ENDPOINTS[cloud].authorityHost;
}

/**
 * Base URL an API's paths are relative to: Graph paths start at `/security` (or `/users`), legacy and MDE ones at
 * `/api`.
 */
export function apiTargetBaseUrl(cloud: Cloud, target: ApiTarget): string {
  const e = ENDPOINTS[cloud];
  if (target === 'graph') return `${e.graphHost}/v1.0`;
  return target === 'legacy' ? e.legacyHost : e.mdeHost;
}

/** The `.default` scope of an API's resource. The gov legacy scope follows the host (UNCONFIRMED in the docs). */
export function apiTargetScope(cloud: Cloud, target: ApiTarget): string {
  const e = ENDPOINTS[cloud];
  const resource = target === 'graph' ? e.graphHost : target === 'legacy' ? e.legacyHost : e.mdeResource;
  return `${resource}/.default`;
}

/** Base URL of the incident backend DEFENDER_API selects. */
export function apiBaseUrlFor(cloud: Cloud, backend: ApiBackend): string {
  return apiTargetBaseUrl(cloud, backend);
}

/**
 * A base-URL setting in either form the docs show it: the client's paths start at `/security` (Graph) and `/api`
 * (legacy, MDE), so the Graph root gets `/v1.0` unless it already ends in a version (`/v1.0`, `/beta`), and a
 * legacy or MDE URL ending in `/api` loses it. `https://graph.microsoft.com`, `.../v1.0` and `.../v1.0/` all send the
 * same requests, as do `https://api.security.microsoft.com` and `.../api/`.
 */
export function normaliseApiBaseUrl(url: string, target: ApiTarget): string {
  const trimmed = url.replace(/\/+$/, '');
  if (target === 'graph') return /\/(?:v1\.0|beta)$/i.test(trimmed) ? trimmed : `${trimmed}/v1.0`;
  return trimmed.replace(/\/api$/i, '');
}

/** The scope of the incident backend DEFENDER_API selects. */
export function apiScopeFor(cloud: Cloud, backend: ApiBackend): string {
  return apiTargetScope(cloud, backend);
}
