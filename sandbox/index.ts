// The offline Microsoft cloud sandbox: Entra ID, the App Service managed-identity endpoint, Key Vault, the Graph
// security API and the legacy Defender XDR API, over TLS on 127.0.0.1 with a CA generated at start.
// It shares no code with shared/: it is the other side of the wire.
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import {
  createClientCertificate,
  SANDBOX_CERTIFICATE_NAME,
  SANDBOX_FIC_NAME,
  SANDBOX_UAMI_CLIENT_ID,
  TOKEN_EXCHANGE_AUDIENCES,
  type ClientCertificateMaterial,
  type FederatedCredential,
} from './appKeys';
import { deviceCodeControl, deviceCodeRoutes, SANDBOX_CLI_CLIENT_ID, type DeviceCodeTiming } from './deviceCode';
import { entraRoutes } from './entra';
import type { FaultSpec } from './faults';
import { alertRoutes } from './alertsApi';
import { graphRoutes } from './graphApi';
import { indicatorRoutes, type StoredIndicator } from './indicatorsApi';
import { identityRoutes, type DirectoryUser, type RiskyUser } from './identityApi';
import type { HuntingTables } from './hunting';
import type { StoredIncident } from './incidents/model';
import { IncidentStore } from './incidents/store';
import { createSigningKey } from './jwt';
import { keyVaultRoutes } from './keyVault';
import { createSeedTables, SEED_ALERT_IDS, type KqlTable } from './kql';
import { legacyRoutes } from './legacyApi';
import { managedIdentityRoutes, objectIdFor } from './managedIdentity';
import { mdeRoutes } from './mdeApi';
import { MdeStore, seedMachines, type ActionOutcome, type SandboxAction, type SandboxMachine } from './mde/store';
import { DEFAULT_ROLES } from './resources';
import { newClientSecret } from './secrets';
import { createSeedIncidents } from './seed/incidents';
import { SANDBOX_CLIENT_ID, SANDBOX_SECRET_NAME, SANDBOX_TENANT_ID } from './seed/entities';
import { createDispatcher } from './server';
import { SandboxState, zeroCounters, type Counters, type HuntingQueryEntry, type RequestLogEntry } from './state';
import { createTlsMaterial } from './tls';
import { currentOf } from './tenants';
import { addSandboxTenant, scopedControl, type AddedTenant, type AddTenantOptions } from './tenantControl';
import {
  APP_ONLY_CALLER_OBJECT_ID,
  issueUserToken,
  SANDBOX_CALLER_APP_ID,
  type DefenderRole,
  type SandboxUser,
  type UserAuditEntry,
  type UserTokenOptions,
} from './users';
import { teamsRoutes, TeamsWebhooks, type TeamsDelivery } from './teamsWebhook';
import { callbackRoutes, CallbackReceivers, type CallbackDelivery } from './callbackReceiver';
import { jiraRoutes, JiraSite, type JiraIssue } from './jiraApi';
import {
  serviceNowRoutes,
  ServiceNowInstance,
  type ServiceNowCredentials,
  type ServiceNowRecord,
} from './serviceNowApi';

export type { FaultSpec, FaultTarget } from './faults';
export type { StoredIncident, StoredAlert, StoredEvidence, StoredComment } from './incidents/model';
export type { Counters, HuntingQueryEntry, RequestLogEntry } from './state';
export type { ActionOutcome, SandboxAction, SandboxMachine } from './mde/store';
export { PRIVILEGED_USER, type DirectoryUser, type RiskyUser } from './identityApi';
export type { TeamsDelivery } from './teamsWebhook';
export type { CallbackDelivery } from './callbackReceiver';
export type { JiraIssue, JiraComment } from './jiraApi';
export type { ServiceNowRecord, ServiceNowCredentials } from './serviceNowApi';
export type { StoredIndicator } from './indicatorsApi';
export type { AddedTenant, AddTenantOptions } from './tenantControl';
export type { FederatedCredential } from './appKeys';
export {
  issueUserToken,
  SANDBOX_CALLER_APP_ID,
  SANDBOX_USERS,
  type DefenderRole,
  type SandboxUser,
  type SandboxUserKey,
  type UserAuditEntry,
  type UserTokenOptions,
} from './users';

