// The resources (token audiences) the sandbox's Entra knows, and which application roles belong to which API.

export const GRAPH_RESOURCE = 'https://graph.microsoft.com';
export const LEGACY_RESOURCE = 'https://api.security.microsoft.com';
export const VAULT_RESOURCE = 'https://vault.azure.net';
/** The Defender for Endpoint API (WindowsDefenderATP), commercial audience (response-actions.md §2). */
export const MDE_RESOURCE = 'https://api.securitycenter.microsoft.com';

/**
 * Each API's audiences, one per cloud (response-actions.md §2: Graph per national cloud, the XDR and MDE hosts of
 * GCC and GCC High/DoD; the government MDE audiences are UNCONFIRMED there). The sandbox serves every cloud from one
 * host: an API accepts a token for itself in any cloud, never one for another API.
 */
export const API_AUDIENCES = {
  graph: [GRAPH_RESOURCE, 'https://graph.microsoft.us', 'https://dod-graph.microsoft.us'],
  legacy: [LEGACY_RESOURCE, 'https://api-gcc.security.microsoft.us', 'https://api-gov.security.microsoft.us'],
  mde: [MDE_RESOURCE, 'https://api-gcc.securitycenter.microsoft.us', 'https://api-gov.securitycenter.microsoft.us'],
} as const;

/** Resource URL → accepted aliases (app id GUIDs a token may carry as `aud`). */
const KNOWN_RESOURCES: Record<string, string[]> = {
  [GRAPH_RESOURCE]: ['00000003-0000-0000-c000-000000000000'],
  [LEGACY_RESOURCE]: ['8ee8fdad-f234-4243-8f3b-15c294843740'],
  [VAULT_RESOURCE]: ['cfa8b339-82a2-471a-a3c9-0fc0be7a4093'],
  [MDE_RESOURCE]: ['fc780465-2017-40d4-a0c5-307022471b92'],
  'https://graph.microsoft.us': [],
  'https://dod-graph.microsoft.us': [],
  'https://api-gcc.security.microsoft.us': [],
  'https://api-gov.security.microsoft.us': [],
  'https://api-gcc.securitycenter.microsoft.us': [],
  'https://api-gov.securitycenter.microsoft.us': [],
  'https://management.azure.com': ['797f4846-ba00-4fd7-ba43-dac1f8f63013'],
  'https://storage.azure.com': ['e406a681-f3d4-42a8-90b6-c2b029497af1'],
};

/** The canonical resource URL for a resource or app-id string, or undefined when Entra would not know it. */
export function canonicalResource(resource: string): string | undefined {
  const r = resource.trim().replace(/\/+$/, '').toLowerCase();
  for (const [url, aliases] of Object.entries(KNOWN_RESOURCES)) {
    if (url === r || aliases.includes(r)) return url;
  }
  return undefined;
}

export const GRAPH_ROLES = [
  'ThreatHunting.Read.All',
  'SecurityIncident.Read.All',
  'SecurityIncident.ReadWrite.All',
  'SecurityAlert.Read.All',
  'SecurityAlert.ReadWrite.All',
  'User.Read.All',
  'User.ReadWrite.All',
  'User.RevokeSessions.All',
  'User.EnableDisableAccount.All',
  'Directory.Read.All',
  'Directory.ReadWrite.All',
  'IdentityRiskyUser.ReadWrite.All',
];
export const LEGACY_ROLES = ['AdvancedHunting.Read.All', 'Incident.Read.All', 'Incident.ReadWrite.All'];
/** WindowsDefenderATP application permissions for machine actions and machine reads (response-actions.md §1.2, §4). */
export const MDE_ROLES = [
  'Machine.Isolate',
  'Machine.Scan',
  'Machine.CollectForensics',
  'Machine.RestrictExecution',
  'Machine.StopAndQuarantine',
  'Machine.Read.All',
  'Machine.ReadWrite.All',
];

export const DEFAULT_ROLES = [
  'ThreatHunting.Read.All',
  'SecurityIncident.ReadWrite.All',
  'SecurityAlert.ReadWrite.All',
  'User.Read.All',
  'User.RevokeSessions.All',
  'User.EnableDisableAccount.All',
  'IdentityRiskyUser.ReadWrite.All',
  'AdvancedHunting.Read.All',
  'Incident.ReadWrite.All',
  'Machine.Isolate',
  'Machine.Scan',
  'Machine.CollectForensics',
  'Machine.RestrictExecution',
  'Machine.StopAndQuarantine',
  'Machine.Read.All',
];

/** Which API a canonical resource belongs to, or undefined (Key Vault, ARM, storage). */
export function apiOfResource(resource: string): keyof typeof API_AUDIENCES | undefined {
  for (const [api, audiences] of Object.entries(API_AUDIENCES))
    if ((audiences as readonly string[]).includes(resource)) return api as keyof typeof API_AUDIENCES;
  return undefined;
}

/** Roles a token for `resource` carries: the app's roles on that API (unknown role names go everywhere). */
export function rolesFor(resource: string, granted: readonly string[]): string[] {
  const api = apiOfResource(resource);
  const own = api === 'graph' ? GRAPH_ROLES : api === 'legacy' ? LEGACY_ROLES : api === 'mde' ? MDE_ROLES : [];
  const known = new Set([...GRAPH_ROLES, ...LEGACY_ROLES, ...MDE_ROLES]);
  return granted.filter((r) => own.includes(r) || !known.has(r));
}
