// Settings are read and validated here, once, and handed down; nothing else reads process.env.
// Every problem is collected and reported together, by setting name only: values are never printed.
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import {
  API_TARGETS,
  apiTargetBaseUrl,
  apiTargetScope,
  authorityHostFor,
  CLOUDS,
  normaliseApiBaseUrl,
  type ApiTarget,
  type Cloud,
} from './clouds';
import { CREDENTIAL_SOURCES, type CredentialSourceKind } from './credentials/credentialSource';
import type { ApiBackend } from './defender/types';
import { loadCallerAuthConfig, type CallerAuthConfig } from './auth/callerAuthConfig';
import { ConfigError } from './errors';
import { parseTenantQuota, TENANT_QUOTA_FIELDS, type TenantQuota } from './quota/tenantQuota';
import { parseTenantRegistry, type TenantRegistry } from './tenants/registry';

export interface RateLimitWindow {
  limit: number;
  windowMs: number;
}

export interface QuotaAllowance {
  hunting: RateLimitWindow[];
  incidents: RateLimitWindow[];
  alerts: RateLimitWindow[];
  indicators: RateLimitWindow[];
  identity: RateLimitWindow[];
  riskyUsers: RateLimitWindow[];
  machineActions: RateLimitWindow[];
}

/** Where one API lives and the token scope it takes. */
export interface ApiEndpoint {
  baseUrl: string;
  scope: string;
}

export interface AppConfig {
  /** How the HTTP API endpoints authenticate callers, and what a caller's bearer token must be (shared/auth). */
  callerAuth: CallerAuthConfig;
  tenantId: string;
  clientId: string;
  keyVaultUrl: string;
  /** Key Vault secret with the client secret (CREDENTIAL_SOURCE keyVaultSecret); '' for the other sources. */
  clientSecretName: string;
  /** How the app registration proves itself to Entra ID (CREDENTIAL_SOURCE; default keyVaultSecret). */
  credentialSource: CredentialSourceKind;
  /** Key Vault certificate (PEM content type) for CREDENTIAL_SOURCE keyVaultCertificate; undefined otherwise. */
  clientCertificateName: string | undefined;
  api: ApiBackend;
  cloud: Cloud;
  /** Client id of a user-assigned managed identity; undefined means system-assigned. */
  managedIdentityClientId: string | undefined;
  authorityHost: string;
  /** True when AUTHORITY_HOST points somewhere other than the cloud's login host (sandbox, private authority). */
  customAuthority: boolean;
  /** The incident backend's (DEFENDER_API's) base URL and scope: `apis[api]`. */
  apiBaseUrl: string;
  apiScope: string;
  /**
   * Every API's base URL and token scope for the cloud: Graph (always, whatever DEFENDER_API says), the legacy
   * Defender XDR API, and the Defender for Endpoint API (machine actions). Each gets its own DefenderHttp in deps.
   */
  apis: Readonly<Record<ApiTarget, Readonly<ApiEndpoint>>>;
  keyVaultChallengeVerification: boolean;
  /** Extra CA certificate file trusted by every outbound client (the sandbox's generated CA). */
  tlsCaFile: string | undefined;
  secretCacheTtlMs: number;
  requestTimeoutMs: number;
  huntingTimeoutMs: number;
  /** Retries per Defender call in a synchronous HTTP invocation (MAX_RETRIES). */
  maxRetries: number;
  /** Retries per Defender call in queued and scheduled work and the CLI: enough to ride out a 10 s outage. */
  backgroundMaxRetries: number;
  /** An HTTP invocation stops retrying so it answers (503 + Retry-After) this long after the request arrived. */
  httpDeadlineMs: number;
  /**
   * Leases on pending writes, scheduled windows and running requests: renewed every third of this while their
   * holder works, so a holder that died holds them up no longer than this (LEASE_SECONDS, at most 60).
   */
  leaseMs: number;
  maxRetryAfterMs: number;
  /**
   * The allowance of the tenant in TENANT_ID per API family (QUOTA_* settings, or its QUOTA_PER_TENANT entry),
   * time-scaled by RATE_LIMIT_WINDOW_SCALE: what the shared quota and the per-process limiter hand out.
   */
  rateLimits: QuotaAllowance;
  /**
   * The tenants this deployment acts in (TENANTS; shared/tenants/registry.ts). Without the setting: the one tenant
   * of TENANT_ID/CLIENT_ID, key 'default', and `explicit` false.
   */
  tenants: TenantRegistry;
  /** The QUOTA_* settings (time-scaled), and QUOTA_PER_TENANT's allowances by tenant id (lower case). */
  quota: { default: QuotaAllowance; perTenant: Readonly<Record<string, QuotaAllowance>> };
  /** Folder holding the security team's content: queries/, workflows/, mappings/. */
  contentDir: string;
  /** Storage for state, deliveries and the ticket-event queue (AzureWebJobsStorage); needed by workflows and webhooks. */
  storageConnectionString: string | undefined;
  /**
   * Identity-based storage (AzureWebJobsStorage__accountName, as the Functions host reads it): used with the managed
   * identity when no connection string is set.
   */
  storageAccountName: string | undefined;
  /** Global dry run: write steps report the change they would make and make none. */
  dryRun: boolean;
  /** Word in the marker that ends every comment Riposte writes (`[riposte:ab12cd34]`). */
  markerText: string;
  ticketEventsQueue: string;
  /** Queue of workflow runs answered 202 over HTTP and continued in the background (WORKFLOW_RUNS_QUEUE). */
  workflowRunsQueue: string;
  /** Queue of later checks of device actions still open when their step ended (DEVICE_ACTIONS_QUEUE). */
  deviceActionsQueue: string;
  /** The first later check of an open device action comes this long after its step (then backs off to an hour). */
  deviceActionCheckMs: number;
  /** How long an asynchronous run's report stays readable at its status URL after its last change. */
  runReportRetentionMs: number;
  /** The app's own base URL (publicBaseUrl below); undefined when WEBSITE_HOSTNAME is not set. */
  publicBaseUrl: string | undefined;
  /** Workflow that applies ticket events from the queue. */
  ticketSyncWorkflow: string;
  /** Must equal host.json extensions.queues.maxDequeueCount: the last attempt writes the reason to the poison queue. */
  queueMaxDequeueCount: number;
  webhookMaxBodyBytes: number;
  webhookToleranceSeconds: number;
  /** Webhook secrets given as settings (WEBHOOK_SECRET_<SOURCE>[_PREVIOUS]); when none is set they come from Key Vault. */
  webhookSecretSettings: Readonly<Record<string, string>>;
  /** Notifications and ticket write-back (shared/notify): where, which Key Vault secrets, and their quotas. */
  notify: NotifyConfig;
  /** The approval gate's defaults (shared/approval; README "Approval before destructive actions"). */
  approval: ApprovalConfig;
}

