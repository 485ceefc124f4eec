// Expands entry patterns (`functions/*.ts`, `dist/functions/**/*.js`, plain paths) to files and loads them, so the
// app's `app.*()` calls register with the fake core. TypeScript entries need tsx's require hook.
import { existsSync, readdirSync, statSync } from 'node:fs';
import { isAbsolute, join, resolve, sep } from 'node:path';

function segmentRegex(glob: string): RegExp {
  const source = glob
    .replace(/[.+^${}()|[\]\\]/g, '\\$&')
    .replace(/\*/g, '[^/]*')
    .replace(/\?/g, '[^/]');
  return new RegExp(`^${source}$`);
}

function walk(dir: string, segments: string[]): string[] {
  if (segments.length === 0) return existsSync(dir) && statSync(dir).isFile() ? [dir] : [];
  const [head, ...tail] = segments;
  if (!existsSync(dir) || !statSync(dir).isDirectory()) return [];
  if (head === '**') {
    const here = walk(dir, tail);
    const deeper = readdirSync(dir, { withFileTypes: true })
      .filter((d) => d.isDirectory() && d.name !== 'node_modules' && !d.name.startsWith('.'))
      .flatMap((d) => walk(join(dir, d.name), segments));
    return [...here, ...deeper];
  }
  if (!/[*?]/.test(head!)) return walk(join(dir, head!), tail);
  const re = segmentRegex(head!);
  return readdirSync(dir)
    .filter((name) => re.test(name))
    .flatMap((name) => walk(join(dir, name), tail));
}

/**
 * Expand patterns relative to `cwd` into absolute file paths (sorted, de-duplicated; `.d.ts` and maps skipped).
 * @throws {Error} when a pattern matches nothing, since a typo would otherwise start an empty host
 */
export function expandEntries(patterns: string[], cwd = process.cwd()): string[] {
  const out = new Set<string>();
  for (const pattern of patterns) {
    const abs = isAbsolute(pattern) ? pattern : resolve(cwd, pattern);
    const root = abs.startsWith(sep) ? sep : '';
    const files = walk(root || cwd, abs.split(sep).filter(Boolean)).filter(
      (f) => !f.endsWith('.d.ts') && !f.endsWith('.map'),
    );
    if (files.length === 0) throw new Error(`entry "${pattern}" matched no files`);
    for (const f of files.sort()) out.add(f);
  }
  return [...out];
}

/** `require` every entry; registers tsx first when TypeScript files are loaded outside tsx. */
export function loadEntries(files: string[]): void {
  const needsTs = files.some((f) => /\.[cm]?tsx?$/.test(f));
  if (needsTs && !('.ts' in require.extensions)) {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    (require('tsx/cjs/api') as { register(): void }).register();
  }
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  for (const file of files) require(file);
}
