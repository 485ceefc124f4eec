// The status-code table in README (HTTP API) and docs/recipes.md is the contract as implemented: both copies say
// the same, every code in a row maps to that row's status through shared/httpStatus.ts (for some upstream status,
// where the contract depends on it), the Retry-After column matches, and every code the contract knows is listed.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { httpStatusFor } from '../../shared/httpStatus';

const REPO = join(__dirname, '..', '..');
const read = (file: string): string => readFileSync(join(REPO, file), 'utf8');

interface Row {
  status: number;
  codes: string[];
  retryAfter: boolean;
  text: string;
}

function statusTable(markdown: string, file: string): Row[] {
  const lines = markdown.split('\n');
  const start = lines.findIndex((l) => /^\| Status\s+\| Codes\s+\| When/.test(l));
  assert.ok(start >= 0, `${file} has the status table`);
  const rows: Row[] = [];
  for (const line of lines.slice(start + 2)) {
    if (!line.startsWith('|')) break;
    const cells = line
      .split(/(?<!\\)\|/)
      .slice(1, -1)
      .map((c) => c.trim());
    const [status = '', codes = '', , retryAfter = ''] = cells;
    rows.push({
      status: Number(status),
      codes: [...codes.matchAll(/`([A-Z_]+)`/g)].map((m) => m[1]!),
      retryAfter: /^yes/.test(retryAfter),
      // Link targets differ by folder; the words must not.
      text: cells.join(' | ').replace(/\]\([^)]*\)/g, ']'),
    });
  }
  return rows;
}

const readme = statusTable(read('README.md'), 'README.md');
const recipes = statusTable(read('docs/recipes.md'), 'docs/recipes.md');
const UPSTREAM = [undefined, 200, 400, 401, 403, 404, 409, 422, 429, 500, 503];

describe('the status-code table', () => {
  it('says the same in README and docs/recipes.md', () => {
    assert.deepEqual(
      recipes.map((r) => r.text),
      readme.map((r) => r.text),
    );
  });

  it('maps every listed code to its row through shared/httpStatus.ts, Retry-After included', () => {
    for (const row of readme) {
      assert.ok(row.codes.length > 0, `row ${row.status} names its codes`);
      for (const code of row.codes) {
        const decisions = UPSTREAM.map((upstreamStatus) => httpStatusFor({ code, upstreamStatus }));
        const match = decisions.find((d) => d.status === row.status);
        assert.ok(match, `${code} can answer ${row.status} (it answers ${decisions.map((d) => d.status).join('/')})`);
        assert.equal(match.retryAfterSeconds !== undefined, row.retryAfter, `${code} ${row.status}: Retry-After`);
      }
    }
  });

  it('lists every code the contract knows', () => {
    const known = [...read('shared/httpStatus.ts').matchAll(/case '([A-Z_]+)':/g)].map((m) => m[1]!);
    assert.ok(known.length > 10);
    const listed = new Set(readme.flatMap((r) => r.codes));
    assert.deepEqual(
      known.filter((c) => !listed.has(c)),
      [],
      'codes missing from the table',
    );
  });
});
