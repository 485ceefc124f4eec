// README and docs/: every relative link points at a file that exists, and every #anchor at a heading of that file
// (GitHub's slugs), so a moved file or a renamed section shows up in CI instead of as a dead link.
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { describe, it } from 'node:test';

const REPO = join(__dirname, '..', '..');
const FILES = [join(REPO, 'README.md'), ...readdirSync(join(REPO, 'docs')).map((f) => join(REPO, 'docs', f))].filter(
  (f) => f.endsWith('.md'),
);

/** GitHub's heading anchor: lower case, punctuation dropped, spaces to dashes. */
function slug(heading: string): string {
  return heading
    .trim()
    .toLowerCase()
    .replace(/[`*_]/g, '')
    .replace(/[^\p{L}\p{N}\s-]/gu, '')
    .replace(/\s/g, '-');
}

function anchors(file: string): Set<string> {
  const text = readFileSync(file, 'utf8').replace(/```[\s\S]*?```/g, '');
  return new Set([...text.matchAll(/^#{1,6}\s+(.+)$/gm)].map((m) => slug(m[1] ?? '')));
}

function links(file: string): string[] {
  const text = readFileSync(file, 'utf8').replace(/```[\s\S]*?```/g, '');
  return [...text.matchAll(/\]\(([^)\s]+)\)/g)].map((m) => m[1] ?? '').filter((l) => !/^(https?:|mailto:)/.test(l));
}

describe('links in README and docs/', () => {
  it('finds the docs this task ships', () => {
    for (const name of ['deploy.md', 'recipes.md', 'operations.md']) {
      assert.ok(FILES.includes(join(REPO, 'docs', name)), name);
    }
  });

  for (const file of FILES) {
    it(`${relative(REPO, file)}: relative links resolve`, () => {
      const found = links(file);
      assert.ok(found.length > 0 || file.endsWith('README.md'), 'has links');
      for (const link of found) {
        const [path = '', anchor] = link.split('#');
        const target = path === '' ? file : join(dirname(file), decodeURIComponent(path));
        assert.ok(existsSync(target), `${link}: ${relative(REPO, target)} does not exist`);
        if (anchor && statSync(target).isFile() && target.endsWith('.md')) {
          assert.ok(anchors(target).has(anchor), `${link}: no heading #${anchor} in ${relative(REPO, target)}`);
        }
      }
    });
  }

  it('the slug rule matches GitHub for the headings linked here', () => {
    assert.equal(slug('4. Put the client secret into Key Vault'), '4-put-the-client-secret-into-key-vault');
    assert.equal(slug('ServiceNow (`servicenow.yaml`)'), 'servicenow-servicenowyaml');
  });
});
