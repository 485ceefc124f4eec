// The application permissions (app roles) each step needs, as data: the README's permission table is checked against
// it (test/deploy/permissionsDocs.test.ts), `riposte permissions` lists what a set of workflows needs, and
// infra/postdeploy.sh grants exactly that list. Each row names the page its permission was read on.
// Least privilege: the smallest documented application permission that does the step's calls; where a step also
// reads (updateAlert reads the alert first), the write permission covers the read (the pages list ReadWrite as the
// higher permission of each read).
import type { ApiBackend } from './defender/types';
import type { ApiFamily } from './http/defenderHttp';

/** The APIs whose app roles Riposte uses, by resource app id (the service principal the roles live on). */
export const PERMISSION_APIS = {
  graph: { name: 'Microsoft Graph', appId: '00000003-0000-0000-c000-000000000000' },
  legacy: { name: 'Microsoft Threat Protection', appId: '8ee8fdad-f234-4243-8f3b-15c294843740' },
  // WindowsDefenderATP, "APIs my organization uses" (DD defender-endpoint/api/exposed-apis-create-app-webapp.md).
  // Its app id is not printed on Learn (response-actions.md §2, §8.3): it is the id Microsoft's own Azure-Sentinel
  // playbooks (MasterPlaybooks/Remediation-Host/MDE-IsolateMachine-Nested/readme.md) and every tenant listing seen
  // give, with the Microsoft first-party owner tenant f8cdef31-a31e-4b4a-93e4-5f571e91255a. infra/postdeploy.sh checks
  // the service principal it finds under it is named WindowsDefenderATP before granting anything.
  mde: { name: 'WindowsDefenderATP', appId: 'fc780465-2017-40d4-a0c5-307022471b92' },
} as const;
export type PermissionApi = keyof typeof PERMISSION_APIS;

export interface Permission {
  api: PermissionApi;
  role: string;
}

export interface StepPermissions {
  /** With DEFENDER_API=graph. */
  graph: readonly Permission[];
  /** With DEFENDER_API=legacy; 'graphOnly' for steps that do not load there (alerts_v2). */
  legacy: readonly Permission[] | 'graphOnly';
  /** Where the permission was read. */
  source: string;
}

const g = (role: string): Permission => ({ api: 'graph', role });
const l = (role: string): Permission => ({ api: 'legacy', role });
const m = (role: string): Permission => ({ api: 'mde', role });
const same = (perms: Permission[], source: string): StepPermissions => ({ graph: perms, legacy: perms, source });

/** DD: MicrosoftDocs/defender-docs; GD: microsoftgraph/microsoft-graph-docs-contrib, api-reference/. */
const DD = 'DD defender-endpoint/api/';
const GD = 'GD v1.0/api/';

/**
 * Every step kind, by name. Control kinds (set, forEach, if, stop) need nothing. Kinds built on other branches
 * (device actions, identity containment, notifications) are listed under the names those branches give them.
 */
