// The resources (token audiences) the sandbox's Entra knows, and which application roles belong to which API.

export const GRAPH_RESOURCE = 'https://graph.microsoft.com';
export const LEGACY_RESOURCE = 'https://api.security.microsoft.com';
export const VAULT_RESOURCE = 'https://vault.azure.net';

/** Resource URL → accepted aliases (app id GUIDs a token may carry as `aud`). */
const KNOWN_RESOURCES: Record<string, string[]> = {
  [GRAPH_RESOURCE]: ['00000003-0000-0000-c000-000000000000'],
  [LEGACY_RESOURCE]: ['8ee8fdad-f234-4243-8f3b-15c294843740'],
  [VAULT_RESOURCE]: ['cfa8b339-82a2-471a-a3c9-0fc0be7a4093'],
  'https://api.securitycenter.microsoft.com': ['fc780465-2017-40d4-a0c5-307022471b92'],
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
];

/** Roles a token for `resource` carries: the app's roles on that API (unknown role names go everywhere). */
export function rolesFor(resource: string, granted: readonly string[]): string[] {
  const own = resource === GRAPH_RESOURCE ? GRAPH_ROLES : resource === LEGACY_RESOURCE ? LEGACY_ROLES : [];
  const known = new Set([...GRAPH_ROLES, ...LEGACY_ROLES]);
  return granted.filter((r) => own.includes(r) || !known.has(r));
}
