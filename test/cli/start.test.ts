// `npm start` (scripts/start.ts) as its own process, driven as a developer does: a copy of the sample settings, or
// settings in the environment and the file at once. The environment wins over local.settings.json, which wins over
// the sandbox's defaults; the banner says what is in effect and where it came from, with a usable secret (or where
// it lives) for each webhook source; and the effect is real (the legacy API answers, the given storage is used).
import assert from 'node:assert/strict';
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { QueueClient } from '@azure/storage-queue';
import { startAzurite, type Azurite } from '../../host/azurite';
import { baseEnv, REPO, tsxScript, type Running } from './cliProcess';

let dir: string;
const started: Running[] = [];
const azurites: Azurite[] = [];

before(() => {
  dir = mkdtempSync(join(tmpdir(), 'riposte-start-'));
});
after(async () => {
  for (const r of started) if (r.child.exitCode === null) r.child.kill('SIGKILL');
  await Promise.all(azurites.map((a) => a.stop()));
  rmSync(dir, { recursive: true, force: true });
});

interface Started {
  run: Running;
  banner: string;
  url: string;
  key: string;
  call(path: string): Promise<{ status: number; body: Record<string, unknown> }>;
}

/** npm start in `cwd` with the given settings file and environment, on a free port, until its banner is out. */
async function npmStart(name: string, env: Record<string, string | undefined>): Promise<Started> {
  const cwd = join(dir, name);
  const run = tsxScript(
    'scripts/start.ts',
    ['--port', '0', '--settings', join(cwd, 'local.settings.json'), '--data-dir', join(cwd, 'data')],
    { cwd, env },
  );
  started.push(run);
  await Promise.race([run.waitFor(/Press Ctrl-C to stop everything\./, 'stdout'), run.finished]);
  assert.equal(run.child.exitCode, null, `npm start ended: ${run.stderr.slice(-2000)}`);
  const banner = run.stdout;
  const url = /Functions on (http:\/\/127\.0\.0\.1:\d+):/.exec(banner)?.[1] ?? '';
  const key = /Function key \(header x-functions-key or \?code=\): (\S+)/.exec(banner)?.[1] ?? '';
  assert.ok(url && key, banner);
  return {
    run,
    banner,
    url,
    key,
    async call(path) {
      const res = await fetch(`${url}${path}`, { headers: { 'x-functions-key': key } });
      return { status: res.status, body: (await res.json()) as Record<string, unknown> };
    },
  };
}

/** The printed send-webhook line's secret, used by the send-webhook script as a person would. */
async function sendWebhook(s: Started, secret: string, comment: string): Promise<void> {
  const r = await tsxScript('scripts/sendWebhook.ts', [
    '--url',
    s.url,
    // `=` as the printed line has it: a generated key may begin with '-', which would read as an option.
    `--key=${s.key}`,
    '--secret',
    secret,
    '--incident',
    '3309',
    '--status',
    'inProgress',
    '--comment',
    comment,
  ]).finished;
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /^202 /);
}

/** Polls the app until incident 3309 carries the comment (the queue trigger applied the delivery). */
async function appliedComment(s: Started, text: string): Promise<string> {
  for (;;) {
    const { body } = await s.call('/api/incidents/3309');
    const found = (body.comments as { comment: string }[] | undefined)?.find((c) => c.comment.includes(text));
    if (found && body.status === 'inProgress') return found.comment;
    await new Promise((r) => setTimeout(r, 200));
  }
}

async function stop(s: Started): Promise<void> {
  s.run.child.kill('SIGINT');
  const r = await s.run.finished;
  assert.equal(r.code, 0, r.stderr.slice(-2000));
  assert.match(r.stdout, /Stopping the local host, Azurite and the sandbox/);
}

