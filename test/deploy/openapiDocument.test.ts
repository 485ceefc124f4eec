// The OpenAPI document is valid OpenAPI 3.0 (and its connector copy valid Swagger 2.0, and not stale), and it is
// importable as a custom connector: unique operation ids, a summary for each, a schema for every body and error.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { readOpenApiDocument, SWAGGER_FILE, toSwagger2, type JsonObject } from '../../cli/openapi';

const REPO = join(__dirname, '..', '..');
const doc = readOpenApiDocument(REPO);
const swagger = JSON.parse(readFileSync(join(REPO, SWAGGER_FILE), 'utf8')) as JsonObject;

interface Operation {
  operationId?: string;
  summary?: string;
  description?: string;
  security?: unknown[];
  requestBody?: { content?: Record<string, { schema?: unknown }> };
  responses: Record<string, { $ref?: string; content?: Record<string, { schema?: { $ref?: string } }> }>;
}

function operations(d: JsonObject): Array<[string, string, Operation]> {
  const out: Array<[string, string, Operation]> = [];
  for (const [path, item] of Object.entries(d.paths as Record<string, Record<string, unknown>>)) {
    for (const method of ['get', 'post', 'patch', 'put', 'delete']) {
      if (item[method]) out.push([method, path, item[method] as Operation]);
    }
  }
  return out;
}

async function validate(spec: JsonObject): Promise<{ valid: boolean; errors?: unknown }> {
  // ESM-only package: loaded with import() from this CommonJS test.
  const { Validator } = await import('@seriousme/openapi-schema-validator');
  return new Validator().validate(structuredClone(spec));
}

describe('openapi/riposte.openapi.json', () => {
  it('is valid OpenAPI 3.0', async () => {
    assert.match(String(doc.openapi), /^3\.0\.\d$/);
    const result = await validate(doc);
    assert.equal(result.valid, true, JSON.stringify(result.errors, null, 2));
  });

  it('fails validation when broken (the validator is really checking)', async () => {
    const broken = structuredClone(doc) as { paths: Record<string, Record<string, { responses?: unknown }>> };
    delete broken.paths['/incidents']?.get?.responses;
    assert.equal((await validate(broken as unknown as JsonObject)).valid, false);
  });

  it('has a unique operation id, a summary and a description for every operation', () => {
    const ids = operations(doc).map(([, , op]) => op.operationId);
    assert.equal(new Set(ids).size, ids.length);
    for (const [method, path, op] of operations(doc)) {
      assert.match(op.operationId ?? '', /^[A-Z][A-Za-z]+$/, `${method} ${path} operationId`);
      assert.ok(op.summary && op.summary.length <= 80, `${method} ${path} summary`);
      assert.ok(op.description, `${method} ${path} description`);
    }
  });

  it('gives every body a schema and every error the error schema', () => {
    const responses = (doc.components as { responses: Record<string, Operation['responses'][string]> }).responses;
    const resolve = (r: Operation['responses'][string]) =>
      r.$ref ? responses[r.$ref.replace('#/components/responses/', '')] : r;
    for (const [method, path, op] of operations(doc)) {
      // The approval page's form posts application/x-www-form-urlencoded (an HTML form cannot send JSON).
      const bodyType = path === '/approvals/{id}/decision' ? 'application/x-www-form-urlencoded' : 'application/json';
      if (op.requestBody) assert.ok(op.requestBody.content?.[bodyType]?.schema, `${method} ${path} body`);
      for (const [code, raw] of Object.entries(op.responses)) {
        const r = resolve(raw);
        assert.ok(r, `${method} ${path} ${code} resolves`);
        const schema = r.content?.['application/json']?.schema;
        // The host's own 401 (wrong function key) has no body.
        if (code === '401' && !schema) continue;
        // The approval page (and its form's answer, unless JSON is asked for) is HTML.
        if (path.startsWith('/approvals/') && r.content?.['text/html'] && !schema) continue;
        assert.ok(schema, `${method} ${path} ${code} has a JSON schema`);
        if (Number(code) >= 400) {
          // Reports that describe a failure (a failed run, a failing health check) are answers too.
          const allowed = ['Error', 'RunReportOrError', ...(path.startsWith('/workflows/') ? ['RunReport'] : [])];
          if (path.startsWith('/health')) allowed.push('Health', 'DeepHealth');
          assert.ok(
            allowed.map((n) => `#/components/schemas/${n}`).includes(schema.$ref ?? ''),
            `${method} ${path} ${code} is an error answer: ${schema.$ref}`,
          );
        }
      }
    }
  });

  it('needs the function key everywhere but health, the document itself, a run’s status URL and an approval link (their tokens)', () => {
    const runStatus = '/workflows/{name}/runs/{runId}';
    for (const [method, path, op] of operations(doc)) {
      const anonymous = path === '/health' || path === '/openapi.json';
      assert.equal(Array.isArray(op.security) && op.security.length === 0, anonymous, `${method} ${path}`);
      if (path === '/approvals/{id}' || path === '/approvals/{id}/decision') {
        assert.deepEqual(op.security, [{ approvalToken: [] }], 'the approval link takes its signed token');
        assert.equal(op.responses['401'], undefined);
      } else if (path === runStatus) {
        assert.deepEqual(op.security, [{ runToken: [] }], 'the status URL takes its token, not a function key');
        assert.equal(op.responses['401'], undefined, 'and never answers 401 (the host lets it through)');
      } else if (ON_BEHALF_OF.includes(op.operationId ?? '')) {
        // HTTP_AUTH_MODE: the function key (as everywhere) or, configured per endpoint, the caller's Entra ID token.
        assert.deepEqual(op.security, [{ functionKeyHeader: [] }, { functionKeyQuery: [] }, { entraIdBearer: [] }]);
        assert.ok(op.responses['403'], `${method} ${path}: the acting user's 403`);
      } else if (!anonymous) assert.equal(op.security, undefined, `${method} ${path}: the document's function key`);
    }
    const schemes = (
      doc.components as { securitySchemes: Record<string, { in?: string; name?: string; scheme?: string }> }
    ).securitySchemes;
    assert.deepEqual(
      Object.entries(schemes).map(([k, s]) => `${k}=${s.in ?? s.scheme}:${s.name ?? ''}`),
      [
        'functionKeyHeader=header:x-functions-key',
        'functionKeyQuery=query:code',
        'runToken=query:token',
        'approvalToken=query:token',
        'entraIdBearer=bearer:',
      ],
    );
  });
});

