// Content folders for the device-actions recipe's e2e tests: the shipped queries and mappings plus the recipe's
// workflow, taken from docs/recipes.md as a user would copy it (so the recipe cannot drift from what the tests run).
import assert from 'node:assert/strict';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const REPO = join(__dirname, '..', '..');

export function deviceRecipeContent(): { dir: string; remove(): void } {
  const dir = mkdtempSync(join(tmpdir(), 'riposte-e2e-devices-'));
  const doc = readFileSync(join(REPO, 'docs', 'recipes.md'), 'utf8');
  const yaml = /```yaml\n(# workflows\/contain-hunted-devices\.yaml[\s\S]*?)```/.exec(doc)?.[1];
  assert.ok(yaml, 'docs/recipes.md holds the contain-hunted-devices recipe');
  cpSync(join(REPO, 'queries'), join(dir, 'queries'), { recursive: true });
  cpSync(join(REPO, 'mappings'), join(dir, 'mappings'), { recursive: true });
  mkdirSync(join(dir, 'workflows'));
  writeFileSync(join(dir, 'workflows', 'contain-hunted-devices.yaml'), yaml);
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}
