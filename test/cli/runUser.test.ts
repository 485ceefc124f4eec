// `riposte run <workflow> --user`: the analyst signs in with the device code flow (the real DeviceCodeCredential) and
// the run acts as them. The CLI is its own process; the sandbox (started here, configured as the CLI's "tenant") plays
// Entra's device code endpoints and the APIs, and this test is the analyst's browser: it reads the prompt (the page
// and the code) from the CLI's stderr and approves or declines the code on the sandbox's sign-in page over HTTPS.
// Each failure answer has its own exit code and message; nothing reads Key Vault or uses a managed identity.
import assert from 'node:assert/strict';
import https from 'node:https';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, beforeEach, describe, it } from 'node:test';
import { startAzurite, type Azurite } from '../../host/azurite';
import { startSandbox, type Sandbox } from '../../sandbox';
import type { RunReport } from '../../shared/engine';
import { EXIT } from '../../cli/exitCodes';
import { baseEnv, BIN, riposte, start, type Running } from './cliProcess';

let sandbox: Sandbox;
const azurites: Azurite[] = [];
let dir: string;
let input: string;
/** The sandbox clock runs this far ahead of the real one (a test moves it to expire a code on Entra's side). */
let clockOffsetMs = 0;

before(async () => {
  sandbox = await startSandbox({ rateLimitScale: 0.01, now: () => new Date(Date.now() + clockOffsetMs) });
  dir = mkdtempSync(join(tmpdir(), 'riposte-run-user-'));
  input = join(dir, 'input.yaml');
  writeFileSync(
    input,
    'incidentId: "3309"\nticketId: DEMO-7\nstatus: resolved\nclassification: truePositive\ndetermination: phishing\ncomment: "[DEMO-7] Closed by the analyst"\n',
  );
  writeFileSync(join(dir, 'local.settings.json'), JSON.stringify({ IsEncrypted: false, Values: {} }));
});
after(async () => {
  await Promise.all([sandbox?.close(), ...azurites.map((a) => a.stop())]);
  rmSync(dir, { recursive: true, force: true });
});
beforeEach(() => {
  sandbox.control.reset();
  clockOffsetMs = 0;
  // Polls every 50 ms; the code lives 30 s (Entra: 5 s and 15 minutes).
  sandbox.control.setDeviceCodeTiming({ intervalSeconds: 0.05, expiresInSeconds: 30 });
});

/**
 * The sandbox as the CLI's tenant, seen from an analyst's laptop: tenant, CLI app, endpoints and CA; no client secret
 * name, Key Vault URL, app client id or managed identity.
 */
function tenantEnv(api: 'graph' | 'legacy', extra: Record<string, string> = {}): Record<string, string | undefined> {
  const s = sandbox.settings(api);
  const env = baseEnv({
    TENANT_ID: s.TENANT_ID,
    RIPOSTE_CLI_CLIENT_ID: sandbox.cliClientId,
    AUTHORITY_HOST: s.AUTHORITY_HOST,
    DEFENDER_API: api,
    DEFENDER_API_BASE_URL: s.DEFENDER_API_BASE_URL,
    ...(s.GRAPH_API_BASE_URL ? { GRAPH_API_BASE_URL: s.GRAPH_API_BASE_URL } : {}),
    MDE_API_BASE_URL: s.MDE_API_BASE_URL,
    TLS_CA_FILE: s.TLS_CA_FILE,
    RATE_LIMIT_WINDOW_SCALE: '0.01',
    ...extra,
  });
  for (const k of ['IDENTITY_ENDPOINT', 'IDENTITY_HEADER', 'MSI_ENDPOINT', 'CLIENT_SECRET_NAME']) delete env[k];
  return env;
}

interface DeviceCodeEvent {
  event: 'deviceCode';
  verificationUri: string;
  userCode: string;
  message: string;
  sandboxCaFile?: string;
}

/** The prompt's JSON event from the CLI's stderr (--json mode). */
async function promptOf(cli: Running): Promise<DeviceCodeEvent> {
  await cli.waitFor(/"event":"deviceCode"/);
  const line = cli.stderr.split('\n').find((l) => l.includes('"event":"deviceCode"'));
  assert.ok(line, cli.stderr);
  return JSON.parse(line) as DeviceCodeEvent;
}