export const STEP_PERMISSIONS: Readonly<Record<string, StepPermissions>> = {
  hunt: {
    graph: [g('ThreatHunting.Read.All')],
    legacy: [l('AdvancedHunting.Read.All')],
    source: `${GD}security-security-runhuntingquery.md; DD defender-xdr/api-advanced-hunting.md`,
  },
  listIncidents: {
    graph: [g('SecurityIncident.Read.All')],
    legacy: [l('Incident.Read.All')],
    source: `${GD}security-list-incidents.md; DD defender-xdr/api-list-incidents.md`,
  },
  getIncident: {
    graph: [g('SecurityIncident.Read.All')],
    legacy: [l('Incident.Read.All')],
    source: `${GD}security-incident-get.md; DD defender-xdr/api-get-incident.md`,
  },
  updateIncident: {
    graph: [g('SecurityIncident.ReadWrite.All')],
    legacy: [l('Incident.ReadWrite.All')],
    source: `${GD}security-incident-update.md, security-incident-post-comments.md; DD defender-xdr/api-update-incidents.md`,
  },
  comment: {
    graph: [g('SecurityIncident.ReadWrite.All')],
    legacy: [l('Incident.ReadWrite.All')],
    source: `${GD}security-incident-post-comments.md; DD defender-xdr/api-update-incidents.md`,
  },
  // listAlerts with incidentId reads the incident ($expand=alerts): the incident read permission too.
  listAlerts: {
    graph: [g('SecurityAlert.Read.All'), g('SecurityIncident.Read.All')],
    legacy: 'graphOnly',
    source: `${GD}security-list-alerts_v2.md, security-incident-get.md`,
  },
  getAlert: { graph: [g('SecurityAlert.Read.All')], legacy: 'graphOnly', source: `${GD}security-alert-get.md` },
  updateAlert: {
    graph: [g('SecurityAlert.ReadWrite.All')],
    legacy: 'graphOnly',
    source: `${GD}security-alert-update.md`,
  },
  commentAlert: {
    graph: [g('SecurityAlert.ReadWrite.All')],
    legacy: 'graphOnly',
    source: `${GD}security-alert-post-comments.md`,
  },
  // Indicators: Ti.ReadWrite would see only the indicators the app made itself (get-ti-indicators-collection.md),
  // so de-duplication by value against the portal's indicators needs Ti.ReadWrite.All.
  submitIndicator: same([m('Ti.ReadWrite.All')], `${DD}post-ti-indicator.md, get-ti-indicators-collection.md`),
  removeIndicator: same([m('Ti.ReadWrite.All')], `${DD}delete-ti-indicator-by-id.md, get-ti-indicators-collection.md`),
  // Device actions (branch device): the action's own permission, and Machine.Read.All to find the device and to
  // follow the machine action it starts (get-machineaction-object.md, get-machine-by-id.md).
  isolateDevice: same(
    [m('Machine.Isolate'), m('Machine.Read.All')],
    `${DD}isolate-machine.md, get-machineaction-object.md`,
  ),
  releaseDevice: same(
    [m('Machine.Isolate'), m('Machine.Read.All')],
    `${DD}unisolate-machine.md, get-machineaction-object.md`,
  ),
  runAntivirusScan: same(
    [m('Machine.Scan'), m('Machine.Read.All')],
    `${DD}run-av-scan.md, get-machineaction-object.md`,
  ),
  collectInvestigationPackage: same(
    [m('Machine.CollectForensics'), m('Machine.Read.All')],
    `${DD}collect-investigation-package.md, get-machineaction-object.md`,
  ),
  restrictAppExecution: same(
    [m('Machine.RestrictExecution'), m('Machine.Read.All')],
    `${DD}restrict-code-execution.md, get-machineaction-object.md`,
  ),
  unrestrictAppExecution: same(
    [m('Machine.RestrictExecution'), m('Machine.Read.All')],
    `${DD}unrestrict-code-execution.md, get-machineaction-object.md`,
  ),
  stopAndQuarantineFile: same(
    [m('Machine.StopAndQuarantine'), m('Machine.Read.All')],
    `${DD}stop-and-quarantine-file.md, get-machineaction-object.md`,
  ),
  // Identity containment (branch approval): Microsoft Graph on either DEFENDER_API.
  // Every identity step reads the user first (GET /users/{id}: its object id, and for enable/disable its state):
  // User.Read.All, the least application permission of user-get.md.
  revokeUserSessions: same(
    [g('User.RevokeSessions.All'), g('User.Read.All')],
    `${GD}user-revokesigninsessions.md, user-get.md`,
  ),
  // accountEnabled: User.EnableDisableAccount.All (Microsoft's beta include user-update-permissions.md lists it as an
  // application permission of PATCH /users) with User.Read.All to read the user, the pair Learn's user-update page is
  // widely quoted giving for accountEnabled (that page's current text could not be read here: response-actions.md
  // §8.7 keeps it UNCONFIRMED). Privileged targets also need a directory role for the app (§6.1).
  disableUser: same(
    [g('User.EnableDisableAccount.All'), g('User.Read.All')],
    `${GD}user-update.md; GD beta/includes/permissions/user-update-permissions.md`,
  ),
  enableUser: same(
    [g('User.EnableDisableAccount.All'), g('User.Read.All')],
    `${GD}user-update.md; GD beta/includes/permissions/user-update-permissions.md`,
  ),
  confirmUserCompromised: same(
    [g('IdentityRiskyUser.ReadWrite.All'), g('User.Read.All')],
    `${GD}riskyuser-confirmcompromised.md, user-get.md`,
  ),
  confirmUserSafe: same(
    [g('IdentityRiskyUser.ReadWrite.All'), g('User.Read.All')],
    `${GD}riskyuser-confirmsafe.md, user-get.md`,
  ),
  // Notifications (branch notify): webhook URLs and ticket credentials come from Key Vault (the managed identity's
  // Key Vault Secrets User), nothing in Entra ID.
  notifyTeams: same([], 'none: a Workflows webhook URL read from Key Vault'),
  // The ticket steps read the incident for its linked tickets (its ticket:<id> tags) when no ticket is named.
  jiraComment: {
    graph: [g('SecurityIncident.Read.All')],
    legacy: [l('Incident.Read.All')],
    source: `${GD}security-incident-get.md; DD defender-xdr/api-get-incident.md (the linked tickets); Jira API token from Key Vault`,
  },
  serviceNowWorkNote: {
    graph: [g('SecurityIncident.Read.All')],
    legacy: [l('Incident.Read.All')],
    source: `${GD}security-incident-get.md; DD defender-xdr/api-get-incident.md (the linked tickets); ServiceNow credentials from Key Vault`,
  },
  set: same([], 'none'),
  forEach: same([], 'none'),
  if: same([], 'none'),
  stop: same([], 'none'),
};

/**
 * The client-side quotas a step's calls draw on (README "Permissions to grant the app registration"): the Defender/Graph API families (ApiFamily,
 * QUOTA_<FAMILY>_PER_MINUTE/_PER_HOUR) and the notification targets' own (QUOTA_JIRA_PER_MINUTE,
 * QUOTA_SERVICENOW_PER_HOUR, Teams per webhook). A step that reads before it writes (the device actions read the
 * machine, the identity steps the user, the ticket steps the incident's tags) draws on the read's family too.
 */