describe('npm start (own process)', () => {
  it('a copy of local.settings.sample.json starts against the sandbox; the printed secret signs a delivery', async () => {
    const cwd = join(dir, 'sample');
    rmSync(cwd, { recursive: true, force: true });
    mkdirSync(cwd);
    copyFileSync(join(REPO, 'local.settings.sample.json'), join(cwd, 'local.settings.json'));
    const s = await npmStart('sample', baseEnv());

    assert.match(s.banner, /Riposte is running against the offline sandbox \(TENANT_ID is not set\)\./);
    assert.match(s.banner, /DEFENDER_API +graph \(local settings\)/);
    assert.match(s.banner, /DEFENDER_CLOUD +public \(local settings\)/);
    assert.match(s.banner, /Defender API +https:\/\/127\.0\.0\.1:\d+\/v1\.0 \(the sandbox's graph API\)/);
    assert.match(s.banner, /Storage +Azurite started by npm start \(AzureWebJobsStorage is not set\)/);
    const generic = /generic: +(whsec_\S+) +\(generated for this run\)/.exec(s.banner)?.[1];
    assert.ok(generic, s.banner);
    assert.match(s.banner, /servicenow: +whsec_\S+ +\(generated for this run\)/);
    assert.match(s.banner, /jira: +[0-9a-f]{32} +\(generated for this run\)/);

    const deep = await s.call('/api/health/deep');
    assert.equal(deep.status, 200, JSON.stringify(deep.body));
    assert.equal(deep.body.api, 'graph');
    await sendWebhook(s, generic, 'from the sample settings');
    assert.match(await appliedComment(s, 'from the sample settings'), /\[riposte:[0-9a-f]{8}\]$/);
    await stop(s);
  });

  it('a second start on the same data folder begins from the seed again: its first scheduled run changes incident 3309', async () => {
    const cwd = join(dir, 'restart');
    mkdirSync(cwd);
    copyFileSync(join(REPO, 'local.settings.sample.json'), join(cwd, 'local.settings.json'));
    const banners: string[] = [];
    for (let round = 1; round <= 2; round++) {
      const s = await npmStart('restart', baseEnv());
      // suspicious-powershell's first window holds the seed's beacon on ws-fin-042 (incident 3309's device).
      for (;;) {
        const { body } = await s.call('/api/incidents/3309').catch((e: unknown) => {
          throw new Error(
            `npm start stopped answering (${String((e as { cause?: unknown }).cause ?? e)}); its output:\n${s.run.stdout.slice(-3000)}\n${s.run.stderr.slice(-3000)}`,
          );
        });
        if ((body.tags as string[] | undefined)?.includes('suspicious-powershell')) break;
        const runs = /suspicious-powershell.*(succeeded|stopped|failed)/.exec(s.run.stdout + s.run.stderr);
        if (runs && runs[1] !== 'succeeded') assert.fail(`round ${round}: ${runs[0]}`);
        await new Promise((r) => setTimeout(r, 200));
      }
      await stop(s);
      banners.push(s.banner);
    }
    for (const b of banners) assert.match(b, /Storage +Azurite started by npm start .*in memory/);
  });

  it('the environment wins over local.settings.json, which wins over the sandbox; given storage is used', async () => {
    const cwd = join(dir, 'layered');
    mkdirSync(cwd);
    const azurite = await startAzurite({ inMemory: true, ports: 'random' });
    azurites.push(azurite);
    const envGeneric = `whsec_${Buffer.from('environment-generic-secret!').toString('base64')}`;
    writeFileSync(
      join(cwd, 'local.settings.json'),
      JSON.stringify({
        IsEncrypted: false,
        Values: {
          // Placeholders as an old copy of the sample had them: not a tenant, not a vault.
          TENANT_ID: '00000000-0000-0000-0000-000000000000',
          KEY_VAULT_URL: 'https://<your-vault>.vault.azure.net',
          DEFENDER_API: 'graph',
          WEBHOOK_SECRET_JIRA: 'jira-secret-from-the-file',
          MARKER_TEXT: 'filemark',
        },
      }),
    );
    const s = await npmStart(
      'layered',
      baseEnv({
        DEFENDER_API: 'legacy',
        WEBHOOK_SECRET_GENERIC: envGeneric,
        AzureWebJobsStorage: azurite.connectionString,
        // Set but empty: does not count (Core Tools takes the file's value then).
        DEFENDER_CLOUD: '',
      }),
    );

    assert.match(s.banner, /against the offline sandbox \(TENANT_ID is not set\)/);
    assert.match(s.banner, /DEFENDER_API +legacy \(environment\)/);
    assert.match(s.banner, /Defender API +https:\/\/127\.0\.0\.1:\d+ \(the sandbox's legacy API\)/);
    assert.match(
      s.banner,
      new RegExp(
        `Storage +AzureWebJobsStorage from the environment \\(account devstoreaccount1, http://127\\.0\\.0\\.1:${azurite.queuePort}/devstoreaccount1\\); Azurite not started`,
      ),
    );
    assert.match(
      s.banner,
      /Placeholders +TENANT_ID \(local settings\), KEY_VAULT_URL \(local settings\): treated as not set/,
    );
    // The test runner's managed-identity variables cannot point at the sandbox: listed, not silently replaced.
    assert.match(
      s.banner,
      /Ignored +IDENTITY_ENDPOINT \(environment\), IDENTITY_HEADER \(environment\): the sandbox supplies these/,
    );
    assert.match(s.banner, /generic: +WEBHOOK_SECRET_GENERIC from the environment/);
    assert.match(s.banner, /jira: +WEBHOOK_SECRET_JIRA from the local settings/);
    assert.match(s.banner, /servicenow: +whsec_\S+ +\(generated for this run\)/);
    assert.ok(
      !s.banner.includes(envGeneric) && !s.banner.includes('jira-secret-from-the-file'),
      'set secrets not printed',
    );
    assert.match(s.banner, /--secret "\$WEBHOOK_SECRET_GENERIC"/);

    // In effect: the legacy client answers through the sandbox's legacy API, and deep health proves the path.
    const health = await fetch(`${s.url}/api/health`);
    assert.equal(((await health.json()) as { api: string }).api, 'legacy');
    const deep = await s.call('/api/health/deep');
    assert.equal(deep.status, 200, JSON.stringify(deep.body));
    assert.equal(deep.body.api, 'legacy');
    // The environment's secret signs; the file's MARKER_TEXT marks the comment; the given storage holds the queue.
    await sendWebhook(s, envGeneric, 'from the layered settings');
    assert.match(await appliedComment(s, 'from the layered settings'), /\[filemark:[0-9a-f]{8}\]$/);
    assert.ok(await new QueueClient(azurite.connectionString, 'riposte-ticket-events').exists());
    await stop(s);
  });

  it('settings that cannot work here are a usage error (exit 2) naming them, not a crash', async () => {
    const cwd = join(dir, 'errors');
    mkdirSync(cwd);
    writeFileSync(join(cwd, 'local.settings.json'), JSON.stringify({ Values: { DEFENDER_API: 'mainframe' } }));
    const cases: [Record<string, string | undefined>, RegExp][] = [
      [{}, /DEFENDER_API must be graph or legacy \(from the local settings\)/],
      [
        { DEFENDER_API: 'graph', TENANT_ID: '11111111-2222-3333-4444-555555555555', IDENTITY_ENDPOINT: undefined },
        /TENANT_ID is set \(from the environment\) but no managed identity is available here/,
      ],
      [{ DEFENDER_API: 'graph', AzureWebJobsStorage__accountName: 'riposteprod' }, /works in Azure only/],
    ];
    for (const [extra, message] of cases) {
      const env = baseEnv(extra);
      for (const [k, v] of Object.entries(extra)) if (v === undefined) delete env[k];
      const r = await tsxScript('scripts/start.ts', ['--port', '0', '--settings', join(cwd, 'local.settings.json')], {
        cwd,
        env,
      }).finished;
      assert.equal(r.code, 2, r.stderr);
      assert.match(r.stderr, message);
      assert.doesNotMatch(r.stderr, /\n\s+at /);
    }
  });
});