export interface ApprovalConfig {
  /** How long an approver has when the step's `approval:` sets no expiresIn (APPROVAL_EXPIRY_MINUTES). */
  expiresInMs: number;
  /** Key Vault secret holding the Teams Workflows webhook URL approval cards go to; undefined: no card by default. */
  teamsSecretName: string | undefined;
  /** Key Vault secret holding the HTTPS URL approval requests are POSTed to; undefined: no callback by default. */
  callbackSecretName: string | undefined;
  /** Key Vault secret holding the link-signing key (≥ 32 bytes, base64); undefined: generated once, kept in storage. */
  signingSecretName: string | undefined;
}

/** Settings of the Teams, Jira and ServiceNow targets (README "Notify and write back"). */
export interface NotifyConfig {
  /** Key Vault secret holding the Teams Workflows webhook URL (it carries a SAS signature). */
  teamsWebhookSecretName: string;
  /** https://<site>.atlassian.net; undefined: Jira comments are not configured. */
  jiraBaseUrl: string | undefined;
  /** Key Vault secret holding `{"email": "...", "apiToken": "..."}`. */
  jiraSecretName: string;
  /** https://<instance>.service-now.com; undefined: ServiceNow work notes are not configured. */
  serviceNowBaseUrl: string | undefined;
  /** Key Vault secret holding `{"username","password"}`, plus `clientId`/`clientSecret` for OAuth. */
  serviceNowSecretName: string;
  /** Client-side quota per target (time-scaled): shared/notify/notifyLimits.ts. */
  allowance: { teams: RateLimitWindow[]; jira: RateLimitWindow[]; servicenow: RateLimitWindow[] };
}

