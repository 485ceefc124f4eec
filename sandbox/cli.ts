// `npm run sandbox`: runs the sandbox standalone on fixed ports and prints where everything is and the settings that
// point Riposte at it. Flags: --port, --mi-port (or SANDBOX_PORT / SANDBOX_MI_PORT), --data-dir, --api graph|legacy,
// --rate-limit-scale, --no-rate-limits, --no-seed, -h/--help. The CA is kept in the data dir across restarts.
// Also `npx riposte sandbox`, which calls main() with its arguments.
import { parseArgs } from 'node:util';
import { startSandbox } from './index';

export const USAGE = `Usage: npm run sandbox -- [options]   (or: npx riposte sandbox [options])

Starts the offline sandbox (Entra ID, managed identity, Key Vault, Graph and legacy Defender API on 127.0.0.1)
and prints the settings that point Riposte at it. Runs until Ctrl-C.

Options:
  --port <n>               HTTPS port (default 8443, or SANDBOX_PORT; 0 picks a free one).
  --mi-port <n>            Managed-identity endpoint port (default 8081, or SANDBOX_MI_PORT).
  --data-dir <dir>         Where the CA and identity header are kept across restarts (default .data/sandbox).
  --api graph|legacy       Which API the printed settings point at (default graph).
  --rate-limit-scale <x>   Multiply every quota window by x (0.05 makes 3-second minutes; default 1).
  --no-rate-limits         Do not enforce the API quotas.
  --no-seed                Start with no incidents or hunting data.
  -h, --help               This text.

Exit codes: 0 stopped with Ctrl-C (or --help); 1 could not start (e.g. a port in use); 2 usage error.`;

/** A wrong flag or value: exit code 2, with the usage. */
class UsageError extends Error {}

function port(value: string | undefined, fallback: number, name: string): number {
  if (value === undefined || value === '') return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0 || n > 65535)
    throw new UsageError(`${name} must be a port number (0-65535), got '${value}'`);
  return n;
}

/**
 * @returns the exit code when the command ends at once (help, a usage error, a failed start); while the sandbox runs
 *   it does not resolve, and Ctrl-C stops the sandbox and the process.
 */
export async function main(argv: string[] = process.argv.slice(2)): Promise<number> {
  try {
    return await serve(argv);
  } catch (e) {
    const message = e instanceof Error ? e.message : String(e);
    const usage = e instanceof UsageError || (e as { code?: string }).code?.startsWith('ERR_PARSE_ARGS') === true;
    console.error(`sandbox: ${message}`);
    if ((e as { code?: string }).code === 'EADDRINUSE')
      console.error('A port is in use: pick others with --port / --mi-port.');
    if (usage) console.error('Run with --help for the options.');
    return usage ? 2 : 1;
  }
}

async function serve(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      port: { type: 'string' },
      'mi-port': { type: 'string' },
      'data-dir': { type: 'string' },
      api: { type: 'string' },
      'rate-limit-scale': { type: 'string' },
      'no-rate-limits': { type: 'boolean' },
      'no-seed': { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    console.log(USAGE);
    return 0;
  }
  const api = values.api ?? 'graph';
  if (api !== 'graph' && api !== 'legacy') throw new UsageError(`--api must be graph or legacy, got '${api}'`);
  const scale = values['rate-limit-scale'] === undefined ? 1 : Number(values['rate-limit-scale']);
  if (!(scale > 0)) throw new UsageError('--rate-limit-scale must be a number greater than 0');
  const ports = {
    port: port(values.port ?? process.env.SANDBOX_PORT, 8443, '--port'),
    miPort: port(values['mi-port'] ?? process.env.SANDBOX_MI_PORT, 8081, '--mi-port'),
  };

  const sandbox = await startSandbox({
    ...ports,
    dataDir: values['data-dir'] ?? '.data/sandbox',
    rateLimitScale: scale,
    rateLimits: !values['no-rate-limits'],
    seed: !values['no-seed'],
    persistCa: true,
  });
  const settings = sandbox.settings(api);
  const row = (label: string, value: string): string => `  ${label.padEnd(30)} ${value}`;
  console.log(
    [
      'Riposte sandbox: an offline Microsoft cloud on 127.0.0.1 (nothing here talks to Microsoft)',
      '',
      row(
        'Entra ID (authority host)',
        `${sandbox.authorityHost}/${sandbox.tenantId}/v2.0/.well-known/openid-configuration`,
      ),
      row('Key Vault', `${sandbox.vaultUrl}/secrets/${sandbox.secretName}`),
      row('Graph security API', `${sandbox.graphBaseUrl}/security/incidents, /security/runHuntingQuery`),
      row('Legacy Defender XDR API', `${sandbox.legacyBaseUrl}/api/incidents, /api/advancedhunting/run`),
      row('Defender for Endpoint API', `${sandbox.mdeBaseUrl}/api/machines, /api/machineactions`),
      row('Managed identity (App Service)', `${sandbox.identityEndpoint} (needs x-identity-header)`),
      row('CA certificate', `${sandbox.caFile} (e.g. curl --cacert ${sandbox.caFile})`),
      row('Tenant / client id', `${sandbox.tenantId} / ${sandbox.clientId}`),
      row('Rate limits', values['no-rate-limits'] ? 'off' : `on, windows x ${scale}`),
      '',
      `Settings for Riposte (DEFENDER_API=${api}; use --api ${api === 'graph' ? 'legacy' : 'graph'} for the other backend):`,
      '',
      ...Object.entries(settings).map(([k, v]) => `${k}=${v}`),
      '',
      'As local.settings.json:',
      '',
      JSON.stringify({ IsEncrypted: false, Values: settings }, null, 2),
      '',
      'The client secret lives only in the sandbox Key Vault; Riposte reads it with the managed identity above.',
      'Press Ctrl-C to stop.',
    ].join('\n'),
  );

  let stopping = false;
  const stop = (signal: string): void => {
    if (stopping) return;
    stopping = true;
    console.log(`\n${signal}: stopping the sandbox...`);
    sandbox.close().then(
      () => process.exit(0),
      (e: unknown) => {
        console.error(e);
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGTERM', () => stop('SIGTERM'));
  return new Promise<number>(() => {});
}

if (require.main === module) {
  void main().then((code) => {
    process.exitCode = code;
  });
}
