// The HTTP API description: openapi/riposte.openapi.json (OpenAPI 3.0, the source) and its Swagger 2.0 copy
// openapi/riposte.swagger.json, derived here, because Power Automate and Logic Apps custom connectors import
// OpenAPI 2.0. `npx riposte openapi --write` regenerates the copy; a test fails when it is stale.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

export type JsonObject = Record<string, unknown>;

export const OPENAPI_FILE = join('openapi', 'riposte.openapi.json');
export const SWAGGER_FILE = join('openapi', 'riposte.swagger.json');

export function readOpenApiDocument(root: string): JsonObject {
  return JSON.parse(readFileSync(join(root, OPENAPI_FILE), 'utf8')) as JsonObject;
}

const isObject = (v: unknown): v is JsonObject => typeof v === 'object' && v !== null && !Array.isArray(v);

/** `#/components/schemas/X` → `#/definitions/X` (and parameters, responses). */
function rewriteRef(ref: string): string {
  return ref
    .replace('#/components/schemas/', '#/definitions/')
    .replace('#/components/parameters/', '#/parameters/')
    .replace('#/components/responses/', '#/responses/');
}

/** A 3.0 schema as a 2.0 one: `nullable` → `x-nullable`; `oneOf`/`anyOf` (absent in 2.0) → a described object. */
function schema2(s: unknown): unknown {
  if (Array.isArray(s)) return s.map(schema2);
  if (!isObject(s)) return s;
  if (Array.isArray(s.oneOf) || Array.isArray(s.anyOf)) {
    return { type: 'object', ...(s.description ? { description: s.description } : {}) };
  }
  const out: JsonObject = {};
  for (const [k, v] of Object.entries(s)) {
    if (k === '$ref' && typeof v === 'string') out.$ref = rewriteRef(v);
    else if (k === 'nullable') out['x-nullable'] = v;
    else if (k === 'properties' && isObject(v))
      out.properties = Object.fromEntries(Object.entries(v).map(([p, ps]) => [p, schema2(ps)]));
    else if (k === 'items' || k === 'additionalProperties') out[k] = schema2(v);
    else out[k] = v;
  }
  return out;
}

/** Non-body parameters carry their schema's keywords inline in 2.0. */
function parameter2(p: JsonObject): JsonObject {
  if (typeof p.$ref === 'string') return { $ref: rewriteRef(p.$ref) };
  const { schema, style, explode, ...rest } = p;
  const s = isObject(schema) ? (schema2(schema) as JsonObject) : {};
  const out: JsonObject = { ...rest, ...s };
  if (s.type === 'array') out.collectionFormat = style === 'form' && explode === false ? 'csv' : 'multi';
  return out;
}

function response2(r: unknown): unknown {
  if (!isObject(r)) return r;
  if (typeof r.$ref === 'string') return { $ref: rewriteRef(r.$ref) };
  const out: JsonObject = { description: r.description };
  const content = isObject(r.content) ? r.content['application/json'] : undefined;
  if (isObject(content) && content.schema) out.schema = schema2(content.schema);
  if (isObject(r.headers)) {
    out.headers = Object.fromEntries(
      Object.entries(r.headers).map(([name, h]) => {
        const header = h as JsonObject;
        return [name, { description: header.description, ...(schema2(header.schema) as JsonObject) }];
      }),
    );
  }
  return out;
}

const METHODS = ['get', 'put', 'post', 'patch', 'delete'];

/**
 * Swagger 2.0 for connector import. Connectors take one API-key scheme, so only the header key is kept (an
 * operation secured by another query key gets it as a parameter); the host is the servers entry's default (the
 * served copy names the real host).
 */