export type Env = Record<string, string | undefined>;

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Every setting the code reads, for the sample settings file, the docs and the deployment template check. */
export const SETTINGS = [
  'TENANT_ID',
  'CLIENT_ID',
  'KEY_VAULT_URL',
  'CLIENT_SECRET_NAME',
  'CREDENTIAL_SOURCE',
  'CLIENT_CERTIFICATE_NAME',
  'DEFENDER_API',
  'DEFENDER_CLOUD',
  'MANAGED_IDENTITY_CLIENT_ID',
  'AUTHORITY_HOST',
  'DEFENDER_API_BASE_URL',
  'GRAPH_API_BASE_URL',
  'MDE_API_BASE_URL',
  'MDE_API_SCOPE',
  'KEY_VAULT_CHALLENGE_VERIFICATION',
  'TLS_CA_FILE',
  'SECRET_CACHE_TTL_SECONDS',
  'REQUEST_TIMEOUT_SECONDS',
  'HUNTING_TIMEOUT_SECONDS',
  'MAX_RETRIES',
  'BACKGROUND_MAX_RETRIES',
  'HTTP_DEADLINE_SECONDS',
  'MAX_RETRY_AFTER_SECONDS',
  'LEASE_SECONDS',
  'RATE_LIMIT_WINDOW_SCALE',
  'QUOTA_INCIDENTS_PER_MINUTE',
  'QUOTA_INCIDENTS_PER_HOUR',
  'QUOTA_HUNTING_PER_MINUTE',
  'QUOTA_HUNTING_PER_HOUR',
  'QUOTA_ALERTS_PER_MINUTE',
  'QUOTA_ALERTS_PER_HOUR',
  'QUOTA_INDICATORS_PER_MINUTE',
  'QUOTA_INDICATORS_PER_HOUR',
  'QUOTA_IDENTITY_PER_MINUTE',
  'QUOTA_IDENTITY_PER_HOUR',
  'QUOTA_RISKYUSERS_PER_MINUTE',
  'QUOTA_RISKYUSERS_PER_HOUR',
  'QUOTA_MACHINE_ACTIONS_PER_MINUTE',
  'QUOTA_MACHINE_ACTIONS_PER_HOUR',
  'QUOTA_PER_TENANT',
  'TENANTS',
  'CONTENT_DIR',
  'AzureWebJobsStorage',
  'AzureWebJobsStorage__accountName',
  'DRY_RUN',
  'MARKER_TEXT',
  'TICKET_EVENTS_QUEUE',
  'WORKFLOW_RUNS_QUEUE',
  'RUN_REPORT_RETENTION_HOURS',
  'DEVICE_ACTIONS_QUEUE',
  'DEVICE_ACTION_CHECK_SECONDS',
  'TICKET_SYNC_WORKFLOW',
  'QUEUE_MAX_DEQUEUE_COUNT',
  'WEBHOOK_MAX_BODY_BYTES',
  'WEBHOOK_TOLERANCE_SECONDS',
  'WEBHOOK_SECRET_JIRA',
  'WEBHOOK_SECRET_JIRA_PREVIOUS',
  'WEBHOOK_SECRET_SERVICENOW',
  'WEBHOOK_SECRET_SERVICENOW_PREVIOUS',
  'WEBHOOK_SECRET_GENERIC',
  'WEBHOOK_SECRET_GENERIC_PREVIOUS',
  'WEBSITE_HOSTNAME',
  'TEAMS_WEBHOOK_SECRET_NAME',
  'APPROVAL_EXPIRY_MINUTES',
  'APPROVAL_TEAMS_SECRET_NAME',
  'APPROVAL_CALLBACK_SECRET_NAME',
  'APPROVAL_SIGNING_SECRET_NAME',
  'JIRA_BASE_URL',
  'JIRA_SECRET_NAME',
  'SERVICENOW_BASE_URL',
  'SERVICENOW_SECRET_NAME',
  'QUOTA_JIRA_PER_MINUTE',
  'QUOTA_SERVICENOW_PER_HOUR',
  'HTTP_AUTH_MODE',
  'API_CLIENT_ID',
  'API_ALLOWED_TENANTS',
  'API_REQUIRED_SCOPE',
  'WEBSITE_AUTH_ENABLED',
] as const;

export type SettingName = (typeof SETTINGS)[number];

/**
 * Settings a deployment to Azure leaves unset, with the reason: overrides that point the code at the sandbox (or a
 * private cloud), the local content folder, the connection-string form of storage, and secrets that belong in Key
 * Vault. The deployment template check (test/deploy) sets every other setting in SETTINGS.
 */
export const UNSET_IN_AZURE: Readonly<Partial<Record<SettingName, string>>> = {
  AUTHORITY_HOST: 'sandbox or private authority only',
  DEFENDER_API_BASE_URL: 'sandbox only: the API host follows DEFENDER_CLOUD and DEFENDER_API',
  GRAPH_API_BASE_URL: 'sandbox only: the Graph host follows DEFENDER_CLOUD',
  MDE_API_BASE_URL: 'sandbox or a regional host only: the Defender for Endpoint API host follows DEFENDER_CLOUD',
  MDE_API_SCOPE: 'only where the government clouds need another audience than the default (UNCONFIRMED in the docs)',
  KEY_VAULT_CHALLENGE_VERIFICATION: 'sandbox only: its vault host is 127.0.0.1',
  TLS_CA_FILE: "sandbox only: its generated CA; Azure's hosts use public CAs",
  RATE_LIMIT_WINDOW_SCALE: 'sandbox and tests only: shrinks the quota windows',
  TENANTS: 'only for several customer tenants from one deployment (README "Several tenants")',
  QUOTA_PER_TENANT: 'only for tenants whose allowance differs from the QUOTA_* settings (docs/operations.md)',
  CONTENT_DIR: 'local runs only: the deployed package holds queries/, workflows/ and mappings/',
  AzureWebJobsStorage: 'replaced by the identity-based AzureWebJobsStorage__accountName (no account key)',
  WEBHOOK_SECRET_JIRA: 'read from Key Vault (webhook-secret-jira) instead of a setting',
  WEBHOOK_SECRET_JIRA_PREVIOUS: 'read from Key Vault (webhook-secret-jira-previous)',
  WEBHOOK_SECRET_SERVICENOW: 'read from Key Vault (webhook-secret-servicenow)',
  WEBHOOK_SECRET_SERVICENOW_PREVIOUS: 'read from Key Vault (webhook-secret-servicenow-previous)',
  WEBHOOK_SECRET_GENERIC: 'read from Key Vault (webhook-secret-generic)',
  WEBHOOK_SECRET_GENERIC_PREVIOUS: 'read from Key Vault (webhook-secret-generic-previous)',
  WEBSITE_HOSTNAME: "set by App Service itself to the app's default host name",
  APPROVAL_TEAMS_SECRET_NAME: 'optional: set it to post approval cards to a Teams channel by default',
  APPROVAL_CALLBACK_SECRET_NAME: 'optional: set it to POST approval requests to an HTTPS callback by default',
  APPROVAL_SIGNING_SECRET_NAME: 'optional: without it the link-signing key is generated once and kept in storage',
  HTTP_AUTH_MODE:
    'optional: functionKey (the default) unless callers send Entra ID tokens (README, "On behalf of the caller")',
  API_CLIENT_ID: 'optional, bearer mode only: defaults to CLIENT_ID',
  API_ALLOWED_TENANTS: 'optional, bearer mode only: defaults to TENANT_ID',
  API_REQUIRED_SCOPE: 'optional, bearer mode only: defaults to access_as_user',
  WEBSITE_AUTH_ENABLED: 'set by App Service itself when App Service authentication is on',
};

