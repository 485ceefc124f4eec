// infra/postdeploy.sh, run by bash against a fake Azure CLI (test/deploy/fakeAz/az, first on PATH) that keeps Entra ID,
// Key Vault, role assignments and the Function App in a JSON file, and a deep health endpoint on 127.0.0.1 that only
// answers "ok" to the app's function key: a fresh run, a re-run, --rotate, the legacy API, the errors, and retries
// while Key Vault RBAC propagates. The fake rejects any command or --query it does not know, so a script change it
// does not understand fails here.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { registerSecrets } from '../setup/logCapture';

const ROOT = join(__dirname, '..', '..');
const FAKE_AZ_DIR = join(__dirname, 'fakeAz');
const RG = 'rg-riposte';
const FUNCTION_APP = 'riposte-func-x7k2';
const VAULT = 'riposte-kv-x7k2';
const GRAPH_APP = '00000003-0000-0000-c000-000000000000';
const MTP_APP = '8ee8fdad-f234-4243-8f3b-15c294843740';
const MDE_APP = 'fc780465-2017-40d4-a0c5-307022471b92';

interface AppRole {
  value: string;
  id: string;
}
interface ServicePrincipal {
  id: string;
  appId: string;
  displayName: string;
  appRoles: AppRole[];
}
interface PasswordCredential {
  keyId: string;
  displayName: string | null;
  startDateTime: string;
  endDateTime: string;
  password: string;
}
interface Application {
  id: string;
  appId: string;
  displayName: string;
  requiredResourceAccess: Array<{ resourceAppId: string; resourceAccess: Array<{ id: string; type: string }> }>;
  passwordCredentials: PasswordCredential[];
  federatedIdentityCredentials?: Array<{ name: string; issuer: string; subject: string; audiences: string[] }>;
}
interface SecretVersion {
  version: string;
  value: string;
  file: { path: string; mode: number };
}
/** The fake's state file (test/deploy/fakeAz/az reads and writes it on every call). */
interface FakeAzState {
  tenantId: string;
  subscriptionId: string;
  graphEndpoint: string;
  user: { id: string; userPrincipalName: string };
  deployments: Record<
    string,
    { name: string; properties: { outputs: Record<string, { type: string; value: string }> } }
  >;
  functionApps: Record<
    string,
    { resourceGroup: string; settings: Record<string, string>; functionKey: string; restarts: number }
  >;
  keyVaults: Record<string, { id: string; secrets: Record<string, SecretVersion[]> }>;
  roleAssignments: Array<{
    id: string;
    principalId: string;
    principalType: string;
    roleDefinitionName: string;
    scope: string;
  }>;
  applications: Application[];
  servicePrincipals: ServicePrincipal[];
  appRoleAssignments: Array<{ id: string; principalId: string; resourceId: string; appRoleId: string }>;
  keyVaultForbiddenServed: number;
  /** `az cloud show` (default AzureCloud, https://login.microsoftonline.com). */
  cloudName?: string;
  loginEndpoint?: string;
}

interface HealthRequest {
  method: string;
  path: string;
  authorised: boolean;
}
interface RunResult {
  code: number | null;
  stdout: string;
  stderr: string;
  /** The argv of every az call this run made. */
  calls: string[][];
  ms: number;
  /** The waits the script asked sleep(1) for during this run, in order (the fake sleep returns at once). */
  sleeps: string[];
}

const firstParty = (appId: string, displayName: string, roles: string[]): ServicePrincipal => ({
  id: randomUUID(),
  appId,
  displayName,
  appRoles: roles.map((value) => ({ value, id: randomUUID() })),
});

/** One tenant, subscription and deployment, with its own state file, az log, secret folder and health endpoint. */
class World {
  readonly dir = mkdtempSync(join(tmpdir(), 'riposte-postdeploy-'));
  readonly statePath = join(this.dir, 'state.json');
  readonly logPath = join(this.dir, 'az.log');
  readonly sleepLogPath = join(this.dir, 'sleep.log');
  readonly secretDir = join(this.dir, 'secrets');
  readonly functionKey = randomBytes(40).toString('base64url');
  /** The Function App's user-assigned identity's principal (object) id: the deployment's output. */
  readonly identityPrincipalId = randomUUID();
  readonly requests: HealthRequest[] = [];
  healthAnswer: 'ok' | 'degraded' = 'ok';
  private server?: Server;

  constructor(private readonly settings: Record<string, string> = {}) {
    mkdirSync(this.secretDir);
    registerSecrets([this.functionKey]);
  }

