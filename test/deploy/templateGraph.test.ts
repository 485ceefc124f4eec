// infra/azuredeploy.json "deployed on paper" with test/deploy/armEvaluator.ts: every expression parses and calls only
// ARM functions; parameters are checked against their own constraints; every dependsOn and reference() resolves to
// a resource the template declares; a resource that reads another's runtime state (reference by id, which ARM does
// not order by itself) depends on it; there is no cycle; and the default names are valid for their resource types.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import {
  calledFunctions,
  evaluateDeep,
  isArmFunction,
  isExpression,
  parseExpression,
  rgResourceId,
  type DeploymentScope,
  type EvaluationContext,
} from './armEvaluator';

interface ParameterDef {
  type: string;
  defaultValue?: unknown;
  allowedValues?: unknown[];
  minLength?: number;
  maxLength?: number;
  minValue?: number;
  maxValue?: number;
}
interface ResourceDef {
  condition?: string;
  type: string;
  name: string;
  scope?: string;
  dependsOn?: string[];
  [k: string]: unknown;
}
interface TemplateDef {
  parameters: Record<string, ParameterDef>;
  variables: Record<string, unknown>;
  resources: ResourceDef[];
  outputs: Record<string, { type: string; value: unknown }>;
}

const template = JSON.parse(
  readFileSync(join(__dirname, '..', '..', 'infra', 'azuredeploy.json'), 'utf8'),
) as TemplateDef;

const SCOPE: DeploymentScope = {
  subscriptionId: '00000000-1111-2222-3333-444444444444',
  tenantId: '55555555-6666-7777-8888-999999999999',
  resourceGroup: 'rg-riposte',
  location: 'swedencentral',
};

interface DeployedResource {
  id: string;
  type: string;
  name: string;
  deployed: boolean;
  dependsOn: string[];
  references: string[];
  body: Record<string, unknown>;
}

interface PaperDeployment {
  parameters: Record<string, unknown>;
  resources: DeployedResource[];
  outputs: Record<string, unknown>;
}

/** Relative scope `Provider/type/name[/type/name]` in the deployment's resource group, as ARM resolves it. */
function scopeId(scope: string): string {
  if (scope.startsWith('/')) return scope;
  const [provider, ...rest] = scope.split('/');
  const types = rest.filter((_, n) => n % 2 === 0);
  const names = rest.filter((_, n) => n % 2 === 1);
  return rgResourceId(SCOPE, [provider, ...types].join('/'), names);
}

function deployOnPaper(given: Record<string, unknown> = {}): PaperDeployment {
  let references: string[] = [];
  const parameters: Record<string, unknown> = {};
  const variables: Record<string, unknown> = {};
  const evaluating = new Set<string>();
  const ctx: EvaluationContext = {
    scope: SCOPE,
    parameter(name) {
      if (name in parameters) return parameters[name];
      const def = template.parameters[name];
      if (!def) throw new Error(`parameters('${name}') is not declared`);
      const value = name in given ? given[name] : evaluateDeep(def.defaultValue, ctx);
      if (value === undefined) throw new Error(`parameter ${name} has no value`);
      checkParameter(name, def, value);
      parameters[name] = value;
      return value;
    },
    variable(name) {
      if (name in variables) return variables[name];
      if (!(name in template.variables)) throw new Error(`variables('${name}') is not declared`);
      if (evaluating.has(name)) throw new Error(`variable ${name} refers to itself`);
      evaluating.add(name);
      variables[name] = evaluateDeep(template.variables[name], ctx);
      evaluating.delete(name);
      return variables[name];
    },
    onReference(id) {
      references.push(id);
    },
  };
  for (const name of Object.keys(template.parameters)) ctx.parameter(name);
  for (const name of Object.keys(given))
    assert.ok(name in template.parameters, `parameter ${name} is not declared by the template`);

  const resources = template.resources.map((r): DeployedResource => {
    references = [];
    const deployed = r.condition === undefined ? true : evaluateDeep(r.condition, ctx) === true;
    const type = String(evaluateDeep(r.type, ctx));
    const name = String(evaluateDeep(r.name, ctx));
    const id = r.scope
      ? `${scopeId(String(evaluateDeep(r.scope, ctx)))}/providers/${type}/${name}`
      : rgResourceId(SCOPE, type, name.split('/'));
    const dependsOn = (r.dependsOn ?? []).map((d) => String(evaluateDeep(d, ctx)));
    const body = evaluateDeep(r, ctx) as Record<string, unknown>;
    return { id, type, name, deployed, dependsOn, references: [...new Set(references)], body };
  });
  references = [];
  const outputs = Object.fromEntries(Object.entries(template.outputs).map(([k, o]) => [k, evaluateDeep(o.value, ctx)]));
  return { parameters, resources, outputs };
}

