// infra/azuredeploy.json: parses, every parameter and variable is declared and used, the app settings it sets are
// exactly the settings the code reads (shared/config SETTINGS less UNSET_IN_AZURE, plus the Functions runtime's
// own), their values load with loadConfig and equal the code's defaults, and the security shape holds: Flex
// Consumption with Node 20, identity-only storage, Key Vault in RBAC mode with the app's identity granted only
// Key Vault Secrets User.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { loadConfig, SETTINGS, UNSET_IN_AZURE, type AppConfig } from '../../shared/config';
import { readSchedulesSync, scheduleSettingName } from '../../shared/workflows/readSchedules';

const REPO = join(__dirname, '..', '..');
const text = readFileSync(join(REPO, 'infra', 'azuredeploy.json'), 'utf8');

interface Resource {
  type: string;
  name: string;
  scope?: string;
  kind?: string;
  sku?: Record<string, string>;
  identity?: { type: string; userAssignedIdentities?: Record<string, unknown> };
  tags?: Record<string, string>;
  properties?: Record<string, unknown>;
  dependsOn?: string[];
}
interface Template {
  $schema: string;
  parameters: Record<
    string,
    { type: string; defaultValue?: unknown; allowedValues?: unknown[]; minValue?: number; maxValue?: number }
  >;
  variables: Record<string, unknown> & { roles: Record<string, string> };
  resources: Resource[];
  outputs: Record<string, unknown>;
}
const template = JSON.parse(text) as Template;

const byType = (type: string): Resource[] => template.resources.filter((r) => r.type === type);
const one = (type: string): Resource => {
  const found = byType(type);
  assert.equal(found.length, 1, `one ${type}`);
  return found[0]!;
};
const site = one('Microsoft.Web/sites');
const appSettings = (
  (site.properties?.siteConfig as { appSettings: { name: string; value: string }[] }).appSettings ?? []
).map((s) => ({ name: s.name, value: s.value }));

/** Settings the Functions host and platform read (not the app code). */
const RUNTIME_SETTINGS = [
  'AzureWebJobsStorage__credential',
  'AzureWebJobsStorage__clientId',
  'APPLICATIONINSIGHTS_CONNECTION_STRING',
  'APPLICATIONINSIGHTS_AUTHENTICATION_STRING',
];
/** Deprecated or refused on Flex Consumption: the runtime comes from functionAppConfig, the package from blob. */
const FLEX_DEPRECATED = [
  'FUNCTIONS_WORKER_RUNTIME',
  'FUNCTIONS_EXTENSION_VERSION',
  'WEBSITE_NODE_DEFAULT_VERSION',
  'WEBSITE_RUN_FROM_PACKAGE',
  'WEBSITE_CONTENTSHARE',
  'WEBSITE_CONTENTAZUREFILECONNECTIONSTRING',
  'AzureWebJobsStorage',
];

