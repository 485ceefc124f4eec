// The application roles (app permissions) each sandbox API call needs, per API; shared by the app-token check
// (apiCommon.guard) and the delegated one (delegated.ts: Graph's delegated permissions carry the same names).
import type { ApiName } from './apiCommon';
import type { ApiFamily } from './state';

export const APP_ROLES: Record<ApiName, Partial<Record<ApiFamily, string[]>>> = {
  graph: {
    hunting: ['ThreatHunting.Read.All'],
    incidentsList: ['SecurityIncident.Read.All', 'SecurityIncident.ReadWrite.All'],
    incidentsGet: ['SecurityIncident.Read.All', 'SecurityIncident.ReadWrite.All'],
    incidentsUpdate: ['SecurityIncident.ReadWrite.All'],
    comments: ['SecurityIncident.ReadWrite.All'],
    // security-list-alerts_v2.md (permissions include): least SecurityAlert.Read.All, higher ReadWrite; update and
    // comments: SecurityAlert.ReadWrite.All (response-actions.md §5). Get: taken as List's (its include page could not
    // be checked: UNCONFIRMED).
    alertsList: ['SecurityAlert.Read.All', 'SecurityAlert.ReadWrite.All'],
    alertsGet: ['SecurityAlert.Read.All', 'SecurityAlert.ReadWrite.All'],
    alertsUpdate: ['SecurityAlert.ReadWrite.All'],
    alertComments: ['SecurityAlert.ReadWrite.All'],
    // response-actions.md §6: user-get (User.Read.All least), revokeSignInSessions (User.RevokeSessions.All least),
    // PATCH accountEnabled (User.EnableDisableAccount.All per the beta list, higher User.ReadWrite.All), riskyUsers
    // actions (IdentityRiskyUser.ReadWrite.All).
    usersGet: ['User.Read.All', 'User.ReadWrite.All', 'Directory.Read.All', 'Directory.ReadWrite.All'],
    usersUpdate: ['User.EnableDisableAccount.All', 'User.ReadWrite.All', 'Directory.ReadWrite.All'],
    usersRevoke: ['User.RevokeSessions.All', 'User.ReadWrite.All', 'Directory.ReadWrite.All'],
    riskyUsersAction: ['IdentityRiskyUser.ReadWrite.All'],
  },
  legacy: {
    hunting: ['AdvancedHunting.Read.All'],
    incidentsList: ['Incident.Read.All', 'Incident.ReadWrite.All'],
    incidentsGet: ['Incident.Read.All', 'Incident.ReadWrite.All'],
    incidentsUpdate: ['Incident.ReadWrite.All'],
    comments: ['Incident.ReadWrite.All'],
    // The legacy API has no alerts endpoint: these families are never routed there.
    alertsList: [],
    alertsGet: [],
    alertsUpdate: [],
    alertComments: [],
    usersGet: [],
    usersUpdate: [],
    usersRevoke: [],
    riskyUsersAction: [],
  },
  // WindowsDefenderATP application permissions per page (response-actions.md §1.2, §4): reads take Machine.Read.All
  // or Machine.ReadWrite.All; each action its own.
  mde: {
    mdeRead: ['Machine.Read.All', 'Machine.ReadWrite.All'],
    mdeIsolate: ['Machine.Isolate'],
    mdeScan: ['Machine.Scan'],
    mdeCollect: ['Machine.CollectForensics'],
    mdeRestrict: ['Machine.RestrictExecution'],
    mdeQuarantine: ['Machine.StopAndQuarantine'],
    // post-ti-indicator.md, get-ti-indicators-collection.md, delete-ti-indicator-by-id.md,
    // batch-delete-ti-indicators.md: application Ti.ReadWrite or Ti.ReadWrite.All.
    indicatorsSubmit: ['Ti.ReadWrite', 'Ti.ReadWrite.All'],
    indicatorsList: ['Ti.ReadWrite', 'Ti.ReadWrite.All'],
    indicatorsDelete: ['Ti.ReadWrite', 'Ti.ReadWrite.All'],
    indicatorsBatch: ['Ti.ReadWrite', 'Ti.ReadWrite.All'],
  },
};
