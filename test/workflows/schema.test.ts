// The published JSON Schema is the one the loader uses, and the example workflows point editors at it.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import Ajv from 'ajv';
import YAML from 'yaml';
import { SCHEMA_PATH } from '../../shared/workflows/writeSchema';
import { buildWorkflowSchema } from '../../shared/workflows/workflowSchema';

const WORKFLOWS = join(__dirname, '..', '..', 'workflows');

describe('schemas/workflow.schema.json', () => {
  it('matches the schema the loader validates with (regenerate: npx tsx shared/workflows/writeSchema.ts)', () => {
    assert.deepEqual(JSON.parse(readFileSync(SCHEMA_PATH, 'utf8')), buildWorkflowSchema());
  });

  it('validates every example with a plain draft-07 validator, and each example names the schema for editors', () => {
    const validate = new Ajv({ discriminator: true, strict: false, allowUnionTypes: true }).compile(
      JSON.parse(readFileSync(SCHEMA_PATH, 'utf8')),
    );
    const files = readdirSync(WORKFLOWS).filter((f) => f.endsWith('.yaml'));
    assert.ok(files.length >= 3);
    for (const f of files) {
      const text = readFileSync(join(WORKFLOWS, f), 'utf8');
      assert.equal(text.split('\n')[0], '# yaml-language-server: $schema=../schemas/workflow.schema.json', f);
      assert.equal(validate(YAML.parse(text)), true, `${f}: ${JSON.stringify(validate.errors)}`);
    }
  });

  it('describes every step kind and every top-level field (editor autocomplete)', () => {
    const schema = buildWorkflowSchema() as {
      properties: Record<string, { description?: string; $ref?: string }>;
      definitions: Record<string, { properties?: { kind?: { description?: string } } }>;
    };
    for (const [k, v] of Object.entries(schema.properties))
      if (!v.$ref) assert.ok(v.description, `property ${k} has no description`);
    for (const [k, v] of Object.entries(schema.definitions)) {
      if (k.endsWith('Step')) assert.ok(v.properties?.kind?.description, `${k} has no description`);
    }
  });
});