export interface SandboxOptions {
  /** HTTPS port, 0 = random (default 0). */
  port?: number;
  /** Plain-http managed-identity port, 0 = random (default 0). */
  miPort?: number;
  /** Where ca.crt is written (default: a fresh temp dir, removed on close). */
  dataDir?: string;
  /** Clock for tokens, timestamps and data (default () => new Date()). Quota windows use real elapsed time. */
  now?: () => Date;
  /** Multiplies every rate-limit window (1 = real: 60 s / 1 h); 0.05 makes 3-second "minutes". */
  rateLimitScale?: number;
  /** Enforce quotas (default true). */
  rateLimits?: boolean;
  /** Access token lifetime (default 3599). */
  tokenLifetimeSeconds?: number;
  /** Load seed incidents and hunting tables (default true). */
  seed?: boolean;
  /**
   * Standalone mode: keep the CA (`ca.crt` + `ca.key`) and the managed-identity header (`identity-header`) in dataDir
   * across restarts, so a Riposte configured once keeps working.
   */
  persistCa?: boolean;
  /** Real milliseconds a machine action takes from Pending to its outcome (default 1500; InProgress after a third). */
  machineActionMs?: number;
}

export interface SandboxControl {
  /** The app's valid client secret (also stored in Key Vault under secretName). */
  currentSecret(): string;
  /** New secret: Entra accepts only the new one (old → 7000215); Key Vault gets a new version. */
  rotateSecret(): string;
  /** Entra changes; Key Vault still holds the old value. */
  rotateSecretInEntraOnly(): string;
  /** Entra answers 7000222 for the current secret. */
  expireSecret(): void;
  /** Key Vault: disabled → 403 Forbidden/SecretDisabled. */
  setSecretEnabled(enabled: boolean): void;
  /** Key Vault: 404 SecretNotFound. */
  deleteSecret(): void;
  /** Roles put in future tokens (each API's token gets that API's roles). */
  setRoles(roles: string[]): void;
  /** Every token issued so far is now rejected with 401. */
  revokeTokens(): void;
  setRateLimits(on: boolean): void;
  /** Legacy `/api/incidents` emits `@odata.nextLink` (default off: UNCONFIRMED that the real API sends it). */
  setLegacyNextLink(on: boolean): void;
  /**
   * Graph runHuntingQuery's `schema` items: `{ name, type }` (default, as the page's Example 1) or `{ Name, Type }`
   * (as the page's other response and real answers show); clients must read both.
   */
  setGraphHuntingSchemaCase(casing: 'camel' | 'pascal'): void;
  /** Adds a fault; several may be active, the first matching one applies. */
  injectFaults(f: FaultSpec): void;
  clearFaults(): void;
  counters(): Counters;
  resetCounters(): void;
  /** Request log (no headers, no bodies, credential-like query parameters redacted). */
  requests(): RequestLogEntry[];
  /** Hunting query texts received (both APIs, up to the last 5000), oldest first: what bound input turned into. */
  huntingQueries(): HuntingQueryEntry[];
  /** Every access token minted so far (up to the last 5000), for tests that check tokens never leak. */
  issuedTokens(): string[];
  /** Current state, newest first (copies). */
  incidents(): ReadonlyArray<StoredIncident>;
  incident(id: string | number): StoredIncident | undefined;
  addIncident(partial?: Partial<StoredIncident>): StoredIncident;
  /** MDE indicators as stored (copies), expired ones included. */
  indicators(): StoredIndicator[];
  /** Stores an indicator as if another app or the portal had made it (fills what is left out). */
  addIndicator(
    partial: Partial<StoredIndicator> & Pick<StoredIndicator, 'indicatorValue' | 'indicatorType'>,
  ): StoredIndicator;
  setHuntingTables(tables: Map<string, KqlTable>): void;
  /** Defender for Endpoint devices, with the sandbox's view of their state (isolation, restriction). */
  machines(): SandboxMachine[];
  /** Machine actions, newest first, each brought up to date. */
  machineActions(): SandboxAction[];
  /** How actions on a device end from now on: Succeeded (default), Failed, TimeOut, Cancelled, or 'stuck' (InProgress). */
  setMachineActionOutcome(machineId: string, outcome: ActionOutcome | undefined): void;
  /** Real milliseconds a new machine action takes to finish. */
  setMachineActionMs(ms: number): void;
  /** An Entra user by object id or UPN (copy), and its Identity Protection risk (undefined: never risky). */
  user(ref: string): DirectoryUser | undefined;
  riskyUser(id: string): RiskyUser | undefined;
  /** Stores a Key Vault secret (a notification credential, a webhook URL) as a new version. */
  setSecret(name: string, value: string): void;
  /** A new Teams Workflows webhook on this sandbox: its URL, SAS signature included (a secret). */
  createTeamsWebhook(): string;
  /** Messages the Teams webhooks accepted (documented shape only), oldest first. */
  teamsDeliveries(): TeamsDelivery[];
  /** A new approval callback endpoint on this sandbox (its URL is a secret), and what it received, oldest first. */
  createCallback(): string;
  callbackDeliveries(): CallbackDelivery[];
  /** A Jira issue on the sandbox's Jira site (REST API v3 comments at `url`). */
  addJiraIssue(key: string): JiraIssue;
  jiraIssue(key: string): JiraIssue | undefined;
  /** The one account the Jira site accepts (Basic email:API token). */
  jiraCredentials(): { email: string; apiToken: string };
  /** A new API token: the old one is refused (401) from now on. @returns the new credentials. */
  rotateJiraToken(): { email: string; apiToken: string };
  /** A record on the sandbox's ServiceNow instance (Table API at `url`). */
  addServiceNowRecord(o?: { number?: string; table?: string }): ServiceNowRecord;
  serviceNowRecord(sysId: string): ServiceNowRecord | undefined;
  /** The one user (Basic) and OAuth client the instance accepts. */
  serviceNowCredentials(): ServiceNowCredentials;
  /** OAuth token requests the instance answered. */
  serviceNowTokenRequests(): number;
  /**
   * The client certificate in Key Vault (CLIENT_CERTIFICATE_NAME = certificateName): its PEM (key + certificate, a
   * secret) and SHA-1 thumbprint. Registered on the app at start.
   */
  currentCertificate(): { pem: string; thumbprint: string };
  /**
   * Renews the certificate: a new key pair and certificate as a new Key Vault version. By default Entra ID then
   * knows only the new one (the old one was removed from the app: AADSTS700027 for it); `keepOld` leaves both
   * registered, `registerNew: false` leaves the new one unregistered (rejected too).
   */
  rotateCertificate(o?: { keepOld?: boolean; registerNew?: boolean }): Promise<{ pem: string; thumbprint: string }>;
  /** Adds a certificate's public part (PEM) to the app registration; @returns its thumbprint. */
  registerCertificate(certPem: string): string;
  /** Removes a certificate from the app registration (by SHA-1 thumbprint). */
  unregisterCertificate(thumbprint: string): boolean;
  /** Stores any value as the certificate's secret (a new version), e.g. a PKCS#12 blob. */
  setCertificateSecret(value: string, contentType?: string): void;
  /** The app's federated identity credentials (copies). */
  federatedCredentials(): FederatedCredential[];
  /** Adds (or replaces by name) a federated identity credential on the app. */
  addFederatedCredential(fic: FederatedCredential): void;
  removeFederatedCredential(name: string): boolean;
  /** A managed identity's principal (object) id: the `sub` of its tokens, a FIC's subject. */
  managedIdentityPrincipalId(clientId: string): string;
  /** Device code sign-in (`riposte run --user`): interval, expiry and slow_down threshold, in seconds. */
  setDeviceCodeTiming(timing: Partial<DeviceCodeTiming>): void;
  /** Forgets every device code issued so far: the next poll for one is answered bad_verification_code. */
  forgetDeviceCodes(): void;
  /** The sandbox tenant's analysts (sandbox/users.ts), with their current Defender role. */
  users(): SandboxUser[];
  /** A delegated user token for a seeded user (`analyst`, `reader`, `outsider`), an oid or a UPN. */
  userToken(user: string, options: UserTokenOptions): string;
  /**
   * Signing-key rollover: new tokens are signed with a new key (new kid); the JWKS document lists both. The APIs
   * accept only the new key's tokens from then on.
   */
  rotateSigningKey(): Promise<void>;
  /** An app-only token for any audience (e.g. Riposte's API), as a daemon with client credentials would hold. */
  appOnlyToken(audience: string, appId?: string): string;
  /** Changes a user's own Defender role (`none`: every delegated call denied, `reader`: reads only). */
  setUserRole(user: string, role: DefenderRole): void;
  /** Withdraws (or restores) a user's consent to a client app: the on-behalf-of grant answers consent_required. */
  setUserConsent(user: string, clientAppId: string, consented: boolean): void;
  /**
   * A conditional access policy requiring MFA for the downstream API: the user's on-behalf-of exchange answers
   * interaction_required (AADSTS50079) with a claims challenge until this is turned off.
   */
  setUserMfaRequired(user: string, required: boolean): void;
  /** Delegated calls the APIs let through, oldest first: who acted, through which app, on what. */
  userAudit(): UserAuditEntry[];
  /**
   * Adds a customer tenant (tenantControl.ts): its own tenant id, app registration and secret (in this Key Vault),
   * data, roles, quota and counters. Requests naming it (token path, token `tid`) act there only.
   */
  addTenant(o?: AddTenantOptions): AddedTenant;
  /** This control with every function acting in `tenantId` (the home tenant's id gives the home tenant). */
  tenant(tenantId: string): SandboxControl;
  /**
   * Back to seed state: secrets, roles, revocations, incidents, tables, quotas, faults, counters, log and queries;
   * added tenants are removed.
   */
  reset(): void;
}