export function loadConfig(env: Env = process.env): Readonly<AppConfig> {
  const problems: string[] = [];
  const text = (name: string): string | undefined => {
    const v = env[name]?.trim();
    return v ? v : undefined;
  };
  const required = (name: string): string => {
    const v = text(name);
    if (v === undefined) problems.push(`${name} is required`);
    return v ?? '';
  };
  const guid = (name: string, optional = false): string | undefined => {
    const v = optional ? text(name) : required(name);
    if (v && !GUID.test(v)) problems.push(`${name} must be a GUID`);
    return v || undefined;
  };
  const httpsUrl = (name: string, optional: boolean): string | undefined => {
    const v = optional ? text(name) : required(name);
    if (!v) return undefined;
    try {
      const u = new URL(v);
      if (u.protocol !== 'https:') problems.push(`${name} must be an https:// URL`);
      return v.replace(/\/+$/, '');
    } catch {
      problems.push(`${name} must be a URL`);
      return undefined;
    }
  };
  const oneOf = <T extends string>(name: string, allowed: readonly T[], fallback: T): T => {
    const v = text(name)?.toLowerCase();
    if (v === undefined) return fallback;
    if ((allowed as readonly string[]).includes(v)) return v as T;
    problems.push(`${name} must be one of: ${allowed.join(', ')}`);
    return fallback;
  };
  const number = (name: string, fallback: number, min: number, max: number): number => {
    const v = text(name);
    if (v === undefined) return fallback;
    const n = Number(v);
    if (!Number.isFinite(n) || n < min || n > max) {
      problems.push(`${name} must be a number from ${min} to ${max}`);
      return fallback;
    }
    return n;
  };
  const bool = (name: string, fallback: boolean): boolean => {
    const v = text(name)?.toLowerCase();
    if (v === undefined) return fallback;
    if (['true', '1', 'yes'].includes(v)) return true;
    if (['false', '0', 'no'].includes(v)) return false;
    problems.push(`${name} must be true or false`);
    return fallback;
  };

  const tenantId = guid('TENANT_ID') ?? '';
  const clientId = guid('CLIENT_ID') ?? '';
  const keyVaultUrl = httpsUrl('KEY_VAULT_URL', false) ?? '';
  // Case-insensitive, reported by its canonical spelling; the default keeps today's deployments unchanged.
  const sourceText = text('CREDENTIAL_SOURCE')?.toLowerCase();
  const namedSource = CREDENTIAL_SOURCES.find((k) => k.toLowerCase() === sourceText);
  if (sourceText !== undefined && namedSource === undefined)
    problems.push(`CREDENTIAL_SOURCE must be one of: ${CREDENTIAL_SOURCES.join(', ')}`);
  const credentialSource: CredentialSourceKind = namedSource ?? 'keyVaultSecret';
  const keyVaultName = (name: string, value: string | undefined): void => {
    if (value && !/^[0-9a-zA-Z-]{1,127}$/.test(value))
      problems.push(
        `${name} must be 1-127 letters, digits or dashes (a Key Vault ${name === 'CLIENT_CERTIFICATE_NAME' ? 'certificate' : 'secret'} name)`,
      );
  };
  // Each source needs only its own setting: a certificate or federated deployment has no client secret to name.
  const clientSecretName =
    credentialSource === 'keyVaultSecret' ? required('CLIENT_SECRET_NAME') : (text('CLIENT_SECRET_NAME') ?? '');
  keyVaultName('CLIENT_SECRET_NAME', clientSecretName);
  const clientCertificateName =
    credentialSource === 'keyVaultCertificate' ? required('CLIENT_CERTIFICATE_NAME') : undefined;
  keyVaultName('CLIENT_CERTIFICATE_NAME', clientCertificateName);
  const api = oneOf<ApiBackend>('DEFENDER_API', ['graph', 'legacy'], 'graph');
  const cloud = oneOf<Cloud>('DEFENDER_CLOUD', CLOUDS, 'public');
  const managedIdentityClientId = guid('MANAGED_IDENTITY_CLIENT_ID', true);
  // Only a user-assigned identity can be a federated credential of an app registration (identity-modes.md §2.1).
  if (credentialSource === 'managedIdentityFederation' && text('MANAGED_IDENTITY_CLIENT_ID') === undefined)
    problems.push(
      'MANAGED_IDENTITY_CLIENT_ID is required with CREDENTIAL_SOURCE managedIdentityFederation (the client id of the user-assigned identity the app registration trusts; a system-assigned identity cannot be a federated credential)',
    );
  const authorityOverride = httpsUrl('AUTHORITY_HOST', true);
  const apiBaseOverride = httpsUrl('DEFENDER_API_BASE_URL', true);
  const graphBaseOverride = httpsUrl('GRAPH_API_BASE_URL', true);
  const mdeBaseOverride = httpsUrl('MDE_API_BASE_URL', true);
  const mdeScopeOverride = text('MDE_API_SCOPE');
  if (mdeScopeOverride !== undefined && !/^https:\/\/[^\s/]+(?:\/[^\s]*)?\/\.default$/i.test(mdeScopeOverride))
    problems.push('MDE_API_SCOPE must be an https:// resource followed by /.default');
  const keyVaultChallengeVerification = bool('KEY_VAULT_CHALLENGE_VERIFICATION', true);
  const tlsCaFile = text('TLS_CA_FILE');
  const secretCacheTtlMs = number('SECRET_CACHE_TTL_SECONDS', 8 * 3600, 0, 7 * 24 * 3600) * 1000;
  const requestTimeoutMs = number('REQUEST_TIMEOUT_SECONDS', 30, 1, 600) * 1000;
  // The documented per-request hunting cap is 200 s (3 minutes on newer pages): wait a little longer than that.
  const huntingTimeoutMs = number('HUNTING_TIMEOUT_SECONDS', 210, 1, 600) * 1000;
  const maxRetries = number('MAX_RETRIES', 3, 0, 10);
  // Six retries wait at least 15.75 s in all (equal-jitter backoff from 500 ms; shared/http/retry.ts), at most 31.5 s.
  const backgroundMaxRetries = number('BACKGROUND_MAX_RETRIES', 6, 0, 12);
  // Logic Apps abandons a synchronous call after 120 s; stopping at 100 s leaves room for a last attempt's token.
  // 230 s is where Azure's front end answers 504 whatever the function does (Functions docs, functions-scale.md).
  const httpDeadlineMs = number('HTTP_DEADLINE_SECONDS', 100, 1, 230) * 1000;
  const maxRetryAfterMs = number('MAX_RETRY_AFTER_SECONDS', 60, 0, 900) * 1000;
  // At most a minute: a crashed instance delays nothing longer. Below a second a renewal round-trip to storage
  // (tens of ms, seconds under the SDK's retries) would eat the lease; tests use 1-3 s to scale time down.
  const leaseMs = number('LEASE_SECONDS', 60, 1, 60) * 1000;
  const scale = number('RATE_LIMIT_WINDOW_SCALE', 1, 0.001, 1);
  // Documented quotas (defender-api.md §1.2, §1.3): hunting "at least" 45/min and 1,500/hour; incidents 50/min and
  // 1,500/hour overall. A tenant with a larger (or smaller) allowance sets its own.
  const whole = (name: string, fallback: number, max: number): number => {
    const n = number(name, fallback, 1, max);
    if (!Number.isInteger(n)) problems.push(`${name} must be a whole number`);
    return Math.floor(n);
  };
  const quotaDefaults = {
    incidentsPerMinute: whole('QUOTA_INCIDENTS_PER_MINUTE', 50, TENANT_QUOTA_FIELDS.incidentsPerMinute),
    incidentsPerHour: whole('QUOTA_INCIDENTS_PER_HOUR', 1500, TENANT_QUOTA_FIELDS.incidentsPerHour),
    huntingPerMinute: whole('QUOTA_HUNTING_PER_MINUTE', 45, TENANT_QUOTA_FIELDS.huntingPerMinute),
    huntingPerHour: whole('QUOTA_HUNTING_PER_HOUR', 1500, TENANT_QUOTA_FIELDS.huntingPerHour),
    // Graph alerts_v2: "any operation on alert" under /security, 150 requests per minute per app per tenant
    // (microsoft-graph-docs-contrib concepts/throttling-limits.md, "Security detections and incidents service
    // limits"; the page predates alerts_v2 and does not name it, response-actions.md §7.2). No hourly limit is
    // documented: the default, 60 × 150, never binds before the minute does.
    alertsPerMinute: whole('QUOTA_ALERTS_PER_MINUTE', 150, TENANT_QUOTA_FIELDS.alertsPerMinute),
    alertsPerHour: whole('QUOTA_ALERTS_PER_HOUR', 9000, TENANT_QUOTA_FIELDS.alertsPerHour),
    // MDE indicators: "100 calls per minute and 1,500 calls per hour" (MicrosoftDocs/defender-docs
    // defender-endpoint/api/post-ti-indicator.md, get-ti-indicators-collection.md, delete-ti-indicator-by-id.md;
    // response-actions.md §3). One allowance for submit, list and delete together: the safe reading.
    indicatorsPerMinute: whole('QUOTA_INDICATORS_PER_MINUTE', 100, TENANT_QUOTA_FIELDS.indicatorsPerMinute),
    indicatorsPerHour: whole('QUOTA_INDICATORS_PER_HOUR', 1500, TENANT_QUOTA_FIELDS.indicatorsPerHour),
    // Graph identity writes (users PATCH, revokeSignInSessions): 3,000 writes per 2.5 minutes per app and tenant
    // (concepts/throttling-limits.md, "Identity and access service limits"; response-actions.md §7.2), so 1,200 a
    // minute; the 18,000 per 5 minutes per tenant is higher per minute, so the hour is 60 × 1,200.
    identityPerMinute: whole('QUOTA_IDENTITY_PER_MINUTE', 1200, TENANT_QUOTA_FIELDS.identityPerMinute),
    identityPerHour: whole('QUOTA_IDENTITY_PER_HOUR', 72_000, TENANT_QUOTA_FIELDS.identityPerHour),
    // Identity protection (riskyUsers actions): 1 request per second per tenant, all apps, and its 429s carry no
    // Retry-After (includes/throttling-identityprotection-ca.md; response-actions.md §7.2): 60 a minute here, and
    // the retry loop's own backoff covers a 429.
    riskyUsersPerMinute: whole('QUOTA_RISKYUSERS_PER_MINUTE', 60, TENANT_QUOTA_FIELDS.riskyUsersPerMinute),
    riskyUsersPerHour: whole('QUOTA_RISKYUSERS_PER_HOUR', 3600, TENANT_QUOTA_FIELDS.riskyUsersPerHour),
    // Defender for Endpoint machine actions and machine reads: 100 calls per minute and 1,500 per hour, per app and
    // tenant (response-actions.md §1.2, §4, §1.1: DD defender-endpoint/api/isolate-machine.md and the other action
    // pages' "Limitations"; the per app + tenant reading is a maintainer's answer, microsoft-365-docs issue #10124).
    machineActionsPerMinute: whole(
      'QUOTA_MACHINE_ACTIONS_PER_MINUTE',
      100,
      TENANT_QUOTA_FIELDS.machineActionsPerMinute,
    ),
    machineActionsPerHour: whole('QUOTA_MACHINE_ACTIONS_PER_HOUR', 1500, TENANT_QUOTA_FIELDS.machineActionsPerHour),
  };
  const perTenantQuota = parsePerTenantQuota(text('QUOTA_PER_TENANT'), problems);
  const tenants = parseTenantRegistry(
    text('TENANTS'),
    {
      tenantId,
      clientId,
      clientSecretName,
      api,
      cloud,
      credentialSource,
      clientCertificateName: text('CLIENT_CERTIFICATE_NAME'),
      hasUserAssignedIdentity: managedIdentityClientId !== undefined,
    },
    problems,
  );

  const contentOverride = text('CONTENT_DIR');
  const contentDir = contentOverride ? resolve(contentOverride) : findAppRoot(__dirname);
  if (!existsSync(join(contentDir, 'queries'))) problems.push('CONTENT_DIR must be a folder that holds queries/');

  const storageConnectionString = text('AzureWebJobsStorage');
  const storageAccountName = text('AzureWebJobsStorage__accountName');
  if (storageAccountName && !/^[a-z0-9]{3,24}$/.test(storageAccountName))
    problems.push('AzureWebJobsStorage__accountName must be a storage account name (3-24 lower-case letters, digits)');
  const dryRun = bool('DRY_RUN', false);
  const markerText = text('MARKER_TEXT') ?? 'riposte';
  if (!/^[a-z][a-z0-9-]{1,19}$/.test(markerText))
    problems.push('MARKER_TEXT must be 2-20 lower-case letters, digits or dashes');
  const queueName = (name: string, fallback: string): string => {
    const v = text(name) ?? fallback;
    if (!/^[a-z0-9](?:[a-z0-9]|-(?=[a-z0-9])){2,56}$/.test(v))
      problems.push(`${name} must be a valid queue name (3-57 lower-case letters, digits, single dashes)`);
    return v;
  };
  const ticketEventsQueue = queueName('TICKET_EVENTS_QUEUE', 'riposte-ticket-events');
  const workflowRunsQueue = queueName('WORKFLOW_RUNS_QUEUE', 'riposte-workflow-runs');
  const deviceActionsQueue = queueName('DEVICE_ACTIONS_QUEUE', 'riposte-device-actions');
  // A minute by default: most actions on an online device finish in minutes; tests use a second.
  const deviceActionCheckMs = number('DEVICE_ACTION_CHECK_SECONDS', 60, 1, 3600) * 1000;
  // Fractions of an hour are for tests; Logic Apps keeps a run's history 90 days at most.
  const runReportRetentionMs = number('RUN_REPORT_RETENTION_HOURS', 24, 0.001, 2160) * 3_600_000;
  const ticketSyncWorkflow = text('TICKET_SYNC_WORKFLOW') ?? 'ticket-sync';
  const queueMaxDequeueCount = number('QUEUE_MAX_DEQUEUE_COUNT', 5, 1, 100);
  const webhookMaxBodyBytes = number('WEBHOOK_MAX_BODY_BYTES', 1024 * 1024, 1024, 100 * 1024 * 1024);
  const webhookToleranceSeconds = number('WEBHOOK_TOLERANCE_SECONDS', 300, 10, 3600);
  const secretName = (name: string, fallback: string): string => {
    const v = text(name) ?? fallback;
    if (!/^[0-9a-zA-Z-]{1,127}$/.test(v))
      problems.push(`${name} must be 1-127 letters, digits or dashes (a Key Vault secret name)`);
    return v;
  };
  const teamsWebhookSecretName = secretName('TEAMS_WEBHOOK_SECRET_NAME', 'teams-webhook-url');
  const optionalSecretName = (name: string): string | undefined =>
    text(name) === undefined ? undefined : secretName(name, '');
  // At most 7 days: the continuation queued for the expiry is a queue message, kept invisible at most 7 days.
  const approval: ApprovalConfig = {
    expiresInMs: number('APPROVAL_EXPIRY_MINUTES', 60, 0.01, 10_080) * 60_000,
    teamsSecretName: optionalSecretName('APPROVAL_TEAMS_SECRET_NAME'),
    callbackSecretName: optionalSecretName('APPROVAL_CALLBACK_SECRET_NAME'),
    signingSecretName: optionalSecretName('APPROVAL_SIGNING_SECRET_NAME'),
  };
  const jiraBaseUrl = httpsUrl('JIRA_BASE_URL', true);
  const jiraSecretName = secretName('JIRA_SECRET_NAME', 'jira-credentials');
  const serviceNowBaseUrl = httpsUrl('SERVICENOW_BASE_URL', true);
  const serviceNowSecretName = secretName('SERVICENOW_SECRET_NAME', 'servicenow-credentials');
  // Neither publishes a number: Jira's burst limits are per site, endpoint and method; ServiceNow's per-hour rules are
  // the instance admin's. Defaults well under what either is seen to allow; their 429s pause the shared quota.
  const jiraPerMinute = whole('QUOTA_JIRA_PER_MINUTE', 100, 100_000);
  const serviceNowPerHour = whole('QUOTA_SERVICENOW_PER_HOUR', 1000, 1_000_000);
  const webhookSecretSettings: Record<string, string> = {};
  for (const name of SETTINGS.filter((n) => n.startsWith('WEBHOOK_SECRET_'))) {
    const v = text(name);
    if (v !== undefined) webhookSecretSettings[name] = v;
  }

  if (
    api === 'graph' &&
    apiBaseOverride !== undefined &&
    graphBaseOverride !== undefined &&
    normaliseApiBaseUrl(apiBaseOverride, 'graph') !== normaliseApiBaseUrl(graphBaseOverride, 'graph')
  )
    problems.push('GRAPH_API_BASE_URL and DEFENDER_API_BASE_URL name different Graph roots (DEFENDER_API is graph)');

  const callerAuth = loadCallerAuthConfig(env, { tenantId, clientId });
  problems.push(...callerAuth.problems);

  // A registry entry's `quota` is that tenant's QUOTA_PER_TENANT entry, written where the tenant is; one tenant's
  // allowance set in both places is refused rather than one quietly winning.
  for (const t of tenants.tenants) {
    if (!t.quota) continue;
    const id = t.tenantId.toLowerCase();
    if (perTenantQuota[id])
      problems.push(
        `TENANTS[${t.key}].quota and QUOTA_PER_TENANT.${t.tenantId} both set this tenant's allowance: keep one`,
      );
    else perTenantQuota[id] = t.quota;
  }
  if (problems.length > 0) throw new ConfigError(problems);

  const minute = 60_000 * scale;
  const hour = 3_600_000 * scale;
  // Each family's allowance: so many calls a minute and so many an hour.
  const perMinuteAndHour = (perMinute: number, perHour: number): RateLimitWindow[] => [
    { limit: perMinute, windowMs: minute },
    { limit: perHour, windowMs: hour },
  ];
  const allowance = (q: TenantQuota): QuotaAllowance => ({
    hunting: perMinuteAndHour(q.huntingPerMinute, q.huntingPerHour),
    incidents: perMinuteAndHour(q.incidentsPerMinute, q.incidentsPerHour),
    alerts: perMinuteAndHour(q.alertsPerMinute, q.alertsPerHour),
    indicators: perMinuteAndHour(q.indicatorsPerMinute, q.indicatorsPerHour),
    identity: perMinuteAndHour(q.identityPerMinute, q.identityPerHour),
    riskyUsers: perMinuteAndHour(q.riskyUsersPerMinute, q.riskyUsersPerHour),
    machineActions: perMinuteAndHour(q.machineActionsPerMinute, q.machineActionsPerHour),
  });
  // A tenant entry names only what differs; the rest comes from the QUOTA_* settings.
  const tenantQuotas: Record<string, TenantQuota> = Object.fromEntries(
    Object.entries(perTenantQuota).map(([tenant, q]) => [tenant, { ...quotaDefaults, ...q }]),
  );
  const authorityHost = authorityOverride ?? authorityHostFor(cloud);
  const apis = apiEndpoints(cloud, api, {
    defender: apiBaseOverride,
    graph: graphBaseOverride,
    mde: mdeBaseOverride,
    mdeScope: mdeScopeOverride,
  });
  return Object.freeze({
    callerAuth: callerAuth.config,
    tenantId,
    clientId,
    keyVaultUrl,
    clientSecretName,
    credentialSource,
    clientCertificateName,
    api,
    cloud,
    managedIdentityClientId,
    authorityHost,
    customAuthority: authorityOverride !== undefined && authorityOverride !== authorityHostFor(cloud),
    apiBaseUrl: apis[api].baseUrl,
    apiScope: apis[api].scope,
    apis,
    keyVaultChallengeVerification,
    tlsCaFile,
    secretCacheTtlMs,
    requestTimeoutMs,
    huntingTimeoutMs,
    maxRetries,
    backgroundMaxRetries,
    httpDeadlineMs,
    maxRetryAfterMs,
    leaseMs,
    rateLimits: allowance(tenantQuotas[tenantId.toLowerCase()] ?? quotaDefaults),
    tenants,
    quota: {
      default: allowance(quotaDefaults),
      perTenant: Object.freeze(
        Object.fromEntries(Object.entries(tenantQuotas).map(([tenant, q]) => [tenant, allowance(q)])),
      ),
    },
    contentDir,
    storageConnectionString,
    storageAccountName,
    dryRun,
    markerText,
    ticketEventsQueue,
    workflowRunsQueue,
    deviceActionsQueue,
    deviceActionCheckMs,
    runReportRetentionMs,
    publicBaseUrl: publicBaseUrl(env),
    ticketSyncWorkflow,
    queueMaxDequeueCount,
    webhookMaxBodyBytes,
    webhookToleranceSeconds,
    webhookSecretSettings: Object.freeze(webhookSecretSettings),
    approval: Object.freeze(approval),
    notify: Object.freeze({
      teamsWebhookSecretName,
      jiraBaseUrl,
      jiraSecretName,
      serviceNowBaseUrl,
      serviceNowSecretName,
      allowance: {
        // The Teams webhook limits (integration-conventions.md §6.1: 4 per second, 60 per 30 s).
        teams: [
          { limit: 4, windowMs: 1000 * scale },
          { limit: 60, windowMs: 30_000 * scale },
        ],
        jira: [{ limit: jiraPerMinute, windowMs: minute }],
        servicenow: [{ limit: serviceNowPerHour, windowMs: hour }],
      },
    }),
  });
}