  async start(): Promise<this> {
    this.server = createServer((req, res) => {
      const authorised = req.headers['x-functions-key'] === this.functionKey;
      this.requests.push({ method: req.method ?? '', path: req.url ?? '', authorised });
      if (req.method !== 'GET' || req.url !== '/api/health/deep') return void res.writeHead(404).end();
      if (!authorised) return void res.writeHead(401).end();
      const ok = this.healthAnswer === 'ok';
      res.writeHead(ok ? 200 : 503, { 'content-type': 'application/json' });
      res.end(
        JSON.stringify({ status: ok ? 'ok' : 'degraded', hops: { keyVault: 'ok', token: ok ? 'ok' : 'failed' } }),
      );
    });
    await new Promise<void>((resolve) => this.server?.listen(0, '127.0.0.1', resolve));
    const { port } = this.server.address() as AddressInfo;
    const subscriptionId = randomUUID();
    const output = (value: string) => ({ type: 'String', value });
    const staging: Application = {
      id: randomUUID(),
      appId: randomUUID(),
      displayName: 'riposte-staging',
      requiredResourceAccess: [],
      passwordCredentials: [],
    };
    this.write({
      tenantId: randomUUID(),
      subscriptionId,
      graphEndpoint: 'https://graph.microsoft.com/',
      user: { id: randomUUID(), userPrincipalName: 'admin@contoso.example' },
      deployments: {
        [`${RG}/riposte`]: {
          name: 'riposte',
          properties: {
            outputs: {
              functionAppName: output(FUNCTION_APP),
              keyVaultName: output(VAULT),
              functionAppUrl: output(`http://127.0.0.1:${port}`),
              managedIdentityPrincipalId: output(this.identityPrincipalId),
            },
          },
        },
      },
      functionApps: {
        [FUNCTION_APP]: {
          resourceGroup: RG,
          settings: {
            FUNCTIONS_WORKER_RUNTIME: 'node',
            KEY_VAULT_URL: `https://${VAULT}.vault.azure.net/`,
            ...this.settings,
          },
          functionKey: this.functionKey,
          restarts: 0,
        },
      },
      keyVaults: {
        [VAULT]: {
          id: `/subscriptions/${subscriptionId}/resourceGroups/${RG}/providers/Microsoft.KeyVault/vaults/${VAULT}`,
          secrets: {},
        },
      },
      roleAssignments: [],
      // A registration whose name starts with "riposte": `az ad app list --display-name riposte` would return it.
      applications: [staging],
      servicePrincipals: [
        firstParty(GRAPH_APP, 'Microsoft Graph', [
          'User.Read.All',
          'User.RevokeSessions.All',
          'User.EnableDisableAccount.All',
          'SecurityIncident.Read.All',
          'SecurityIncident.ReadWrite.All',
          'ThreatHunting.Read.All',
          'SecurityAlert.Read.All',
          'SecurityAlert.ReadWrite.All',
        ]),
        firstParty(MTP_APP, 'Microsoft Threat Protection', [
          'Incident.Read.All',
          'Incident.ReadWrite.All',
          'AdvancedHunting.Read.All',
          'CustomDetections.ReadWrite.All',
        ]),
        firstParty(MDE_APP, 'WindowsDefenderATP', [
          'Ti.ReadWrite',
          'Ti.ReadWrite.All',
          'Machine.Isolate',
          'Machine.Read.All',
          'Machine.Scan',
          'Alert.Read.All',
        ]),
        { id: randomUUID(), appId: staging.appId, displayName: staging.displayName, appRoles: [] },
      ],
      appRoleAssignments: [],
      keyVaultForbiddenServed: 0,
    });
    return this;
  }

  async stop(): Promise<void> {
    const server = this.server;
    if (server) await new Promise((resolve) => server.close(resolve));
    rmSync(this.dir, { recursive: true, force: true });
  }

  read(): FakeAzState {
    return JSON.parse(readFileSync(this.statePath, 'utf8')) as FakeAzState;
  }
  write(state: FakeAzState): void {
    writeFileSync(this.statePath, JSON.stringify(state, null, 2));
  }
  private loggedCalls(): string[][] {
    const text = readFileSync(this.logPath, { encoding: 'utf8', flag: 'a+' });
    return text
      .split('\n')
      .filter(Boolean)
      .map((line) => JSON.parse(line) as string[]);
  }

  sleeps(): string[] {
    return readFileSync(this.sleepLogPath, { encoding: 'utf8', flag: 'a+' }).split('\n').filter(Boolean);
  }