export interface Sandbox {
  /** https://127.0.0.1:PORT: Entra, Key Vault (/secrets), Graph (/v1.0) and legacy (/api), routed by path. */
  readonly url: string;
  readonly authorityHost: string;
  readonly vaultUrl: string;
  readonly graphBaseUrl: string;
  readonly legacyBaseUrl: string;
  /** The Defender for Endpoint API root (paths under /api/machines, /api/machineactions). */
  readonly mdeBaseUrl: string;
  /** http://127.0.0.1:MIPORT/msi/token (App Service MI protocol, api-version 2019-08-01). */
  readonly identityEndpoint: string;
  readonly identityHeader: string;
  readonly caPem: string;
  readonly caFile: string;
  readonly tenantId: string;
  readonly clientId: string;
  /** The sandbox tenant's public client app for the CLI's device code sign-in (`riposte run --user`). */
  readonly cliClientId: string;
  readonly secretName: string;
  /** The Key Vault certificate of CREDENTIAL_SOURCE keyVaultCertificate (CLIENT_CERTIFICATE_NAME). */
  readonly certificateName: string;
  /** The user-assigned identity the app trusts as a federated credential (MANAGED_IDENTITY_CLIENT_ID). */
  readonly uamiClientId: string;
  /** Env settings that point Riposte at this sandbox. */
  settings(api?: 'graph' | 'legacy'): Record<string, string>;
  readonly control: SandboxControl;
  close(): Promise<void>;
}