/**
 * Each API's base URL and scope: the cloud's, unless a setting points it elsewhere (the sandbox, a proxy, an MDE
 * regional host). DEFENDER_API_BASE_URL moves the backend DEFENDER_API selects (as it always has); GRAPH_API_BASE_URL
 * moves Graph whatever DEFENDER_API says. Scopes never follow an overridden host: the sandbox issues tokens for the
 * real audiences and checks them per API, as the real ones do.
 */
function apiEndpoints(
  cloud: Cloud,
  api: ApiBackend,
  o: { defender?: string; graph?: string; mde?: string; mdeScope?: string },
): Record<ApiTarget, ApiEndpoint> {
  const override: Record<ApiTarget, string | undefined> = {
    graph: o.graph ?? (api === 'graph' ? o.defender : undefined),
    legacy: api === 'legacy' ? o.defender : undefined,
    mde: o.mde,
  };
  const out = {} as Record<ApiTarget, ApiEndpoint>;
  for (const target of API_TARGETS) {
    const url = override[target];
    out[target] = Object.freeze({
      baseUrl: url ? normaliseApiBaseUrl(url, target) : apiTargetBaseUrl(cloud, target),
      scope: target === 'mde' && o.mdeScope ? o.mdeScope : apiTargetScope(cloud, target),
    });
  }
  return Object.freeze(out);
}

