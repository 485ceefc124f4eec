// Vendor-documented fixtures (test/contracts/fixtures/<vendor>/...); fixtures/INDEX.md names the page each comes from.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

export const FIXTURE_DIR = join(__dirname, 'fixtures');

/** The fixture's exact bytes as text. */
export function fixtureText(path: string): string {
  return readFileSync(join(FIXTURE_DIR, path), 'utf8');
}

/** A fresh parsed copy of a JSON fixture (callers may change it). */
export function fixtureJson<T = Record<string, unknown>>(path: string): T {
  return JSON.parse(fixtureText(path)) as T;
}