describe('infra/azuredeploy.json', () => {
  it('is an ARM deployment template whose parameters and variables are all declared and used', () => {
    assert.match(template.$schema, /deploymentTemplate\.json#$/);
    const usedParams = new Set([...text.matchAll(/parameters\('(\w+)'\)/g)].map((m) => m[1]));
    assert.deepEqual([...usedParams].sort(), Object.keys(template.parameters).sort());
    const usedVars = new Set([...text.matchAll(/variables\('(\w+)'\)/g)].map((m) => m[1]));
    assert.deepEqual([...usedVars].sort(), Object.keys(template.variables).sort());
    // Brackets balance in every expression (a typo here only shows at deployment time otherwise).
    for (const expr of text.match(/"\[[^"]*\]"/g) ?? []) {
      let depth = 0;
      for (const ch of expr) {
        depth += ch === '(' ? 1 : ch === ')' ? -1 : 0;
        assert.ok(depth >= 0, expr);
      }
      assert.equal(depth, 0, expr);
    }
  });

  it('sets exactly the settings the code reads in Azure, and no unknown ones', () => {
    const names = appSettings.map((s) => s.name);
    assert.equal(new Set(names).size, names.length, 'no setting twice');
    const expected = SETTINGS.filter((n) => !(n in UNSET_IN_AZURE));
    const codeSettings = names.filter((n) => !RUNTIME_SETTINGS.includes(n));
    assert.deepEqual(
      expected.filter((n) => !codeSettings.includes(n)),
      [],
      'missing: set them in the template or list them in UNSET_IN_AZURE with the reason',
    );
    const schedules = readSchedulesSync(join(REPO, 'workflows')).map((w) => scheduleSettingName(w.name));
    const unknown = codeSettings.filter((n) => !(SETTINGS as readonly string[]).includes(n) && !schedules.includes(n));
    assert.deepEqual(unknown, [], 'unknown settings');
    for (const n of Object.keys(UNSET_IN_AZURE)) assert.ok((SETTINGS as readonly string[]).includes(n), n);
    for (const n of FLEX_DEPRECATED) assert.ok(!names.includes(n), `${n} must not be set on Flex Consumption`);
  });

  it('sets values the code accepts, equal to its defaults for the tuning settings', () => {
    // Expressions are replaced by what Azure would put there; literals are checked as they are.
    const stand_ins: Record<string, string> = {
      TENANT_ID: '11111111-2222-3333-4444-555555555555',
      CLIENT_ID: 'aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee',
      KEY_VAULT_URL: 'https://kv-riposte-abc.vault.azure.net/',
      MANAGED_IDENTITY_CLIENT_ID: '99999999-8888-7777-6666-555555555555',
      AzureWebJobsStorage__accountName: 'striposteabc',
      AzureWebJobsStorage__clientId: '99999999-8888-7777-6666-555555555555',
      APPLICATIONINSIGHTS_CONNECTION_STRING: 'InstrumentationKey=00000000-0000-0000-0000-000000000000',
      APPLICATIONINSIGHTS_AUTHENTICATION_STRING: 'ClientId=99999999-8888-7777-6666-555555555555;Authorization=AAD',
      JIRA_BASE_URL: 'https://example.atlassian.net',
      SERVICENOW_BASE_URL: 'https://example.service-now.com',
    };
    const env: Record<string, string> = {};
    for (const { name, value } of appSettings) {
      const param = /^\[parameters\('(\w+)'\)\]$/.exec(value)?.[1];
      const def = param ? template.parameters[param]?.defaultValue : undefined;
      if (!value.startsWith('[')) env[name] = value;
      else if (typeof def === 'string' && def !== '' && !def.startsWith('[')) env[name] = def;
      else if (name === 'DRY_RUN') env[name] = template.parameters.dryRun?.defaultValue ? 'true' : 'false';
      else {
        assert.ok(stand_ins[name], `a stand-in value for ${name}`);
        env[name] = stand_ins[name]!;
      }
    }
    const config = loadConfig(env);
    assert.equal(config.storageAccountName, 'striposteabc');
    assert.equal(config.keyVaultUrl, 'https://kv-riposte-abc.vault.azure.net');
    assert.equal(config.api, 'graph');
    const literal = appSettings.filter((s) => !s.value.startsWith('[')).map((s) => s.name);
    const bare = loadConfig(Object.fromEntries(Object.entries(env).filter(([k]) => !literal.includes(k))));
    const tuning: (keyof AppConfig)[] = [
      'secretCacheTtlMs',
      'requestTimeoutMs',
      'huntingTimeoutMs',
      'maxRetries',
      'backgroundMaxRetries',
      'httpDeadlineMs',
      'maxRetryAfterMs',
      'markerText',
      'ticketEventsQueue',
      'ticketSyncWorkflow',
      'queueMaxDequeueCount',
      'webhookMaxBodyBytes',
      'webhookToleranceSeconds',
      'rateLimits',
      'quota',
    ];
    for (const key of tuning) assert.deepEqual(config[key], bare[key], `${key} equals the code's default`);
    const hostJson = JSON.parse(readFileSync(join(REPO, 'host.json'), 'utf8')) as {
      extensions: { queues: { maxDequeueCount: number } };
    };
    assert.equal(config.queueMaxDequeueCount, hostJson.extensions.queues.maxDequeueCount);
  });

  it('runs on Flex Consumption with Node 20 and a user-assigned identity, code from an identity-read blob', () => {
    const plan = one('Microsoft.Web/serverfarms');
    assert.deepEqual(plan.sku, { tier: 'FlexConsumption', name: 'FC1' });
    assert.equal(plan.properties?.reserved, true);
    assert.equal(site.kind, 'functionapp,linux');
    assert.equal(site.identity?.type, 'UserAssigned');
    assert.equal(site.tags?.['azd-service-name'], 'api');
    const fac = site.properties?.functionAppConfig as {
      runtime: { name: string; version: string };
      deployment: { storage: { type: string; authentication: { type: string } } };
      scaleAndConcurrency: Record<string, string>;
    };
    assert.deepEqual(fac.runtime, { name: 'node', version: '20' });
    assert.equal(fac.deployment.storage.type, 'blobContainer');
    assert.equal(fac.deployment.storage.authentication.type, 'UserAssignedIdentity');
    assert.ok(fac.scaleAndConcurrency.maximumInstanceCount && fac.scaleAndConcurrency.instanceMemoryMB);
    assert.equal(site.properties?.httpsOnly, true);
    const names = appSettings.map((s) => s.name);
    assert.ok(
      names.includes('AzureWebJobsStorage__accountName') && names.includes('APPLICATIONINSIGHTS_CONNECTION_STRING'),
    );
    assert.equal(appSettings.find((s) => s.name === 'AzureWebJobsStorage__credential')?.value, 'managedidentity');
  });

  it('keeps storage keyless and grants the identity only the data roles it needs', () => {
    const storage = one('Microsoft.Storage/storageAccounts');
    assert.equal(storage.properties?.allowSharedKeyAccess, false);
    assert.equal(storage.properties?.allowBlobPublicAccess, false);
    const roles = template.variables.roles;
    assert.deepEqual(roles, {
      keyVaultSecretsUser: '4633458b-17de-408a-b874-0445c86b69e6',
      storageBlobDataOwner: 'b7e6dc6d-f1e8-4753-8033-0f276bb0955b',
      storageQueueDataContributor: '974c5e8b-45b9-4653-ba55-5f855dd0fb88',
      storageTableDataContributor: '0a9a7e1f-b9d0-4cc4-a60d-0319b160aaa3',
      monitoringMetricsPublisher: '3913510d-42f4-4e42-8a64-420c390055eb',
    });
    const assignments = byType('Microsoft.Authorization/roleAssignments');
    const onStorage = assignments.filter((a) => a.scope?.includes('Microsoft.Storage/storageAccounts'));
    assert.deepEqual(
      onStorage.map((a) => /variables\('roles'\)\.(\w+)/.exec(String(a.properties?.roleDefinitionId))?.[1]).sort(),
      ['storageBlobDataOwner', 'storageQueueDataContributor', 'storageTableDataContributor'],
    );
    for (const a of assignments) {
      assert.match(String(a.properties?.principalId), /userAssignedIdentities', variables\('identityName'\)\)/);
      assert.equal(a.properties?.principalType, 'ServicePrincipal');
      // The app starts only after its roles exist, so its first calls are not refused while RBAC propagates.
      assert.ok(
        site.dependsOn?.some((d) => d.includes(String(/variables\('roles'\)\.\w+/.exec(a.name)?.[0]))),
        `the site depends on ${a.name}`,
      );
    }
  });

  it('puts Key Vault in RBAC mode with the identity granted only Key Vault Secrets User', () => {
    const vault = one('Microsoft.KeyVault/vaults');
    assert.equal(vault.properties?.enableRbacAuthorization, true);
    assert.equal(vault.properties?.accessPolicies, undefined);
    const onVault = byType('Microsoft.Authorization/roleAssignments').filter((a) =>
      a.scope?.includes('Microsoft.KeyVault/vaults'),
    );
    assert.equal(onVault.length, 1);
    assert.match(String(onVault[0]?.properties?.roleDefinitionId), /variables\('roles'\)\.keyVaultSecretsUser\)/);
    assert.match(
      appSettings.find((s) => s.name === 'KEY_VAULT_URL')?.value ?? '',
      /reference\(resourceId\('Microsoft\.KeyVault\/vaults'/,
    );
  });

  it('has Application Insights on a Log Analytics workspace, and outputs what the post-deploy steps need', () => {
    const insights = one('Microsoft.Insights/components');
    assert.match(String(insights.properties?.WorkspaceResourceId), /Microsoft\.OperationalInsights\/workspaces/);
    // Telemetry is sent with the identity (Monitoring Metrics Publisher on the component), not the key alone.
    assert.equal(insights.properties?.DisableLocalAuth, true);
    const onInsights = byType('Microsoft.Authorization/roleAssignments').filter((a) =>
      a.scope?.includes('Microsoft.Insights/components'),
    );
    assert.equal(onInsights.length, 1);
    assert.match(String(onInsights[0]?.properties?.roleDefinitionId), /roles'\)\.monitoringMetricsPublisher\)/);
    assert.match(
      appSettings.find((s) => s.name === 'APPLICATIONINSIGHTS_AUTHENTICATION_STRING')?.value ?? '',
      /^\[concat\('ClientId=', reference\(resourceId\('Microsoft\.ManagedIdentity\/userAssignedIdentities'.*\.clientId, ';Authorization=AAD'\)\]$/,
    );
    for (const out of ['functionAppName', 'functionAppUrl', 'keyVaultName', 'managedIdentityClientId']) {
      assert.ok(template.outputs[out], out);
    }
  });
});

describe('infra/azuredeploy.json: code and scale', () => {
  it('deploys a package from packageUri with one deploy, only when one is given', () => {
    const deploy = one('Microsoft.Web/sites/extensions');
    assert.equal(deploy.name, "[concat(parameters('appName'), '/onedeploy')]");
    assert.equal((deploy as Resource & { condition?: string }).condition, "[not(empty(parameters('packageUri')))]");
    assert.deepEqual(deploy.properties, { packageUri: "[parameters('packageUri')]", remoteBuild: false });
    assert.deepEqual(deploy.dependsOn, ["[resourceId('Microsoft.Web/sites', parameters('appName'))]"]);
    assert.equal(template.parameters.packageUri?.defaultValue, '');
  });

  it('bounds the scale-out limit to what Flex Consumption accepts', () => {
    const p = template.parameters.maximumInstanceCount!;
    assert.deepEqual([p.minValue, p.maxValue], [40, 1000]);
    assert.ok(Number(p.defaultValue) >= Number(p.minValue) && Number(p.defaultValue) <= Number(p.maxValue));
    assert.deepEqual(template.parameters.instanceMemoryMB?.allowedValues, [512, 2048, 4096]);
  });
});