function checkParameter(name: string, def: ParameterDef, value: unknown): void {
  const types: Record<string, string> = { string: 'string', int: 'number', bool: 'boolean' };
  assert.equal(typeof value, types[def.type], `parameter ${name} is a ${def.type}`);
  if (def.allowedValues)
    assert.ok(def.allowedValues.includes(value), `parameter ${name}: ${String(value)} not allowed`);
  if (typeof value === 'string') {
    if (def.minLength !== undefined) assert.ok(value.length >= def.minLength, `${name} too short: ${value}`);
    if (def.maxLength !== undefined) assert.ok(value.length <= def.maxLength, `${name} too long: ${value}`);
  }
  if (typeof value === 'number') {
    if (def.minValue !== undefined) assert.ok(value >= def.minValue, `${name} below ${def.minValue}`);
    if (def.maxValue !== undefined) assert.ok(value <= def.maxValue, `${name} above ${def.maxValue}`);
  }
}

/** Every expression string in the template, with where it is. */
function expressions(value: unknown, at = '$'): { at: string; text: string }[] {
  if (typeof value === 'string') return isExpression(value) ? [{ at, text: value.slice(1, -1) }] : [];
  if (Array.isArray(value)) return value.flatMap((v, n) => expressions(v, `${at}[${n}]`));
  if (value && typeof value === 'object')
    return Object.entries(value).flatMap(([k, v]) => [
      ...expressions(k, `${at}.<key>`),
      ...expressions(v, `${at}.${k}`),
    ]);
  return [];
}