export function toSwagger2(doc: JsonObject): JsonObject {
  const components = (doc.components ?? {}) as JsonObject;
  const schemes = (components.securitySchemes ?? {}) as Record<string, JsonObject>;
  const headerScheme = Object.entries(schemes).find(([, s]) => s.type === 'apiKey' && s.in === 'header');
  const server = ((doc.servers ?? []) as JsonObject[])[0] ?? {};
  const variables = (server.variables ?? {}) as Record<string, { default?: string }>;
  const url = String(server.url ?? 'https://localhost/api').replace(/\{(\w+)\}/g, (_, v: string) =>
    String(variables[v]?.default ?? v),
  );
  const parsed = new URL(url);

  const paths: JsonObject = {};
  for (const [path, item] of Object.entries((doc.paths ?? {}) as Record<string, JsonObject>)) {
    const out: JsonObject = {};
    if (Array.isArray(item.parameters)) out.parameters = (item.parameters as JsonObject[]).map(parameter2);
    for (const method of METHODS) {
      const op = item[method];
      if (!isObject(op)) continue;
      const params = ((op.parameters ?? []) as JsonObject[]).map(parameter2);
      const body = isObject(op.requestBody) ? op.requestBody : undefined;
      const bodySchema = body && isObject(body.content) ? (body.content['application/json'] as JsonObject) : undefined;
      if (bodySchema) {
        params.push({
          name: 'body',
          in: 'body',
          required: body?.required === true,
          schema: schema2(bodySchema.schema),
        });
      }
      const converted: JsonObject = {};
      for (const key of ['operationId', 'tags', 'summary', 'description'])
        if (op[key] !== undefined) converted[key] = op[key];
      if (bodySchema) converted.consumes = ['application/json'];
      converted.produces = ['application/json'];
      if (params.length > 0) converted.parameters = params;
      converted.responses = Object.fromEntries(
        Object.entries((op.responses ?? {}) as JsonObject).map(([code, r]) => [code, response2(r)]),
      );
      if (Array.isArray(op.security)) {
        // An operation secured by a query scheme other than the connection's key (GetWorkflowRun's run token) takes
        // it as a required query parameter and no connection key: a connector has one scheme per connection.
        // An operation that also takes an Entra ID bearer token (HTTP_AUTH_MODE) keeps the connection's key there:
        // a connector has one scheme per connection, so the document-wide key and non-apiKey schemes drop out.
        const global = new Set(((doc.security ?? []) as JsonObject[]).flatMap((r) => Object.keys(r)));
        const own = (op.security as JsonObject[])
          .flatMap((r) => Object.keys(r))
          .filter((k) => k !== headerScheme?.[0] && !global.has(k) && schemes[k]?.type === 'apiKey');
        const queryParams = own.map((k) => schemes[k]).filter((sc) => sc?.type === 'apiKey' && sc.in === 'query');
        if (op.security.length > 0 && own.length === 0) {
          // the connection's key, as everywhere
        } else if (own.length > 0 && queryParams.length === own.length) {
          converted.security = [];
          for (const sc of queryParams)
            params.push({ name: sc?.name, in: 'query', required: true, type: 'string', description: sc?.description });
          converted.parameters = params;
        } else converted.security = op.security;
      }
      out[method] = converted;
    }
    paths[path] = out;
  }

  return {
    swagger: '2.0',
    info: doc.info,
    host: parsed.host,
    basePath: parsed.pathname.replace(/\/+$/, '') || '/',
    schemes: [parsed.protocol.replace(':', '')],
    consumes: ['application/json'],
    produces: ['application/json'],
    ...(Array.isArray(doc.tags) ? { tags: doc.tags } : {}),
    ...(headerScheme
      ? {
          securityDefinitions: { [headerScheme[0]]: headerScheme[1] },
          security: [{ [headerScheme[0]]: [] }],
        }
      : {}),
    paths,
    definitions: Object.fromEntries(
      Object.entries((components.schemas ?? {}) as JsonObject).map(([k, v]) => [k, schema2(v)]),
    ),
    parameters: Object.fromEntries(
      Object.entries((components.parameters ?? {}) as Record<string, JsonObject>).map(([k, v]) => [k, parameter2(v)]),
    ),
    responses: Object.fromEntries(
      Object.entries((components.responses ?? {}) as JsonObject).map(([k, v]) => [k, response2(v)]),
    ),
  };
}

/** JSON text formatted as the repo's prettier config formats it, so `prettier --check` stays green. */
export async function formatJson(value: unknown, file: string): Promise<string> {
  const prettier = await import('prettier');
  const options = (await prettier.resolveConfig(file)) ?? {};
  return prettier.format(JSON.stringify(value), { ...options, parser: 'json', filepath: file });
}