/** The endpoints HTTP_AUTH_MODE may put on behalf of the caller (shared/auth/callerAuthConfig.ts). */
const ON_BEHALF_OF = ['ListIncidents', 'GetIncident', 'UpdateIncident', 'RunHuntingQuery', 'RunWorkflow'];

describe('openapi/riposte.swagger.json (custom connector import)', () => {
  it('is valid Swagger 2.0 and what `riposte openapi --write` produces now', async () => {
    assert.equal(swagger.swagger, '2.0');
    const result = await validate(swagger);
    assert.equal(result.valid, true, JSON.stringify(result.errors, null, 2));
    assert.deepEqual(swagger, toSwagger2(doc), 'stale: run `npm run openapi`');
  });

  it('keeps one API-key scheme, every operation id, and no OpenAPI 3 keywords', () => {
    assert.deepEqual(Object.keys(swagger.securityDefinitions as JsonObject), ['functionKeyHeader']);
    // The run status takes its token as a required query parameter and no connection key.
    const status = operations(swagger).find(([, , op]) => op.operationId === 'GetWorkflowRun')?.[2] as Operation & {
      parameters: Array<{ name: string; in: string; required?: boolean }>;
    };
    assert.deepEqual(status.security, []);
    assert.deepEqual(
      status.parameters.filter((p) => p.in === 'query').map((p) => [p.name, p.required]),
      [['token', true]],
    );
    assert.deepEqual(
      operations(swagger).map(([, , op]) => op.operationId),
      operations(doc).map(([, , op]) => op.operationId),
    );
    const text = JSON.stringify(swagger);
    for (const keyword of ['"nullable"', '"oneOf"', '"requestBody"', '#/components/']) {
      assert.ok(!text.includes(keyword), `no ${keyword}`);
    }
  });
});