/**
 * QUOTA_PER_TENANT: `{"<tenant id>": {"incidentsPerMinute": 40, "huntingPerHour": 1000, ...}}`. Problems name the
 * tenant (a tenant id is public, not a secret) and the field, never a value.
 */
function parsePerTenantQuota(raw: string | undefined, problems: string[]): Record<string, Partial<TenantQuota>> {
  const out: Record<string, Partial<TenantQuota>> = {};
  if (raw === undefined) return out;
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    problems.push('QUOTA_PER_TENANT must be JSON: an object keyed by tenant id');
    return out;
  }
  if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) {
    problems.push('QUOTA_PER_TENANT must be an object keyed by tenant id');
    return out;
  }
  for (const [tenant, entry] of Object.entries(parsed as Record<string, unknown>)) {
    if (!GUID.test(tenant)) {
      problems.push('QUOTA_PER_TENANT: every key must be a tenant id (GUID)');
      continue;
    }
    const q = parseTenantQuota(`QUOTA_PER_TENANT.${tenant}`, entry, problems);
    if (q) out[tenant.toLowerCase()] = q;
  }
  return out;
}

/** The allowance for `tenantId`: its QUOTA_PER_TENANT entry, else the QUOTA_* settings. */
export function allowanceFor(config: Pick<AppConfig, 'quota'>, tenantId: string): QuotaAllowance {
  return config.quota.perTenant[tenantId.toLowerCase()] ?? config.quota.default;
}

