// Loaded before every test file (scripts/test.mjs) when RIPOSTE_LOG_CAPTURE_DIR is set: everything the test process
// writes to stdout and stderr (console, context and host log lines, reporter output with error messages) is kept in
// memory, and at exit it is searched for credentials: JWTs, non-redacted bearer tokens, values shaped like Entra
// client secrets, asynchronous runs' status-URL tokens (`token=` in a printed Location), and any value a test
// registered with registerSecrets() (webhook secrets, function keys, tokens).
// Findings go to <dir>/<pid>.json, masked; scripts/test.mjs fails the run when there are any.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';

const REGISTRY = Symbol.for('riposte.test.secrets');
const MAX_CAPTURE_CHARS = 64 * 1024 * 1024;

type Registry = Set<string>;
const globalStore = globalThis as unknown as Record<symbol, Registry | undefined>;

/** Values that must never be printed by this test process (short values are ignored: they match by chance). */
export function registerSecrets(values: Iterable<string | undefined>): void {
  const set = (globalStore[REGISTRY] ??= new Set());
  for (const v of values) if (v && v.length >= 12) set.add(v);
}

/** Credential shapes worth flagging wherever they appear. */
export const CREDENTIAL_PATTERNS: ReadonlyArray<[string, RegExp]> = [
  ['jwt', /\beyJ[A-Za-z0-9_-]{10,}\.eyJ[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{20,}/g],
  ['bearer token', /\bBearer\s+(?!\[REDACTED)[A-Za-z0-9\-._~+/]{20,}=*/g],
  ['Entra client secret', /(?<![A-Za-z0-9_.~-])[A-Za-z0-9_.-]{3}8Q~[A-Za-z0-9_.~-]{34}(?![A-Za-z0-9_.~-])/g],
  // An asynchronous run's status-URL token (shared/automation/asyncRuns.ts: 32 random bytes, base64url).
  // A client certificate's private key (CREDENTIAL_SOURCE keyVaultCertificate: the Key Vault certificate's PEM).
  ['private key', /-----BEGIN [A-Z ]*PRIVATE KEY-----/g],
  ['run status token', /[?&]token=[A-Za-z0-9_-]{43}(?![A-Za-z0-9_-])/g],
];

export interface Finding {
  kind: string;
  /** First and last characters only. */
  masked: string;
  /** The line around it with the value masked. */
  context: string;
}

const mask = (v: string): string => `${v.slice(0, 4)}…${v.slice(-2)} (${v.length} chars)`;

/** Every credential in `text`: pattern matches and registered values. */
export function findCredentials(text: string, registered: Iterable<string> = []): Finding[] {
  const hits: Array<{ kind: string; value: string; at: number }> = [];
  for (const [kind, re] of CREDENTIAL_PATTERNS)
    for (const m of text.matchAll(re)) hits.push({ kind, value: m[0], at: m.index ?? 0 });
  for (const value of registered) {
    for (let at = text.indexOf(value); at >= 0; at = text.indexOf(value, at + value.length))
      hits.push({ kind: 'registered secret', value, at });
  }
  // Every value found is masked in every context line, not just its own.
  const values = [...new Set(hits.map((h) => h.value))].sort((a, b) => b.length - a.length);
  return hits.map(({ kind, value, at }) => {
    const start = text.lastIndexOf('\n', at) + 1;
    const end = text.indexOf('\n', at);
    let line = text.slice(start, end < 0 ? undefined : end);
    for (const v of values) line = line.split(v).join('[…]');
    return { kind, masked: mask(value), context: line.slice(0, 400) };
  });
}

const dir = process.env.RIPOSTE_LOG_CAPTURE_DIR;
if (dir) {
  const chunks: string[] = [];
  let size = 0;
  const tee = (stream: NodeJS.WriteStream): void => {
    const write = stream.write.bind(stream) as (...args: unknown[]) => boolean;
    stream.write = ((chunk: unknown, ...rest: unknown[]) => {
      if (size < MAX_CAPTURE_CHARS) {
        const text = typeof chunk === 'string' ? chunk : Buffer.from(chunk as Uint8Array).toString('latin1');
        chunks.push(text);
        size += text.length;
      }
      return write(chunk, ...rest);
    }) as typeof stream.write;
  };
  tee(process.stdout);
  tee(process.stderr);
  process.on('exit', () => {
    const text = chunks.join('');
    const findings = findCredentials(text, globalStore[REGISTRY] ?? []);
    const file = process.argv.slice(1).find((a) => a.endsWith('.ts')) ?? process.argv[1] ?? '?';
    try {
      writeFileSync(join(dir, `${process.pid}.json`), JSON.stringify({ file, chars: text.length, findings }));
    } catch {
      // The directory is gone (the runner finished): nothing to report to.
    }
  });
}