  /** `bash infra/postdeploy.sh <args>` with the fake az first on PATH; never throws on a non-zero exit. */
  async run(args: string[], env: Record<string, string> = {}): Promise<RunResult> {
    const logged = this.loggedCalls().length;
    const slept = this.sleeps().length;
    const started = Date.now();
    const childEnv: NodeJS.ProcessEnv = {
      ...process.env,
      PATH: `${FAKE_AZ_DIR}:${process.env.PATH ?? ''}`,
      FAKE_AZ_STATE: this.statePath,
      FAKE_AZ_LOG: this.logPath,
      FAKE_SLEEP_LOG: this.sleepLogPath,
      RIPOSTE_RETRY_SLEEP: '0',
      RIPOSTE_SECRET_DIR: this.secretDir,
      NO_PROXY: '127.0.0.1,localhost',
      no_proxy: '127.0.0.1,localhost',
      ...env,
    };
    delete childEnv.RIPOSTE_GRAPH_URL;
    // The fake starts ~25 times a run: loading a CA bundle it never uses would nearly double the test's time.
    delete childEnv.NODE_EXTRA_CA_CERTS;
    delete childEnv.NODE_TEST_CONTEXT;
    const child = spawn('bash', ['infra/postdeploy.sh', ...args], { cwd: ROOT, env: childEnv });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString('utf8')));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString('utf8')));
    const code = await new Promise<number | null>((resolve, reject) => {
      child.on('error', reject);
      child.on('close', resolve);
    });
    // Whatever secrets Entra ID handed out must never be printed by this process either (test/setup/logCapture.ts).
    registerSecrets(this.read().applications.flatMap((a) => a.passwordCredentials.map((c) => c.password)));
    return {
      code,
      stdout,
      stderr,
      calls: this.loggedCalls().slice(logged),
      ms: Date.now() - started,
      sleeps: this.sleeps().slice(slept),
    };
  }
}

/** The state with every password replaced by a digest, so a failed deepEqual prints no secret. */
function redacted(state: FakeAzState): FakeAzState {
  const digest = (v: string) => `sha256:${createHash('sha256').update(v).digest('hex').slice(0, 16)}`;
  const copy = structuredClone(state);
  for (const app of copy.applications) for (const c of app.passwordCredentials) c.password = digest(c.password);
  for (const kv of Object.values(copy.keyVaults))
    for (const versions of Object.values(kv.secrets)) for (const v of versions) v.value = digest(v.value);
  return copy;
}
const exited = (r: RunResult, code: number): void =>
  assert.equal(r.code, code, `exit ${r.code}, expected ${code}\nstdout:\n${r.stdout}\nstderr:\n${r.stderr}`);
const named = (state: FakeAzState, name: string): Application[] =>
  state.applications.filter((a) => a.displayName === name);
const spOf = (state: FakeAzState, appId: string): ServicePrincipal[] =>
  state.servicePrincipals.filter((s) => s.appId === appId);
const roleIds = (sp: ServicePrincipal, values: string[]): string[] =>
  values.map((v) => sp.appRoles.find((r) => r.value === v)?.id ?? assert.fail(`no role ${v}`)).sort();
const grantedTo = (state: FakeAzState, principalId: string) =>
  state.appRoleAssignments.filter((a) => a.principalId === principalId);
const callsOf = (r: RunResult, ...words: string[]): string[][] =>
  r.calls.filter((argv) => words.every((w, i) => argv[i] === w));

/** No secret value in any az argv (seen by every process on the machine), in the script's output, or left on disk. */
function assertNoLeak(world: World, r: RunResult, secrets: string[]): void {
  assert.ok(secrets.length > 0 && secrets.every((s) => s.length >= 40));
  for (const [i, secret] of secrets.entries()) {
    const inArgv = r.calls.findIndex((argv) => argv.some((a) => a.includes(secret)));
    assert.equal(inArgv, -1, `secret #${i} appears in the argv of az call ${inArgv}: ${r.calls[inArgv]?.slice(0, 4)}`);
    assert.ok(!r.stdout.includes(secret), `secret #${i} printed on stdout`);
    assert.ok(!r.stderr.includes(secret), `secret #${i} printed on stderr`);
  }
  assert.deepEqual(readdirSync(world.secretDir), [], 'the temporary secret file is removed');
}

