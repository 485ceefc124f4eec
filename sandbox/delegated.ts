// Delegated (app + user) calls to the sandbox APIs: the token's `scp` must hold the API's delegated permission for
// the call, and then the user's own Defender role decides (identity-modes.md §6: "If you have the permission to
// perform an action in the portal, you have the permission to perform the action in the API"; delegated access
// needs the app permission and the user's own permission).
import type { TokenClaims } from './jwt';
import type { ApiFamily } from './state';
import type { DefenderRole } from './users';

type ApiName = 'graph' | 'legacy' | 'mde';

/**
 * Delegated permissions per call. Graph's delegated names equal its application ones for these calls (GD
 * security-incident-update / security-runhuntingquery permission includes). XDR: Incident.Read / Incident.ReadWrite /
 * AdvancedHunting.Read (DX api-create-app-user-context.md, api-list-incidents.md, api-advanced-hunting.md). MDE:
 * Machine.Isolate (isolate-machine.md); the other MDE delegated names follow the application ones with `.All`
 * dropped for reads (UNCONFIRMED per page).
 */
const DELEGATED_SCOPES: Record<ApiName, Partial<Record<ApiFamily, string[]>>> = {
  graph: {
    hunting: ['ThreatHunting.Read.All'],
    incidentsList: ['SecurityIncident.Read.All', 'SecurityIncident.ReadWrite.All'],
    incidentsGet: ['SecurityIncident.Read.All', 'SecurityIncident.ReadWrite.All'],
    incidentsUpdate: ['SecurityIncident.ReadWrite.All'],
    comments: ['SecurityIncident.ReadWrite.All'],
    alertsList: ['SecurityAlert.Read.All', 'SecurityAlert.ReadWrite.All'],
    alertsGet: ['SecurityAlert.Read.All', 'SecurityAlert.ReadWrite.All'],
    alertsUpdate: ['SecurityAlert.ReadWrite.All'],
    alertComments: ['SecurityAlert.ReadWrite.All'],
    usersGet: ['User.Read.All', 'User.ReadWrite.All', 'Directory.Read.All', 'Directory.ReadWrite.All'],
    usersUpdate: ['User.EnableDisableAccount.All', 'User.ReadWrite.All', 'Directory.ReadWrite.All'],
    usersRevoke: ['User.RevokeSessions.All', 'User.ReadWrite.All', 'Directory.ReadWrite.All'],
    riskyUsersAction: ['IdentityRiskyUser.ReadWrite.All'],
  },
  legacy: {
    hunting: ['AdvancedHunting.Read'],
    incidentsList: ['Incident.Read', 'Incident.ReadWrite'],
    incidentsGet: ['Incident.Read', 'Incident.ReadWrite'],
    incidentsUpdate: ['Incident.ReadWrite'],
    comments: ['Incident.ReadWrite'],
  },
  mde: {
    mdeRead: ['Machine.Read', 'Machine.ReadWrite'],
    mdeIsolate: ['Machine.Isolate'],
    mdeScan: ['Machine.Scan'],
    mdeCollect: ['Machine.CollectForensics'],
    mdeRestrict: ['Machine.RestrictExecution'],
    mdeQuarantine: ['Machine.StopAndQuarantine'],
    indicatorsSubmit: ['Ti.ReadWrite'],
    indicatorsList: ['Ti.ReadWrite'],
    indicatorsDelete: ['Ti.ReadWrite'],
    indicatorsBatch: ['Ti.ReadWrite'],
  },
};

/**
 * The delegated permissions an admin consented to for Riposte's app on an API (the sandbox's app has them all):
 * what an on-behalf-of request for `<resource>/.default` gets, and the names a request may ask for one by one.
 */
export function delegatedScopesOf(api: ApiName): string[] {
  return [...new Set(Object.values(DELEGATED_SCOPES[api]).flat())];
}

/** Calls a `reader` may make; everything else changes something and needs `operator`. */
const READS = new Set<ApiFamily>([
  'hunting',
  'incidentsList',
  'incidentsGet',
  'alertsList',
  'alertsGet',
  'mdeRead',
  'indicatorsList',
  'usersGet',
]);

export type DelegatedVerdict = { ok: true } | { ok: false; code: string; message: string };

/** Whether a user token may make this call: its scopes first, then the user's Defender role. */
export function delegatedVerdict(
  api: ApiName,
  family: ApiFamily,
  claims: TokenClaims,
  role: DefenderRole | undefined,
): DelegatedVerdict {
  const required = DELEGATED_SCOPES[api][family] ?? [];
  const scp = typeof claims.scp === 'string' ? claims.scp.split(' ').filter(Boolean) : [];
  if (!required.some((s) => scp.includes(s))) {
    // Same body shape as the application-role 403, naming scopes (the real text for delegated calls: UNCONFIRMED).
    return {
      ok: false,
      code: 'Forbidden',
      message: `Missing delegated permissions. API required scopes: ${required.join(',')}, token scopes: ${scp.join(',')}.`,
    };
  }
  const allowed = role === 'operator' || (role === 'reader' && READS.has(family));
  if (allowed) return { ok: true };
  if (api === 'graph') {
    // The Graph security API's 403 text for a user without a security role (identity-modes.md §6, Microsoft's
    // troubleshooting article for /security/alerts and secureScores). That incidents and runHuntingQuery answer the
    // same: UNCONFIRMED.
    return {
      ok: false,
      code: 'Forbidden',
      message: 'Auth token does not contain valid permissions or user does not have valid roles.',
    };
  }
  // Legacy and MDE: 403 Forbidden in the API's error envelope (defender-api.md §1.4); the text is UNCONFIRMED.
  return {
    ok: false,
    code: 'Forbidden',
    message: "The user does not have the permissions required for this action in Microsoft Defender (user's role).",
  };
}