export type QuotaFamily = ApiFamily | 'teams' | 'jira' | 'servicenow';

const incidentsOnly: readonly QuotaFamily[] = ['incidents'];
const machine: readonly QuotaFamily[] = ['machineActions'];
const users: readonly QuotaFamily[] = ['identity'];
const risky: readonly QuotaFamily[] = ['riskyUsers', 'identity'];

export const STEP_QUOTAS: Readonly<Record<string, readonly QuotaFamily[]>> = {
  hunt: ['hunting'],
  listIncidents: incidentsOnly,
  getIncident: incidentsOnly,
  updateIncident: incidentsOnly,
  comment: incidentsOnly,
  // With incidentId it reads the incident's alerts ($expand=alerts).
  listAlerts: ['alerts', 'incidents'],
  getAlert: ['alerts'],
  updateAlert: ['alerts'],
  commentAlert: ['alerts'],
  submitIndicator: ['indicators'],
  removeIndicator: ['indicators'],
  isolateDevice: machine,
  releaseDevice: machine,
  runAntivirusScan: machine,
  collectInvestigationPackage: machine,
  restrictAppExecution: machine,
  unrestrictAppExecution: machine,
  stopAndQuarantineFile: machine,
  revokeUserSessions: users,
  disableUser: users,
  enableUser: users,
  confirmUserCompromised: risky,
  confirmUserSafe: risky,
  notifyTeams: ['teams'],
  jiraComment: ['jira', 'incidents'],
  serviceNowWorkNote: ['servicenow', 'incidents'],
  set: [],
  forEach: [],
  if: [],
  stop: [],
};

/**
 * What the Function App itself needs whatever the workflows hold: its incident endpoints read and change incidents,
 * its hunting endpoint runs queries.
 */
export const BASE_PERMISSIONS: Readonly<Record<ApiBackend, readonly Permission[]>> = {
  graph: [g('SecurityIncident.ReadWrite.All'), g('ThreatHunting.Read.All')],
  legacy: [l('Incident.ReadWrite.All'), l('AdvancedHunting.Read.All')],
};

/** A read permission the write one of the same family grants too (each page lists ReadWrite as the higher one). */
const covers = (have: string, wanted: string): boolean =>
  have !== wanted && wanted.endsWith('.Read.All') && have === wanted.replace(/\.Read\.All$/, '.ReadWrite.All');

/** @throws {Error} naming the kind when it is not in STEP_PERMISSIONS (a new kind must say what it needs). */
export function stepPermissions(kind: string, backend: ApiBackend): readonly Permission[] {
  const row = STEP_PERMISSIONS[kind];
  if (!row) throw new Error(`no permission is recorded for step kind '${kind}' (shared/permissions.ts)`);
  const perms = row[backend];
  return perms === 'graphOnly' ? [] : perms;
}

/**
 * The permissions a deployment needs: the base, plus every step kind's, without duplicates or a read permission
 * its write permission covers; ordered by API, then role.
 */
export function neededPermissions(kinds: Iterable<string>, backend: ApiBackend): Permission[] {
  const all = [...BASE_PERMISSIONS[backend], ...[...new Set(kinds)].flatMap((k) => stepPermissions(k, backend))];
  const key = (p: Permission): string => `${p.api} ${p.role}`;
  const unique = [...new Map(all.map((p) => [key(p), p])).values()];
  const order = Object.keys(PERMISSION_APIS);
  return unique
    .filter((p) => !unique.some((q) => q.api === p.api && covers(q.role, p.role)))
    .sort((a, b) => order.indexOf(a.api) - order.indexOf(b.api) || a.role.localeCompare(b.role));
}

/**
 * Delegated permissions (scopes) per HTTP endpoint when HTTP_AUTH_MODE puts it on behalf of the caller: the app
 * registration needs them consented, and the signed-in user needs their own Defender role (identity-modes.md §6;
 * DD defender-xdr/api-create-app-user-context.md, api-list-incidents.md, api-update-incidents.md,
 * api-advanced-hunting.md; GD security-incident-update and security-runhuntingquery permission includes). The
 * README's "On behalf of the caller" table is checked against it.
 */
export const ENDPOINT_DELEGATED_PERMISSIONS: Readonly<Record<string, Record<ApiBackend, readonly Permission[]>>> = {
  listIncidents: { graph: [g('SecurityIncident.Read.All')], legacy: [l('Incident.Read')] },
  getIncident: { graph: [g('SecurityIncident.Read.All')], legacy: [l('Incident.Read')] },
  updateIncident: { graph: [g('SecurityIncident.ReadWrite.All')], legacy: [l('Incident.ReadWrite')] },
  runHuntingQuery: { graph: [g('ThreatHunting.Read.All')], legacy: [l('AdvancedHunting.Read')] },
};