describe('infra/postdeploy.sh against a fake az', { concurrency: true }, () => {
  // One deployment, in order: its steps build on each other.
  describe(
    'fresh run (while Key Vault RBAC propagates), re-run and --rotate (graph, the default)',
    { concurrency: 1 },
    () => {
      const world = new World();
      let first: RunResult;
      before(async () => {
        await world.start();
        // The first two Key Vault calls get 403s, as right after the role assignment is made.
        first = await world.run(['-g', RG], { FAKE_AZ_KV_FORBIDDEN_TIMES: '2' });
      });
      after(() => world.stop());

      it('registers the app, grants the Graph and workflow permissions, stores the secret, sets the settings and checks health', () => {
        exited(first, 0);
        const state = world.read();
        const [app, ...more] = named(state, 'riposte');
        assert.ok(app, 'one app registration named riposte');
        assert.equal(more.length, 0);
        assert.equal(named(state, 'riposte-staging')[0]?.passwordCredentials.length, 0, 'the prefix match untouched');
        const [sp, ...moreSps] = spOf(state, app.appId);
        assert.ok(sp, 'its service principal');
        assert.equal(moreSps.length, 0);

        // The app's own Graph permissions, and those of the shipped workflows' steps: block-hash-from-incident
        // submits indicators (Ti.ReadWrite.All on WindowsDefenderATP), isolate-device-on-high-severity isolates and
        // scans (Machine.*), contain-compromised-user revokes sessions and disables the account (User.*).
        const graph = spOf(state, GRAPH_APP)[0] ?? assert.fail('no Graph service principal');
        const mde = spOf(state, MDE_APP)[0] ?? assert.fail('no WindowsDefenderATP service principal');
        const wanted = roleIds(graph, [
          'SecurityIncident.ReadWrite.All',
          'ThreatHunting.Read.All',
          'User.EnableDisableAccount.All',
          'User.Read.All',
          'User.RevokeSessions.All',
        ]);
        const wantedMde = roleIds(mde, ['Machine.Isolate', 'Machine.Read.All', 'Machine.Scan', 'Ti.ReadWrite.All']);
        const granted = grantedTo(state, sp.id);
        assert.deepEqual(
          granted
            .filter((a) => a.resourceId === graph.id)
            .map((a) => a.appRoleId)
            .sort(),
          wanted,
        );
        assert.deepEqual(
          granted
            .filter((a) => a.resourceId === mde.id)
            .map((a) => a.appRoleId)
            .sort(),
          wantedMde,
        );
        assert.equal(granted.length, wanted.length + wantedMde.length, 'nothing else');
        const listed = app.requiredResourceAccess.flatMap((r) =>
          r.resourceAccess.map((a) => `${r.resourceAppId}/${a.id}=${a.type}`),
        );
        assert.deepEqual(
          listed.sort(),
          [...wanted.map((id) => `${GRAPH_APP}/${id}=Role`), ...wantedMde.map((id) => `${MDE_APP}/${id}=Role`)].sort(),
          'listed on the registration',
        );

        const vault = state.keyVaults[VAULT] ?? assert.fail('no vault');
        assert.deepEqual(
          state.roleAssignments.map(({ principalId, principalType, roleDefinitionName, scope }) => ({
            principalId,
            principalType,
            roleDefinitionName,
            scope,
          })),
          [
            {
              principalId: state.user.id,
              principalType: 'User',
              roleDefinitionName: 'Key Vault Secrets Officer',
              scope: vault.id,
            },
          ],
        );
        const [credential, ...moreCredentials] = app.passwordCredentials;
        assert.ok(credential, 'one client secret');
        assert.equal(moreCredentials.length, 0);
        assert.match(credential.displayName ?? '', /^riposte-\d{4}-\d{2}-\d{2}$/);
        const years = (Date.parse(credential.endDateTime) - Date.parse(credential.startDateTime)) / (365.25 * 864e5);
        assert.ok(Math.abs(years - 1) < 0.01, `lifetime ${years} years`);
        const versions = vault.secrets['riposte-client-secret'] ?? assert.fail('no riposte-client-secret');
        assert.equal(versions.length, 1);
        assert.ok(versions[0]?.value === credential.password, 'the stored secret is the password, byte for byte');
        assert.equal(dirname(versions[0].file.path), world.secretDir, 'read from a file in RIPOSTE_SECRET_DIR');
        assert.equal(versions[0].file.mode, 0o600, 'a file only its owner can read');

        const fn = state.functionApps[FUNCTION_APP] ?? assert.fail('no function app');
        assert.equal(fn.settings.CLIENT_ID, app.appId);
        assert.equal(fn.settings.TENANT_ID, state.tenantId);
        assert.equal(fn.restarts, 1);
        assert.deepEqual(world.requests, [{ method: 'GET', path: '/api/health/deep', authorised: true }]);
        assert.match(first.stdout, /done: Riposte reaches Key Vault/);
      });

      it('never puts the secret or the function key on a command line or the terminal, nor leaves it on disk', () => {
        exited(first, 0);
        const password =
          named(world.read(), 'riposte')[0]?.passwordCredentials[0]?.password ?? assert.fail('no secret');
        assertNoLeak(world, first, [password, world.functionKey]);
        const set = callsOf(first, 'keyvault', 'secret', 'set');
        assert.equal(set.length, 1);
        assert.ok(set[0]?.includes('--file'), 'the value goes through --file');
      });

      it('retried Key Vault while the role assignment propagated (two 403s), then stored the secret', () => {
        exited(first, 0);
        assert.equal(world.read().keyVaultForbiddenServed, 2);
        assert.equal(callsOf(first, 'keyvault', 'secret', 'list').length, 3, 'two 403s, then the answer');
        assert.equal((first.stderr.match(/role assignments can take minutes to apply/g) ?? []).length, 2);
        assert.equal(callsOf(first, 'keyvault', 'secret', 'set').length, 1);
      });

      it('re-runs without creating or granting anything twice', async () => {
        const prior = redacted(world.read());
        const again = await world.run(['-g', RG]);
        exited(again, 0);
        const state = redacted(world.read());
        const app = named(state, 'riposte')[0] ?? assert.fail('no app');
        for (const part of [
          'applications',
          'servicePrincipals',
          'appRoleAssignments',
          'roleAssignments',
          'keyVaults',
        ] as const)
          assert.deepEqual(state[part], prior[part], `${part} unchanged`);
        assert.match(again.stdout, new RegExp(`exists: ${app.appId}`));
        assert.match(again.stdout, /SecurityIncident\.ReadWrite\.All: already granted/);
        assert.match(again.stdout, /ThreatHunting\.Read\.All: already granted/);
        assert.match(again.stdout, /riposte-client-secret exists \(use --rotate/);
        assert.deepEqual(callsOf(again, 'ad', 'app', 'credential', 'reset'), []);
        assert.deepEqual(callsOf(again, 'role', 'assignment', 'create'), []);
        assert.ok(!again.calls.some((argv) => argv.includes('POST')), 'no permission granted again');
        assert.equal(state.functionApps[FUNCTION_APP]?.restarts, 2);
        assert.equal(world.requests.filter((r) => r.authorised).length, 2);
      });

      it('--rotate appends a secret, stores it as a new version and prints how to delete exactly the older ones', async () => {
        // A second, older secret (made by hand a year ago) that rotation must also list for deletion.
        const seeded = world.read();
        const app0 = named(seeded, 'riposte')[0] ?? assert.fail('no app');
        app0.passwordCredentials.push({
          keyId: randomUUID(),
          displayName: 'by hand',
          startDateTime: new Date(Date.now() - 365 * 864e5).toISOString(),
          endDateTime: new Date(Date.now() + 30 * 864e5).toISOString(),
          password: `abc8Q~${randomBytes(17).toString('hex')}`,
        });
        world.write(seeded);
        const older = app0.passwordCredentials;

        const rotated = await world.run(['-g', RG, '--rotate']);
        exited(rotated, 0);
        const state = world.read();
        const app = named(state, 'riposte')[0] ?? assert.fail('no app');
        assert.equal(app.passwordCredentials.length, older.length + 1, 'one secret added');
        assert.deepEqual(
          redacted(state)
            .applications.find((a) => a.id === app.id)
            ?.passwordCredentials.slice(0, older.length),
          redacted(seeded).applications.find((a) => a.id === app.id)?.passwordCredentials,
          'the older secrets kept',
        );
        const newest = app.passwordCredentials.at(-1) ?? assert.fail('no new secret');
        const versions = state.keyVaults[VAULT]?.secrets['riposte-client-secret'] ?? [];
        assert.equal(versions.length, 2, 'a new version');
        assert.ok(versions[1]?.value === newest.password, 'the new version is the new password');
        assert.ok(versions[0]?.value === older[0]?.password, 'the first version untouched');

        const deletes = [...rotated.stdout.matchAll(/^ +az ad app credential delete --id (\S+) --key-id (\S+)$/gm)];
        assert.deepEqual(
          deletes.map((m) => m[1]),
          older.map(() => app.appId),
        );
        assert.deepEqual(deletes.map((m) => m[2]).sort(), older.map((c) => c.keyId).sort());
        assertNoLeak(world, rotated, [newest.password, world.functionKey]);
        assert.equal(state.functionApps[FUNCTION_APP]?.restarts, 3);
      });
    },
  );

  describe('workflows with alert steps (RIPOSTE_WORKFLOWS_DIR)', () => {
    const world = new World();
    let dir: string;
    before(async () => {
      await world.start();
      dir = mkdtempSync(join(tmpdir(), 'riposte-postdeploy-wf-'));
    });
    after(async () => {
      await world.stop();
      rmSync(dir, { recursive: true, force: true });
    });

    it('grants SecurityAlert.Read.All for reading alerts, and ReadWrite only once a workflow changes them', async () => {
      const wf = (kind: string): string =>
        `name: a\ntriggers: { http: true }\nsteps:\n  - id: s\n    kind: ${kind}\n    input: { alertId: a1, text: x }\n`;
      writeFileSync(join(dir, 'read.yaml'), wf('getAlert'));
      exited(await world.run(['-g', RG, '--skip-check'], { RIPOSTE_WORKFLOWS_DIR: dir }), 0);
      const graph = spOf(world.read(), GRAPH_APP)[0] ?? assert.fail('no Graph service principal');
      const roles = (): string[] => {
        const state = world.read();
        const app = named(state, 'riposte')[0] ?? assert.fail('no app');
        const sp = spOf(state, app.appId)[0] ?? assert.fail('no service principal');
        return grantedTo(state, sp.id)
          .map((a) => a.appRoleId)
          .sort();
      };
      assert.deepEqual(
        roles(),
        roleIds(graph, ['SecurityIncident.ReadWrite.All', 'ThreatHunting.Read.All', 'SecurityAlert.Read.All']),
      );
      writeFileSync(join(dir, 'write.yaml'), wf('commentAlert'));
      exited(await world.run(['-g', RG, '--skip-check'], { RIPOSTE_WORKFLOWS_DIR: dir }), 0);
      assert.ok(roles().includes(roleIds(graph, ['SecurityAlert.ReadWrite.All'])[0] ?? ''));
    });

    it('the shipped workflows have no alert step: no SecurityAlert permission by default', () => {
      const shipped = readdirSync(join(ROOT, 'workflows')).filter((f) => f.endsWith('.yaml'));
      for (const f of shipped)
        assert.doesNotMatch(
          readFileSync(join(ROOT, 'workflows', f), 'utf8'),
          /kind:\s*(list|get|update|comment)Alerts?\b/,
        );
    });
  });

  describe(
    'permissions from the deployed workflows (riposte permissions): other APIs, other backends, refusals',
    { concurrency: 1 },
    () => {
      const world = new World();
      let dir: string;
      before(async () => {
        await world.start();
        dir = mkdtempSync(join(tmpdir(), 'riposte-postdeploy-perm-'));
      });
      after(async () => {
        await world.stop();
        rmSync(dir, { recursive: true, force: true });
      });
      const wf = (...kinds: string[]): string =>
        `name: a\ntriggers: { http: true }\nsteps:\n${kinds.map((k, i) => `  - id: s${i}\n    kind: ${k}\n    input: {}\n`).join('')}`;
      const granted = (): { resource: string; role: string }[] => {
        const state = world.read();
        const app = named(state, 'riposte')[0] ?? assert.fail('no app');
        const sp = spOf(state, app.appId)[0] ?? assert.fail('no service principal');
        return grantedTo(state, sp.id)
          .map((a) => {
            const resource = state.servicePrincipals.find((r) => r.id === a.resourceId) ?? assert.fail('no resource');
            const role = resource.appRoles.find((r) => r.id === a.appRoleId)?.value ?? assert.fail('no role');
            return { resource: resource.appId, role };
          })
          .sort((a, b) => `${a.resource}${a.role}`.localeCompare(`${b.resource}${b.role}`));
      };

      it('an indicator step (inside forEach): Ti.ReadWrite.All on WindowsDefenderATP, beside the Graph base', async () => {
        writeFileSync(
          join(dir, 'block.yaml'),
          `name: b\ntriggers: { http: true }\nsteps:\n  - id: each\n    kind: forEach\n    input:\n      items: "\${ [1] }"\n      steps:\n        - id: s\n          kind: submitIndicator\n          input: {}\n`,
        );
        const r = await world.run(['-g', RG, '--skip-check'], { RIPOSTE_WORKFLOWS_DIR: dir });
        exited(r, 0);
        assert.deepEqual(granted(), [
          { resource: GRAPH_APP, role: 'SecurityIncident.ReadWrite.All' },
          { resource: GRAPH_APP, role: 'ThreatHunting.Read.All' },
          { resource: MDE_APP, role: 'Ti.ReadWrite.All' },
        ]);
        assert.match(r.stdout, /Ti\.ReadWrite\.All: granted \(WindowsDefenderATP, for submitIndicator\)/);
        const app = named(world.read(), 'riposte')[0] ?? assert.fail('no app');
        assert.ok(
          app.requiredResourceAccess.some((x) => x.resourceAppId === MDE_APP),
          'listed on the registration under WindowsDefenderATP',
        );
      });

      it('DEFENDER_API=legacy with an identity step: Threat Protection base plus Graph User.RevokeSessions.All', async () => {
        rmSync(join(dir, 'block.yaml'));
        writeFileSync(join(dir, 'contain.yaml'), wf('getIncident', 'revokeUserSessions'));
        const r = await world.run(['-g', RG, '--skip-check', '--api', 'legacy'], { RIPOSTE_WORKFLOWS_DIR: dir });
        exited(r, 0);
        const now = granted();
        for (const want of [
          { resource: MTP_APP, role: 'Incident.ReadWrite.All' },
          { resource: MTP_APP, role: 'AdvancedHunting.Read.All' },
          { resource: GRAPH_APP, role: 'User.RevokeSessions.All' },
        ])
          assert.ok(
            now.some((g) => g.resource === want.resource && g.role === want.role),
            `${JSON.stringify(want)} in ${JSON.stringify(now)}`,
          );
      });

      it('a step kind without recorded permissions: exit 1 naming the file and kind, before any registration', async () => {
        const other = new World();
        await other.start();
        try {
          const bad = mkdtempSync(join(tmpdir(), 'riposte-postdeploy-bad-'));
          writeFileSync(join(bad, 'x.yaml'), wf('launchMissiles'));
          const r = await other.run(['-g', RG, '--skip-check'], { RIPOSTE_WORKFLOWS_DIR: bad });
          rmSync(bad, { recursive: true, force: true });
          exited(r, 1);
          assert.match(r.stderr, /x\.yaml: no permission is recorded for step kind 'launchMissiles'/);
          assert.deepEqual(named(other.read(), 'riposte'), [], 'nothing registered');
        } finally {
          await other.stop();
        }
      });

      it('a service principal under the WindowsDefenderATP id with another name: exit 1, nothing granted on it', async () => {
        const other = new World();
        await other.start();
        try {
          const seeded = other.read();
          const sp = spOf(seeded, MDE_APP)[0] ?? assert.fail('no MDE service principal');
          sp.displayName = 'Someone Else';
          other.write(seeded);
          const one = mkdtempSync(join(tmpdir(), 'riposte-postdeploy-mde-'));
          writeFileSync(join(one, 'x.yaml'), wf('removeIndicator'));
          const r = await other.run(['-g', RG, '--skip-check'], { RIPOSTE_WORKFLOWS_DIR: one });
          rmSync(one, { recursive: true, force: true });
          exited(r, 1);
          assert.match(r.stderr, /is named 'Someone Else', not 'WindowsDefenderATP'/);
          assert.ok(!other.read().appRoleAssignments.some((a) => a.resourceId === sp.id));
        } finally {
          await other.stop();
        }
      });
    },
  );

  describe('the legacy API (app setting DEFENDER_API=legacy), --skip-check, a stale secret in the vault', () => {
    // The secret's name comes from the app's CLIENT_SECRET_NAME; the vault already holds one, left by a registration
    // since deleted: it cannot belong to the registration this run creates.
    const world = new World({ DEFENDER_API: 'legacy', CLIENT_SECRET_NAME: 'defender-app-secret' });
    const stale = randomBytes(20).toString('base64url');
    let r: RunResult;
    before(async () => {
      await world.start();
      const seeded = world.read();
      const file = { path: 'by hand', mode: 0o600 };
      (seeded.keyVaults[VAULT] ?? assert.fail('no vault')).secrets['defender-app-secret'] = [
        { version: 'v0', value: stale, file },
      ];
      world.write(seeded);
      registerSecrets([stale]);
      r = await world.run(['-g', RG, '--skip-check']);
    });
    after(() => world.stop());

    it("grants Incident.ReadWrite.All and AdvancedHunting.Read.All on Microsoft Threat Protection, and the workflows' own", () => {
      exited(r, 0);
      assert.match(r.stdout, /api legacy, secret defender-app-secret/);
      const state = world.read();
      const app = named(state, 'riposte')[0] ?? assert.fail('no app');
      const sp = spOf(state, app.appId)[0] ?? assert.fail('no service principal');
      const mtp = spOf(state, MTP_APP)[0] ?? assert.fail('no MTP service principal');
      const mde = spOf(state, MDE_APP)[0] ?? assert.fail('no WindowsDefenderATP service principal');
      const granted = grantedTo(state, sp.id);
      assert.deepEqual(
        granted
          .filter((a) => a.resourceId === mtp.id)
          .map((a) => a.appRoleId)
          .sort(),
        roleIds(mtp, ['Incident.ReadWrite.All', 'AdvancedHunting.Read.All']),
      );
      // Indicators and machine actions live on the MDE API, identity containment on Graph, whatever DEFENDER_API says
      // (the shipped block-hash-from-incident, isolate-device-on-high-severity and contain-compromised-user).
      const graph = spOf(state, GRAPH_APP)[0] ?? assert.fail('no Graph service principal');
      assert.deepEqual(
        granted
          .filter((a) => a.resourceId !== mtp.id)
          .map((a) => `${a.resourceId}/${a.appRoleId}`)
          .sort(),
        [
          ...roleIds(mde, ['Machine.Isolate', 'Machine.Read.All', 'Machine.Scan', 'Ti.ReadWrite.All']).map(
            (id) => `${mde.id}/${id}`,
          ),
          ...roleIds(graph, ['User.EnableDisableAccount.All', 'User.Read.All', 'User.RevokeSessions.All']).map(
            (id) => `${graph.id}/${id}`,
          ),
        ].sort(),
      );
    });

    it('stores a secret of the new registration under CLIENT_SECRET_NAME, though the vault held one', () => {
      exited(r, 0);
      const state = world.read();
      const app = named(state, 'riposte')[0] ?? assert.fail('no app');
      const vault = state.keyVaults[VAULT] ?? assert.fail('no vault');
      assert.deepEqual(Object.keys(vault.secrets), ['defender-app-secret']);
      const versions = vault.secrets['defender-app-secret'] ?? [];
      assert.equal(versions.length, 2, 'a new version next to the stale one');
      assert.equal(app.passwordCredentials.length, 1);
      assert.ok(versions[1]?.value === app.passwordCredentials[0]?.password, 'the new version is its password');
    });

    it('--skip-check: no restart and no health check', () => {
      exited(r, 0);
      assert.equal(world.read().functionApps[FUNCTION_APP]?.restarts, 0);
      assert.deepEqual(world.requests, []);
      assert.match(r.stdout, /done \(no check: --skip-check\)/);
    });
  });

  describe(
    '--credential federated: the managed identity as a federated credential, no secret (issue 15)',
    { concurrency: 1 },
    () => {
      const world = new World();
      let first: RunResult;
      before(async () => {
        await world.start();
        first = await world.run(['-g', RG, '--credential', 'federated']);
      });
      after(() => world.stop());

      it('creates one FIC with the issuer, the identity principal id and the audience, stores no secret, sets CREDENTIAL_SOURCE', () => {
        exited(first, 0);
        const state = world.read();
        const app = named(state, 'riposte')[0] ?? assert.fail('no app');
        // The values Entra ID matches exactly (identity-modes.md §2.1; entra-docs workload-identity-federation-config-
        // app-trust-managed-identity.md): the v2 issuer of the tenant, the UAMI's principal id, the global audience.
        assert.deepEqual(
          (app.federatedIdentityCredentials ?? []).map(({ name, issuer, subject, audiences }) => ({
            name,
            issuer,
            subject,
            audiences,
          })),
          [
            {
              name: 'riposte-func-uami',
              issuer: `https://login.microsoftonline.com/${state.tenantId}/v2.0`,
              subject: world.identityPrincipalId,
              audiences: ['api://AzureADTokenExchange'],
            },
          ],
        );
        assert.deepEqual(app.passwordCredentials, [], 'no client secret in Entra ID');
        assert.deepEqual(state.keyVaults[VAULT]?.secrets, {}, 'nothing in Key Vault');
        assert.deepEqual(state.roleAssignments, [], 'no Key Vault role for the signed-in user');
        const fn = state.functionApps[FUNCTION_APP] ?? assert.fail('no function app');
        assert.equal(fn.settings.CREDENTIAL_SOURCE, 'managedIdentityFederation');
        assert.equal(fn.settings.CLIENT_ID, app.appId);
        assert.match(first.stdout, /done: Riposte reaches its managed identity \(federated credential\)/);
      });

      it('re-runs (the setting now says federated) without a second FIC or any secret', async () => {
        const again = await world.run(['-g', RG]);
        exited(again, 0);
        const app = named(world.read(), 'riposte')[0] ?? assert.fail('no app');
        assert.equal(app.federatedIdentityCredentials?.length, 1);
        assert.deepEqual(app.passwordCredentials, []);
        assert.match(again.stdout, /exists: riposte-func-uami/);
        assert.deepEqual(callsOf(again, 'ad', 'app', 'federated-credential', 'create'), []);
      });

      it('uses the US Government audience and login host in Azure Government; refuses --rotate', async () => {
        const state = world.read();
        state.cloudName = 'AzureUSGovernment';
        state.loginEndpoint = 'https://login.microsoftonline.us/';
        for (const app of state.applications) app.federatedIdentityCredentials = [];
        world.write(state);
        const gov = await world.run(['-g', RG, '--skip-check']);
        exited(gov, 0);
        const fic = named(world.read(), 'riposte')[0]?.federatedIdentityCredentials?.[0];
        assert.equal(fic?.issuer, `https://login.microsoftonline.us/${state.tenantId}/v2.0`);
        assert.deepEqual(fic?.audiences, ['api://AzureADTokenExchangeUSGov']);
        const rotate = await world.run(['-g', RG, '--rotate']);
        exited(rotate, 1);
        assert.match(rotate.stderr, /--rotate rotates a client secret: a federated credential has none/);
      });
    },
  );

  describe('errors', { concurrency: 1 }, () => {
    const world = new World();
    before(() => world.start());
    after(() => world.stop());

    it('no deployment: exit 1 naming the resource group and docs/deploy.md, nothing created', async () => {
      const r = await world.run(['-g', 'rg-elsewhere']);
      exited(r, 1);
      assert.match(r.stderr, /'rg-elsewhere'/);
      assert.match(r.stderr, /docs\/deploy\.md/);
      assert.deepEqual(named(world.read(), 'riposte'), []);
    });

    it('--api other: exit 1 naming graph and legacy', async () => {
      const r = await world.run(['-g', RG, '--api', 'other']);
      exited(r, 1);
      assert.match(r.stderr, /--api must be graph or legacy, not 'other'/);
      assert.deepEqual(named(world.read(), 'riposte'), []);
    });

    it('an unknown option: exit 2 with the usage, before any az call', async () => {
      const r = await world.run(['-g', RG, '--bogus']);
      exited(r, 2);
      assert.match(r.stderr, /unknown option '--bogus'/);
      assert.match(r.stderr, /usage: infra\/postdeploy\.sh -g <resource group>/);
      assert.deepEqual(r.calls, []);
    });

    it('a degraded deep health check: six tries without waiting, then exit 1 naming the check', async () => {
      world.healthAnswer = 'degraded';
      const r = await world.run(['-g', RG]);
      exited(r, 1);
      assert.match(r.stderr, /the deep health check did not pass/);
      assert.match(r.stdout, /"status":"degraded"/);
      assert.equal(world.requests.length, 6);
      assert.ok(world.requests.every((q) => q.authorised));
      // Five waits between the six tries, each the RIPOSTE_RETRY_SLEEP given (0 here; 15 s by default).
      assert.deepEqual(r.sleeps, ['0', '0', '0', '0', '0']);
    });
  });
});