/**
 * The app's own base URL (`https://<app>.azurewebsites.net`) from WEBSITE_HOSTNAME, which App Service sets on every
 * instance (Core Tools and the local host set `<host>:<port>`). Documents that name the app (the OpenAPI servers)
 * take it from here, never from a request's Host header, which any caller can spoof.
 * @returns undefined when the setting is absent or not a host[:port] (callers then use a relative URL).
 */
export function publicBaseUrl(env: Env = process.env): string | undefined {
  const host = env.WEBSITE_HOSTNAME?.trim().toLowerCase();
  if (
    !host ||
    !/^(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)*[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?(?::\d{1,5})?$/.test(host)
  )
    return undefined;
  // Plain http only on the developer's own machine; Azure serves https.
  const local = /^(?:localhost|127(?:\.\d{1,3}){3})(?::\d+)?$/.test(host);
  return `${local ? 'http' : 'https'}://${host}`;
}

/** The folder with package.json above this file: the repo in development, the deployed package in Azure. */
export function findAppRoot(from: string): string {
  for (let dir = resolve(from); ; dir = dirname(dir)) {
    if (existsSync(join(dir, 'package.json'))) return dir;
    if (dirname(dir) === dir) return resolve(from);
  }
}

let cached: Readonly<AppConfig> | undefined;

/** Memoised; called on first invocation, not at import, so a bad setting never breaks function indexing. */
export function getConfig(): Readonly<AppConfig> {
  cached ??= loadConfig();
  return cached;
}
