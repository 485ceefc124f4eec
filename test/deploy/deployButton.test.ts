// The Deploy to Azure buttons (README and docs/deploy.md) open the portal on this repository's template, public
// cloud and Azure Government each with its own portal and image; the release workflow attaches the package the
// template's packageUri is documented to take.
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { parse as parseYaml } from 'yaml';

const REPO = join(__dirname, '..', '..');
const read = (file: string): string => readFileSync(join(REPO, file), 'utf8');
const BUTTON = /\[!\[([^\]]+)\]\((https:\/\/aka\.ms\/[^)]+)\)\]\((https:\/\/portal\.azure\.[a-z]+\/[^)]+)\)/g;
const PORTALS: Record<string, { portal: string; image: string }> = {
  'Deploy to Azure': { portal: 'https://portal.azure.com', image: 'https://aka.ms/deploytoazurebutton' },
  'Deploy to Azure Government': { portal: 'https://portal.azure.us', image: 'https://aka.ms/deploytoazuregovbutton' },
};

describe('Deploy to Azure buttons', () => {
  for (const file of ['README.md', 'docs/deploy.md']) {
    it(`${file}: both buttons open the template in their cloud's portal`, () => {
      const buttons = [...read(file).matchAll(BUTTON)];
      assert.deepEqual(buttons.map((b) => b[1]).sort(), Object.keys(PORTALS).sort());
      for (const [, label, image, link] of buttons) {
        const expected = PORTALS[label!]!;
        assert.equal(image, expected.image);
        const prefix = `${expected.portal}/#create/Microsoft.Template/uri/`;
        assert.ok(link!.startsWith(prefix), link);
        const encoded = link!.slice(prefix.length);
        assert.doesNotMatch(encoded, /[/:]/, 'the template URL is URL-encoded');
        const template = new URL(decodeURIComponent(encoded));
        assert.equal(template.host, 'raw.githubusercontent.com');
        const [, , repo, branch, ...path] = template.pathname.split('/');
        assert.deepEqual([repo, branch], ['riposte', 'main']);
        assert.ok(existsSync(join(REPO, ...path)), `${path.join('/')} exists in the repository`);
        assert.equal(path.join('/'), 'infra/azuredeploy.json');
      }
    });
  }
});

describe('release workflow', () => {
  const workflow = parseYaml(read('.github/workflows/release.yml')) as {
    on: { push: { tags: string[] } };
    jobs: Record<string, { steps: { run?: string }[] }>;
  };
  const runs = Object.values(workflow.jobs).flatMap((j) => j.steps.map((s) => s.run ?? ''));

  it('on a version tag, passes CI, builds the package and attaches riposte.zip to the release', () => {
    assert.deepEqual(workflow.on.push.tags, ['v*']);
    const ci = runs.findIndex((r) => r.includes('bash .ci/run'));
    const pack = runs.findIndex((r) => /npm run package -- --out riposte\.zip/.test(r));
    const upload = runs.findIndex((r) => /gh release upload .* riposte\.zip/.test(r));
    assert.ok(ci >= 0 && ci < pack && pack < upload, 'CI, then package, then upload');
    const scripts = (JSON.parse(read('package.json')) as { scripts: Record<string, string> }).scripts;
    assert.equal(scripts.package, 'tsx scripts/packageApp.ts');
  });

  it('matches the packageUri form docs/deploy.md gives', () => {
    assert.match(read('docs/deploy.md'), /releases\/download\/v[\d.]+\/riposte\.zip/);
  });
});
