// The azd layout: azure.yaml → infra/main.bicep → infra/azuredeploy.json. No Bicep compiler can be installed here,
// so main.bicep is checked as text against the template it wraps: the module path exists, every parameter it passes
// is one the template declares with the same allowed values, every output it reads is one the template has, and
// main.parameters.json fills only parameters main.bicep declares, from azd's environment values.
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { parse as parseYaml } from 'yaml';

const INFRA = join(__dirname, '..', '..', 'infra');
const bicep = readFileSync(join(INFRA, 'main.bicep'), 'utf8');
const template = JSON.parse(readFileSync(join(INFRA, 'azuredeploy.json'), 'utf8')) as {
  parameters: Record<string, { type: string; allowedValues?: unknown[]; defaultValue?: unknown }>;
  outputs: Record<string, { type: string }>;
};

interface BicepParam {
  name: string;
  type: string;
  allowed?: string[];
  defaultValue?: string;
}

/** `param` declarations with the @allowed decorator just above them. */
function bicepParams(text: string): BicepParam[] {
  const out: BicepParam[] = [];
  let allowed: string[] | undefined;
  for (const line of text.split('\n')) {
    const a = /^@allowed\(\[(.*)\]\)/.exec(line);
    if (a) allowed = [...a[1]!.matchAll(/'([^']*)'/g)].map((m) => m[1]!);
    const p = /^param (\w+) (\w+)(?: = (.+))?$/.exec(line);
    if (p) {
      out.push({ name: p[1]!, type: p[2]!, ...(allowed ? { allowed } : {}), ...(p[3] ? { defaultValue: p[3] } : {}) });
      allowed = undefined;
    }
  }
  return out;
}

describe('azd layout (azure.yaml, infra/main.bicep)', () => {
  const params = bicepParams(bicep);
  const module = /module riposte '([^']+)' = \{([\s\S]*?)\n\}/.exec(bicep);

  it('azure.yaml provisions infra/main.bicep and deploys this folder to the app tagged api', () => {
    const azd = parseYaml(readFileSync(join(INFRA, '..', 'azure.yaml'), 'utf8')) as {
      infra: { provider: string; path: string; module: string };
      services: Record<string, { project: string; host: string; language: string }>;
    };
    assert.deepEqual(azd.infra, { provider: 'bicep', path: 'infra', module: 'main' });
    assert.ok(existsSync(join(INFRA, `${azd.infra.module}.bicep`)));
    assert.deepEqual(azd.services.api, { project: '.', language: 'ts', host: 'function' });
    const site = (
      template as unknown as { resources: { type: string; tags?: Record<string, string> }[] }
    ).resources.find((r) => r.type === 'Microsoft.Web/sites');
    assert.equal(site?.tags?.['azd-service-name'], 'api', 'azd deploy finds the app by this tag');
  });

  it('wraps the ARM template as a module in a resource group tagged for the azd environment', () => {
    assert.match(bicep, /^targetScope = 'subscription'$/m);
    assert.match(bicep, /tags: \{ 'azd-env-name': environmentName \}/);
    assert.ok(module, 'a module named riposte');
    assert.equal(module[1], 'azuredeploy.json');
    assert.ok(existsSync(join(INFRA, module[1]!)));
    assert.match(module[2]!, /name: 'riposte'/, 'the deployment name infra/postdeploy.sh reads by default');
    assert.match(module[2]!, /scope: rg/);
  });

  it('passes only parameters the template declares, with matching types and allowed values', () => {
    const passed = [...module![2]!.matchAll(/^\s{4}(\w+): (\w+)$/gm)].map((m) => ({ name: m[1]!, from: m[2]! }));
    assert.ok(passed.length >= 4);
    const types: Record<string, string> = { string: 'string', bool: 'bool', int: 'int' };
    for (const { name, from } of passed) {
      const target = template.parameters[name];
      assert.ok(target, `the template declares ${name}`);
      const source = params.find((p) => p.name === from);
      assert.ok(source, `main.bicep declares ${from}`);
      assert.equal(types[source.type], target.type, `${name}: ${source.type} vs ${target.type}`);
      if (target.allowedValues) assert.deepEqual(source.allowed, target.allowedValues, `${name} allowed values`);
      // The same default as the template, so `azd up` and the Deploy button give the same app.
      const literal = target.defaultValue;
      if (source.defaultValue !== undefined && !(typeof literal === 'string' && literal.startsWith('[')))
        assert.equal(source.defaultValue, typeof literal === 'string' ? `'${literal}'` : String(literal), name);
    }
    // Every declared parameter is used: an unused one would be a setting the user changes to no effect.
    for (const p of params)
      assert.ok((bicep.match(new RegExp(`\\b${p.name}\\b`, 'g')) ?? []).length >= 2, `${p.name} is used`);
  });

  it('reads only outputs the template has', () => {
    const read = [...bicep.matchAll(/riposte\.outputs\.(\w+)/g)].map((m) => m[1]!);
    assert.ok(read.length >= 3);
    for (const name of read) assert.ok(template.outputs[name], `the template outputs ${name}`);
  });

  it('main.parameters.json fills declared parameters from azd environment values', () => {
    const file = JSON.parse(readFileSync(join(INFRA, 'main.parameters.json'), 'utf8')) as {
      parameters: Record<string, { value: string }>;
    };
    assert.deepEqual(file.parameters, {
      environmentName: { value: '${AZURE_ENV_NAME}' },
      location: { value: '${AZURE_LOCATION}' },
    });
    for (const name of Object.keys(file.parameters))
      assert.ok(
        params.some((p) => p.name === name),
        name,
      );
    for (const p of params.filter((x) => x.defaultValue === undefined))
      assert.ok(p.name in file.parameters, `required parameter ${p.name} is filled`);
  });
});