/** Client id of the Function App's system-assigned managed identity in the sandbox. */
export const SYSTEM_IDENTITY_CLIENT_ID = '2b7c4e91-6d0a-4f3b-9e58-c1a7d2f4b608';

function listen(server: http.Server, port: number): Promise<number> {
  return new Promise((resolvePort, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => {
      server.off('error', reject);
      resolvePort((server.address() as AddressInfo).port);
    });
  });
}

/** A random value kept in `file` (created on first use). */
function persistedValue(file: string): string {
  if (existsSync(file)) {
    const value = readFileSync(file, 'utf8').trim();
    if (/^[0-9a-f]{32}$/.test(value)) return value;
  }
  const value = randomBytes(16).toString('hex');
  writeFileSync(file, value, { mode: 0o600 });
  return value;
}

function closeServer(server: http.Server): Promise<void> {
  return new Promise((done) => {
    server.close(() => done());
    server.closeAllConnections();
  });
}

export async function startSandbox(options: SandboxOptions = {}): Promise<Sandbox> {
  const now = options.now ?? (() => new Date());
  const seed = options.seed ?? true;
  const scale = options.rateLimitScale ?? 1;
  if (!(scale > 0)) throw new RangeError('rateLimitScale must be greater than 0');
  const ownDataDir = options.dataDir === undefined;
  const dataDir = options.dataDir ? resolve(options.dataDir) : mkdtempSync(join(tmpdir(), 'riposte-sandbox-'));
  mkdirSync(dataDir, { recursive: true });

  const [tls, key, initialCertificate] = await Promise.all([
    createTlsMaterial(now(), options.persistCa ? dataDir : undefined),
    createSigningKey(),
    createClientCertificate(now()),
  ]);
  const caFile = join(dataDir, 'ca.crt');
  writeFileSync(caFile, tls.caPem);
  if (options.persistCa) writeFileSync(join(dataDir, 'ca.key'), tls.caKeyPem, { mode: 0o600 });

  const seedIncidents = (): StoredIncident[] => (seed ? createSeedIncidents(now(), SEED_ALERT_IDS) : []);
  const seedTables = (): HuntingTables => (seed ? createSeedTables(now()) : new Map());
  const initialSecret = newClientSecret();
  const identityHeader = options.persistCa
    ? persistedValue(join(dataDir, 'identity-header'))
    : randomBytes(16).toString('hex');
  const state = new SandboxState({
    tenantId: SANDBOX_TENANT_ID,
    clientId: SANDBOX_CLIENT_ID,
    secretName: SANDBOX_SECRET_NAME,
    systemIdentityClientId: SYSTEM_IDENTITY_CLIENT_ID,
    identityHeader,
    now,
    tokenLifetimeSeconds: options.tokenLifetimeSeconds ?? 3599,
    rateLimitScale: scale,
    rateLimits: options.rateLimits ?? true,
    key,
    initialSecret,
    incidents: new IncidentStore(seedIncidents()),
    huntingTables: seedTables(),
    mde: new MdeStore(seed ? seedMachines(now()) : [], options.machineActionMs ?? 1500, now),
  });
  const initialVersion = state.vault.set(state.secretName, initialSecret, state.nowSeconds()).version;
  let certificate: ClientCertificateMaterial = initialCertificate;
  const storeCertificate = (c: ClientCertificateMaterial, version?: string): void => {
    state.vault.set(SANDBOX_CERTIFICATE_NAME, c.pem, state.nowSeconds(), {
      contentType: 'application/x-pem-file',
      managed: true,
      ...(version ? { version } : {}),
    });
  };
  const initialCertVersion = randomBytes(16).toString('hex');

  const teams = new TeamsWebhooks();
  const callbacks = new CallbackReceivers();
  const jira = new JiraSite();
  const serviceNow = new ServiceNowInstance();
  const main = createDispatcher(
    state,
    [
      ...teamsRoutes(teams, now),
      ...callbackRoutes(callbacks, now),
      ...jiraRoutes(jira, now),
      ...serviceNowRoutes(serviceNow, now),
      ...entraRoutes(state),
      ...deviceCodeRoutes(state),
      ...keyVaultRoutes(state),
      ...graphRoutes(state),
      ...alertRoutes(state),
      ...mdeRoutes(state),
      ...identityRoutes(
        state,
        currentOf(() => state.directory),
      ),
      ...legacyRoutes(state),
      ...indicatorRoutes(
        state,
        currentOf(() => state.indicators),
        { api: 'mde' },
      ),
    ],
    () => state.url,
  );
  let miOrigin = '';
  const mi = createDispatcher(state, managedIdentityRoutes(state), () => miOrigin);
  const httpsServer = https.createServer({ key: tls.keyPem, cert: tls.certPem }, (req, res) => main.handle(req, res));
  // Microsoft's front ends keep an idle connection for minutes; Node's 5 s default closes it just as a client with a
  // keep-alive agent reuses it after a pause, and that request dies with ECONNRESET (a flake no real API causes).
  httpsServer.keepAliveTimeout = 120_000;
  httpsServer.headersTimeout = 121_000;
  const miServer = http.createServer((req, res) => mi.handle(req, res));
  const port = await listen(httpsServer, options.port ?? 0);
  let miPort: number;
  try {
    miPort = await listen(miServer, options.miPort ?? 0);
  } catch (e) {
    await closeServer(httpsServer);
    throw e;
  }
  const url = `https://127.0.0.1:${port}`;
  state.url = url;
  miOrigin = `http://127.0.0.1:${miPort}`;
  const identityEndpoint = `${miOrigin}/msi/token`;
  // The app's credentials at start: the client secret above, the certificate, and the UAMI as a federated credential.
  const seedAppKeys = (): void => {
    state.appKeys.clear();
    certificate = initialCertificate;
    storeCertificate(initialCertificate, initialCertVersion);
    state.appKeys.registerCertificate(initialCertificate.certPem);
    state.appKeys.addFederatedCredential({
      name: SANDBOX_FIC_NAME,
      issuer: state.issuer(),
      subject: objectIdFor(SANDBOX_UAMI_CLIENT_ID),
      audiences: [TOKEN_EXCHANGE_AUDIENCES[0]],
    });
  };
  seedAppKeys();

  const deviceCodes = deviceCodeControl(state);
  const control: SandboxControl = {
    setDeviceCodeTiming: (t) => deviceCodes.setTiming(t),
    forgetDeviceCodes: () => deviceCodes.forgetCodes(),
    currentSecret: () => state.app.current(),
    rotateSecret: () => {
      const value = state.app.rotate();
      state.vault.set(state.secretName, value, state.nowSeconds());
      return value;
    },
    rotateSecretInEntraOnly: () => state.app.rotate(),
    expireSecret: () => state.app.expire(),
    setSecretEnabled: (enabled) => {
      state.vault.setEnabled(state.secretName, enabled, state.nowSeconds());
    },
    deleteSecret: () => {
      state.vault.delete(state.secretName);
    },
    setRoles: (roles) => {
      state.roles = [...roles];
    },
    revokeTokens: () => state.revokeAll(),
    currentCertificate: () => ({ pem: certificate.pem, thumbprint: certificate.thumbprint }),
    rotateCertificate: async (o = {}) => {
      const old = certificate;
      certificate = await createClientCertificate(now());
      storeCertificate(certificate);
      if (o.registerNew !== false) state.appKeys.registerCertificate(certificate.certPem);
      if (!o.keepOld) state.appKeys.unregisterCertificate(old.thumbprint);
      return { pem: certificate.pem, thumbprint: certificate.thumbprint };
    },
    registerCertificate: (certPem) => state.appKeys.registerCertificate(certPem),
    unregisterCertificate: (thumbprint) => state.appKeys.unregisterCertificate(thumbprint),
    setCertificateSecret: (value, contentType) => {
      state.vault.set(SANDBOX_CERTIFICATE_NAME, value, state.nowSeconds(), { contentType, managed: true });
    },
    federatedCredentials: () => structuredClone(state.appKeys.federated),
    addFederatedCredential: (fic) => state.appKeys.addFederatedCredential(fic),
    removeFederatedCredential: (name) => state.appKeys.removeFederatedCredential(name),
    managedIdentityPrincipalId: (clientId) => objectIdFor(clientId.toLowerCase()),
    setRateLimits: (on) => {
      state.rateLimitsOn = on;
    },
    setLegacyNextLink: (on) => {
      state.legacyNextLink = on;
    },
    setGraphHuntingSchemaCase: (casing) => {
      state.graphHuntingSchemaCase = casing;
    },
    injectFaults: (f) => state.faults.add(f),
    clearFaults: () => state.faults.clear(),
    counters: () => structuredClone(state.counters),
    resetCounters: () => {
      state.counters = zeroCounters();
    },
    requests: () => state.log.map((e) => ({ ...e })),
    huntingQueries: () => state.huntingQueries.map((e) => ({ ...e })),
    issuedTokens: () => [...state.issuedTokens],
    incidents: () => state.incidents.list().map((i) => structuredClone(i)),
    incident: (id) => {
      const found = state.incidents.get(Number(id));
      return found ? structuredClone(found) : undefined;
    },
    addIncident: (partial = {}) => structuredClone(state.incidents.add(partial, now())),
    indicators: () => state.indicators.list().map((i) => structuredClone(i)),
    addIndicator: (partial) => {
      const at = now().toISOString();
      return structuredClone(
        state.indicators.put({
          action: 'Block',
          application: null,
          source: 'Portal',
          sourceType: 'User',
          createdBy: 'analyst@contoso.com',
          createdBySource: 'analyst@contoso.com',
          title: 'Added in the portal',
          description: 'Added in the portal',
          recommendedActions: null,
          severity: null,
          generateAlert: false,
          expirationTime: null,
          creationTimeDateTimeUtc: at,
          lastUpdateTime: at,
          lastUpdatedBy: 'analyst@contoso.com',
          rbacGroupNames: [],
          educateUrl: null,
          ...partial,
        }),
      );
    },
    setHuntingTables: (tables) => {
      state.huntingTables = tables;
    },
    machines: () => {
      state.mde.list();
      return state.mde.machines.map((m) => structuredClone(m));
    },
    machineActions: () => state.mde.list(),
    setMachineActionOutcome: (machineId, outcome) => state.mde.setOutcome(machineId, outcome),
    setMachineActionMs: (ms) => {
      state.mde.completionMs = ms;
    },
    user: (ref) => {
      const u = state.directory.find(ref);
      return u ? structuredClone(u) : undefined;
    },
    riskyUser: (id) => {
      const r = state.directory.risky.get(id.toLowerCase());
      return r ? structuredClone(r) : undefined;
    },
    setSecret: (name, value) => {
      state.vault.set(name, value, state.nowSeconds());
    },
    createTeamsWebhook: () => teams.create(url),
    teamsDeliveries: () => structuredClone(teams.deliveries),
    createCallback: () => callbacks.create(url),
    callbackDeliveries: () => structuredClone(callbacks.deliveries),
    addJiraIssue: (key) => structuredClone(jira.addIssue(key)),
    jiraIssue: (key) => structuredClone(jira.find(key)),
    jiraCredentials: () => ({ ...jira.credentials }),
    rotateJiraToken: () => {
      jira.credentials = { ...jira.credentials, apiToken: randomBytes(12).toString('hex') };
      return { ...jira.credentials };
    },
    addServiceNowRecord: (o = {}) => structuredClone(serviceNow.addRecord(o)),
    serviceNowRecord: (sysId) => structuredClone(serviceNow.records.get(sysId)),
    serviceNowCredentials: () => ({ ...serviceNow.credentials }),
    serviceNowTokenRequests: () => serviceNow.tokenRequests,
    users: () => state.users.list(),
    userToken: (ref, opts) => {
      const u = state.users.find(ref);
      if (!u) throw new Error(`no sandbox user ${ref}`);
      return issueUserToken(state, u, opts).token;
    },
    rotateSigningKey: async () => {
      const next = await createSigningKey();
      state.retiredKeys.push(state.key);
      state.key = next;
    },
    appOnlyToken: (audience, appId = SANDBOX_CALLER_APP_ID) =>
      state.mintToken(audience, appId, APP_ONLY_CALLER_OBJECT_ID, ['Incidents.Run']).token,
    setUserRole: (ref, role) => state.users.setRole(ref, role),
    setUserConsent: (ref, appId, consented) => state.users.setConsent(ref, appId, consented),
    setUserMfaRequired: (ref, required) => state.users.setMfaRequired(ref, required),
    userAudit: () => state.users.audit.map((e) => ({ ...e })),
    addTenant: (o) =>
      addSandboxTenant(
        state,
        {
          incidents: seedIncidents,
          tables: seedTables,
          mde: () => new MdeStore(seed ? seedMachines(now()) : [], options.machineActionMs ?? 1500, now),
        },
        o,
      ),
    tenant: (tenantId) => scopedControl(state, control, tenantId),
    reset: () => {
      state.tenants.others.clear();
      state.users.reset();
      teams.reset();
      callbacks.reset();
      jira.reset();
      serviceNow.reset();
      state.app.restore(initialSecret);
      state.vault.clear();
      state.vault.set(state.secretName, initialSecret, state.nowSeconds(), { version: initialVersion });
      seedAppKeys();
      state.roles = [...DEFAULT_ROLES];
      state.clearRevocations();
      state.faults.clear();
      state.limiter.reset();
      state.rateLimitsOn = options.rateLimits ?? true;
      state.legacyNextLink = false;
      state.graphHuntingSchemaCase = 'camel';
      state.incidents.replaceAll(seedIncidents());
      state.indicators.clear();
      state.directory.reset();
      state.huntingTables = seedTables();
      state.mde.reset(seed ? seedMachines(now()) : [], options.machineActionMs ?? 1500);
      state.counters = zeroCounters();
      state.log = [];
      state.huntingQueries = [];
      deviceCodes.reset();
    },
  };

  let closing: Promise<void> | undefined;
  return {
    url,
    authorityHost: url,
    vaultUrl: url,
    graphBaseUrl: `${url}/v1.0`,
    legacyBaseUrl: url,
    mdeBaseUrl: url,
    identityEndpoint,
    identityHeader: state.identityHeader,
    caPem: tls.caPem,
    caFile,
    tenantId: state.tenantId,
    clientId: state.clientId,
    cliClientId: SANDBOX_CLI_CLIENT_ID,
    secretName: state.secretName,
    certificateName: SANDBOX_CERTIFICATE_NAME,
    uamiClientId: SANDBOX_UAMI_CLIENT_ID,
    settings: (api = 'graph') => ({
      TENANT_ID: state.tenantId,
      CLIENT_ID: state.clientId,
      KEY_VAULT_URL: url,
      CLIENT_SECRET_NAME: state.secretName,
      DEFENDER_API: api,
      AUTHORITY_HOST: url,
      DEFENDER_API_BASE_URL: api === 'graph' ? `${url}/v1.0` : url,
      // Graph is called whatever DEFENDER_API says (alert and identity steps); on graph DEFENDER_API_BASE_URL is it.
      ...(api === 'legacy' ? { GRAPH_API_BASE_URL: `${url}/v1.0` } : {}),
      MDE_API_BASE_URL: url,
      KEY_VAULT_CHALLENGE_VERIFICATION: 'false',
      TLS_CA_FILE: caFile,
      IDENTITY_ENDPOINT: identityEndpoint,
      IDENTITY_HEADER: state.identityHeader,
      RATE_LIMIT_WINDOW_SCALE: String(scale),
      // The notification receivers on this host (Teams webhooks are per URL, in Key Vault).
      JIRA_BASE_URL: url,
      SERVICENOW_BASE_URL: url,
    }),
    control,
    close: () => {
      closing ??= (async () => {
        main.shutdown();
        mi.shutdown();
        await Promise.all([closeServer(httpsServer), closeServer(miServer)]);
        if (ownDataDir) rmSync(dataDir, { recursive: true, force: true });
      })();
      return closing;
    },
  };
}