describe('infra/azuredeploy.json deployed on paper', () => {
  const paper = deployOnPaper();
  const byId = new Map(paper.resources.map((r) => [r.id, r]));

  it('parses every expression, and calls only ARM template functions', () => {
    const all = expressions(template);
    assert.ok(all.length > 50, 'the template is mostly expressions');
    for (const { at, text } of all) {
      const ast = parseExpression(text);
      for (const fn of calledFunctions(ast)) assert.ok(isArmFunction(fn), `${at}: ${fn}() is not an ARM function`);
    }
    assert.throws(() => parseExpression("concat('a', 'b'"), /expected , or \)/);
    assert.throws(() => deployOnPaperWith("[concatt('a')]"), /concatt\(\) is not an ARM template function/);
  });

  it('declares each resource once', () => {
    assert.equal(byId.size, paper.resources.length);
  });

  it('resolves every dependsOn to a resource the template declares', () => {
    for (const r of paper.resources)
      for (const d of r.dependsOn) assert.ok(byId.has(d), `${r.type} ${r.name} depends on ${d}, which is not declared`);
  });

  it('orders every reference(): the resource read is declared, and the reader depends on it', () => {
    const closure = (id: string, seen = new Set<string>()): Set<string> => {
      for (const d of byId.get(id)?.dependsOn ?? [])
        if (!seen.has(d)) {
          seen.add(d);
          closure(d, seen);
        }
      return seen;
    };
    let checked = 0;
    for (const r of paper.resources) {
      const before = closure(r.id);
      for (const ref of r.references) {
        assert.ok(byId.has(ref), `${r.name} reads ${ref}, which is not declared`);
        assert.ok(before.has(ref), `${r.type} ${r.name} reads ${ref} but does not depend on it`);
        checked++;
      }
    }
    assert.ok(checked >= 8, `${checked} references checked`);
  });

  it('has no dependency cycle', () => {
    const state = new Map<string, 'visiting' | 'done'>();
    const visit = (id: string, path: string[]): void => {
      if (state.get(id) === 'done') return;
      assert.notEqual(state.get(id), 'visiting', `cycle: ${[...path, id].join(' → ')}`);
      state.set(id, 'visiting');
      for (const d of byId.get(id)?.dependsOn ?? []) visit(d, [...path, id]);
      state.set(id, 'done');
    };
    for (const r of paper.resources) visit(r.id, []);
  });

  it('names role assignments with GUIDs, distinct per role and scope', () => {
    const assignments = paper.resources.filter((r) => r.type === 'Microsoft.Authorization/roleAssignments');
    assert.ok(assignments.length >= 5);
    for (const a of assignments) assert.match(a.name, /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
    assert.equal(new Set(assignments.map((a) => a.name)).size, assignments.length);
    for (const a of assignments) {
      const props = a.body.properties as { roleDefinitionId: string };
      assert.match(
        props.roleDefinitionId,
        /^\/subscriptions\/[^/]+\/providers\/Microsoft\.Authorization\/roleDefinitions\/[0-9a-f-]{36}$/,
      );
    }
  });

  it('gives valid default names: storage 3-24 lower-case letters and digits, Key Vault 3-24, app ≤ 40', () => {
    const storage = String(paper.parameters.storageAccountName);
    assert.match(storage, /^[a-z0-9]{3,24}$/);
    assert.match(String(paper.parameters.keyVaultName), /^[a-zA-Z][a-zA-Z0-9-]{1,22}[a-zA-Z0-9]$/);
    assert.doesNotMatch(String(paper.parameters.keyVaultName), /--/);
    assert.match(String(paper.parameters.appName), /^[a-z0-9][a-z0-9-]{0,38}[a-z0-9]$/);
    const container = paper.resources.find((r) => r.type.endsWith('/containers'));
    assert.match(String(container?.name.split('/')[2]), /^[a-z0-9](?!.*--)[a-z0-9-]{1,61}[a-z0-9]$/);
  });

  it('deploys the code only when packageUri is given', () => {
    const onedeploy = (p: PaperDeployment) => p.resources.find((r) => r.type === 'Microsoft.Web/sites/extensions');
    assert.equal(onedeploy(paper)?.deployed, false);
    const uri = 'https://github.com/example/riposte/releases/download/v0.1.0/riposte.zip';
    const withPackage = deployOnPaper({ packageUri: uri });
    const d = onedeploy(withPackage);
    assert.equal(d?.deployed, true);
    assert.equal(d?.name, `${String(withPackage.parameters.appName)}/onedeploy`);
    assert.equal((d?.body.properties as { packageUri: string }).packageUri, uri);
  });

  it('refuses parameter values outside their constraints', () => {
    assert.throws(() => deployOnPaper({ maximumInstanceCount: 20 }), /maximumInstanceCount below 40/);
    assert.throws(() => deployOnPaper({ defenderCloud: 'china' }), /not allowed/);
    assert.throws(() => deployOnPaper({ dryRun: 'yes' }), /dryRun is a bool/);
    assert.throws(() => deployOnPaper({ notAParameter: 1 }), /not declared/);
  });

  it('outputs the names and URL the post-deploy steps use', () => {
    assert.equal(paper.outputs.functionAppName, paper.parameters.appName);
    assert.equal(paper.outputs.keyVaultName, paper.parameters.keyVaultName);
    assert.match(String(paper.outputs.functionAppUrl), /^https:\/\/\{.*Microsoft\.Web\/sites\/.*\.defaultHostName\}$/);
  });
});

/** The template with one expression swapped into the first variable, to show a bad function is caught. */
function deployOnPaperWith(expression: string): void {
  const first = Object.keys(template.variables)[0]!;
  const saved = template.variables[first];
  template.variables[first] = expression;
  try {
    deployOnPaper();
  } finally {
    template.variables[first] = saved;
  }
}