/** The analyst's browser: the sign-in page's form, posted over HTTPS. @returns the page's status. */
function signIn(uri: string, ca: string, form: Record<string, string>): Promise<number> {
  return new Promise((resolve, reject) => {
    const body = new URLSearchParams(form).toString();
    const req = https.request(
      uri,
      { method: 'POST', ca, headers: { 'content-type': 'application/x-www-form-urlencoded' } },
      (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

/** Fresh storage for a run that writes (incident ids repeat after a sandbox reset; idempotency keys would not). */
async function storage(): Promise<{ AzureWebJobsStorage: string }> {
  const az = await startAzurite({ inMemory: true, ports: 'random' });
  azurites.push(az);
  return { AzureWebJobsStorage: az.connectionString };
}

const runAsUser = (env: Record<string, string | undefined>, extra: string[] = []): Running =>
  riposte(
    ['run', 'ticket-sync', '--user', '--json', '--input', input, '--dir', join(__dirname, '..', '..'), ...extra],
    {
      cwd: dir,
      env,
    },
  );

const failureLine = (stderr: string): { reason: string; message: string } => {
  const line = stderr.split('\n').find((l) => l.includes('"event":"signInFailed"'));
  assert.ok(line, stderr);
  return JSON.parse(line) as { reason: string; message: string };
};

describe('riposte run --user (device code sign-in, the run as the analyst)', () => {
  for (const api of ['graph', 'legacy'] as const) {
    it(`${api}: signs in, changes the incident as the analyst, names them in the report, reads no Key Vault`, async () => {
      const cli = runAsUser(tenantEnv(api, await storage()));
      const prompt = await promptOf(cli);
      assert.match(prompt.verificationUri, /^https:\/\/127\.0\.0\.1:\d+\/devicelogin$/);
      assert.match(prompt.userCode, /^[A-Z0-9]{9}$/);
      assert.match(
        prompt.message,
        new RegExp(`open the page ${prompt.verificationUri} and enter the code ${prompt.userCode}`),
      );
      assert.equal(
        await signIn(prompt.verificationUri, sandbox.caPem, {
          user_code: prompt.userCode,
          user: 'alex.analyst@contoso.com',
          action: 'approve',
        }),
        200,
      );
      const done = await cli.finished;
      assert.equal(done.code, EXIT.ok, done.stderr);

      const report = JSON.parse(done.stdout) as RunReport;
      assert.equal(report.status, 'succeeded');
      // The engine names the analyst (upn and object id) in the report and in the comment it writes.
      const analyst = sandbox.control.users().find((u) => u.upn === 'alex.analyst@contoso.com');
      assert.deepEqual(report.actingUser, { upn: 'alex.analyst@contoso.com', oid: analyst?.oid });
      assert.equal(report.steps[0]?.changes[0]?.outcome, 'applied');

      const incident = sandbox.control.incident('3309');
      assert.equal(incident?.status, 'resolved');
      const comment = incident?.comments.at(-1);
      assert.ok(
        comment?.comment.startsWith(
          `[DEMO-7] Closed by the analyst (on behalf of alex.analyst@contoso.com, ${analyst?.oid})`,
        ),
        comment?.comment,
      );
      assert.equal(comment?.createdBy, 'alex.analyst@contoso.com');

      // The API saw the analyst, through the CLI's app, on every call it let through.
      const audit = sandbox.control.userAudit();
      assert.ok(audit.length > 0);
      for (const a of audit) assert.deepEqual([a.upn, a.appId], ['alex.analyst@contoso.com', sandbox.cliClientId]);

      const counters = sandbox.control.counters();
      assert.equal(counters.keyVaultReads, 0);
      assert.equal(counters.miTokenRequests, 0);
      // MSAL polled with its own spelling of the grant; the sandbox answered pending until the approval.
      const log = sandbox.control.requests();
      assert.equal(log.filter((r) => r.family === 'devicecode').length, 1);
      assert.ok(
        log.some((r) => r.family === 'token' && r.status === 400),
        'at least one authorization_pending poll',
      );
    });
  }

  it('--dry-run --user against the sandbox it starts: the prompt names the sandbox page, the report the user', async () => {
    // No tenant: the CLI starts its own sandbox, and its sign-in page is where the analyst goes.
    const env = baseEnv({ RATE_LIMIT_WINDOW_SCALE: '0.01' });
    const cli = start(
      process.execPath,
      [BIN, 'run', 'ticket-sync', '--user', '--dry-run', '--input', input, '--dir', join(__dirname, '..', '..')],
      { cwd: dir, env },
    );
    await cli.waitFor(/enter the code [A-Z0-9]+\./);
    const m =
      /open (https:\/\/127\.0\.0\.1:\d+\/devicelogin) and enter the code ([A-Z0-9]+)\. .*sandbox CA (\S+)\)/.exec(
        cli.stderr,
      );
    assert.ok(m, cli.stderr);
    const [, uri = '', code = '', caFile = ''] = m;
    assert.equal(
      await signIn(uri, readFileSync(caFile, 'utf8'), { user_code: code, user: 'alex.analyst@contoso.com' }),
      200,
    );
    const done = await cli.finished;
    assert.equal(done.code, EXIT.ok, done.stderr);
    assert.match(done.stderr, /Signed in as alex\.analyst@contoso\.com/);
    assert.match(done.stdout, /Workflow ticket-sync: dry run against the sandbox as alex\.analyst@contoso\.com/);
    assert.match(done.stdout, /incident 3309: would apply: status, classification, determination, tags, comment/);
  });

  it('declined at the sign-in page: exit 10, nothing ran', async () => {
    const cli = runAsUser(tenantEnv('graph'), ['--dry-run']);
    const prompt = await promptOf(cli);
    assert.equal(
      await signIn(prompt.verificationUri, sandbox.caPem, {
        user_code: prompt.userCode,
        user: 'alex.analyst@contoso.com',
        action: 'decline',
      }),
      200,
    );
    const done = await cli.finished;
    assert.equal(done.code, EXIT.signInDeclined, done.stderr);
    const failure = failureLine(done.stderr);
    assert.equal(failure.reason, 'authorization_declined');
    assert.match(failure.message, /Sign-in was declined.*nothing ran/);
    assert.equal(done.stdout, '');
    assert.equal(sandbox.control.counters().api.incidentsGet, 0);
  });

  it("expired on Entra's side (expired_token): exit 11", async () => {
    const cli = runAsUser(tenantEnv('graph'), ['--dry-run']);
    await promptOf(cli);
    // Entra's clock passes the code's 30 s; the CLI's own timer has not run out.
    clockOffsetMs = 31_000;
    const done = await cli.finished;
    assert.equal(done.code, EXIT.signInExpired, done.stderr);
    const failure = failureLine(done.stderr);
    assert.equal(failure.reason, 'expired_token');
    assert.match(failure.message, /code expired before it was approved: nothing ran/);
  });

  it('expired on the CLI side (the local timer, device_code_expired): exit 11', async () => {
    sandbox.control.setDeviceCodeTiming({ expiresInSeconds: 1 });
    const cli = runAsUser(tenantEnv('graph'), ['--dry-run']);
    await promptOf(cli);
    // Entra's clock now lags: only the client's own timer can end the wait.
    clockOffsetMs = -60_000;
    const done = await cli.finished;
    assert.equal(done.code, EXIT.signInExpired, done.stderr);
    assert.match(failureLine(done.stderr).message, /its time ran out here/);
  });

  it('slow_down (polled faster than Entra wants): exit 12, retry later', async () => {
    sandbox.control.setDeviceCodeTiming({ minPollSeconds: 60 });
    const cli = runAsUser(tenantEnv('graph'), ['--dry-run']);
    const done = await cli.finished;
    assert.equal(done.code, EXIT.signInSlowDown, done.stderr);
    const failure = failureLine(done.stderr);
    assert.equal(failure.reason, 'slow_down');
    assert.match(failure.message, /run the command again/);
  });

  it('a device code Entra does not know (bad_verification_code): exit 13', async () => {
    sandbox.control.setDeviceCodeTiming({ intervalSeconds: 0.2 });
    const cli = runAsUser(tenantEnv('graph'), ['--dry-run']);
    await promptOf(cli);
    sandbox.control.forgetDeviceCodes();
    const done = await cli.finished;
    assert.equal(done.code, EXIT.signInBadCode, done.stderr);
    assert.equal(failureLine(done.stderr).reason, 'bad_verification_code');
  });

  it('an app that is not a public client (AADSTS7000218): exit 14, says to allow public client flows', async () => {
    // The Function App's own (confidential) registration configured as the CLI's.
    const cli = runAsUser(tenantEnv('graph', { RIPOSTE_CLI_CLIENT_ID: sandbox.clientId }), ['--dry-run']);
    const done = await cli.finished;
    assert.equal(done.code, EXIT.signInRefused, done.stderr);
    const failure = failureLine(done.stderr);
    assert.equal(failure.reason, 'public_client_not_allowed');
    assert.match(failure.message, /AADSTS7000218\): it is not a public client.*"Allow public client flows" to Yes/);
  });

  it("the analyst's Defender role is denied (403): exit 15, the message names the user, the incident unchanged", async () => {
    // Oscar signs in fine, but Defender gives him no role.
    sandbox.control.setUserRole('oscar.outsider@contoso.com', 'none');
    const before = sandbox.control.incident('3309');
    const cli = runAsUser(tenantEnv('graph', await storage()));
    const prompt = await promptOf(cli);
    await signIn(prompt.verificationUri, sandbox.caPem, {
      user_code: prompt.userCode,
      user: 'oscar.outsider@contoso.com',
    });
    const done = await cli.finished;
    assert.equal(done.code, EXIT.userForbidden, done.stderr);
    assert.match(done.stderr, /riposte: the Defender API refused oscar\.outsider@contoso\.com at step apply \(403: /);
    const report = JSON.parse(done.stdout) as RunReport;
    assert.equal(report.status, 'failed');
    const now = sandbox.control.incident('3309');
    assert.equal(now?.status, before?.status);
    assert.equal(now?.comments.length, before?.comments.length);
  });

  it('Ctrl-C while waiting for the sign-in: exit 130, nothing ran', async () => {
    const args = ['run', 'ticket-sync', '--user', '--dry-run', '--input', input, '--dir', join(__dirname, '..', '..')];
    const cli = start(process.execPath, [BIN, ...args], {
      cwd: dir,
      env: tenantEnv('graph'),
      detached: true,
    });
    await cli.waitFor(/Waiting for the sign-in/);
    process.kill(-(cli.child.pid ?? 0), 'SIGINT');
    const done = await cli.finished;
    assert.equal(done.code, 130, done.stderr);
    assert.match(done.stderr, /SIGINT while waiting for the sign-in: nothing ran/);
    assert.equal(sandbox.control.counters().api.incidentsGet, 0);
  });

  it('refuses --user against a tenant without RIPOSTE_CLI_CLIENT_ID (no Azure CLI default), or with storage it cannot reach: exit 2', async () => {
    const env = tenantEnv('graph');
    delete env.RIPOSTE_CLI_CLIENT_ID;
    const done = await runAsUser(env, ['--dry-run']).finished;
    assert.equal(done.code, EXIT.usage, done.stderr);
    assert.match(
      done.stderr,
      /RIPOSTE_CLI_CLIENT_ID is not set: --user signs you in with the CLI's own app registration/,
    );
    assert.equal(sandbox.control.requests().filter((r) => r.family === 'devicecode').length, 0);

    // The identity-based storage setting needs a managed identity, which a laptop lacks: a write run says so.
    const byName = await runAsUser(tenantEnv('graph', { AzureWebJobsStorage__accountName: 'riposteprod' })).finished;
    assert.equal(byName.code, EXIT.usage, byName.stderr);
    assert.match(
      byName.stderr,
      /AzureWebJobsStorage__accountName needs a managed identity.*set AzureWebJobsStorage to/,
    );
  });
});
