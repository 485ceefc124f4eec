import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { app, type HttpRequest, type HttpResponseInit, type InvocationContext } from '@azure/functions';
import { findAppRoot } from '../shared/config';
import { HttpProblem, toHttpResponse } from './lib/httpErrors';

const FILES = { openapi3: 'riposte.openapi.json', swagger2: 'riposte.swagger.json' } as const;
type Format = keyof typeof FILES;

const cache = new Map<Format, string>();

/** The committed document (openapi/), read once per process; a parsed copy per request is patched with the host. */
function load(format: Format): Record<string, unknown> {
  let text = cache.get(format);
  if (text === undefined) {
    text = readFileSync(join(findAppRoot(__dirname), 'openapi', FILES[format]), 'utf8');
    cache.set(format, text);
  }
  return JSON.parse(text) as Record<string, unknown>;
}

/**
 * GET /api/openapi.json[?format=swagger2]: anonymous, like health, so Logic Apps and Power Automate can import the
 * custom connector from the URL. The document names the host it was fetched from.
 */
export async function openApiDocument(req: HttpRequest, ctx: InvocationContext): Promise<HttpResponseInit> {
  try {
    const format = (req.query.get('format') ?? 'openapi3') as Format;
    if (!(format in FILES)) {
      throw new HttpProblem(400, 'INPUT_INVALID', `format must be one of: ${Object.keys(FILES).join(', ')}`, 'format');
    }
    const doc = load(format);
    const url = new URL(req.url);
    if (format === 'swagger2') {
      doc.host = url.host;
      doc.schemes = [url.protocol.replace(':', '')];
    } else {
      doc.servers = [{ url: `${url.origin}/api` }];
    }
    return { status: 200, jsonBody: doc, headers: { 'cache-control': 'no-cache' } };
  } catch (err) {
    return toHttpResponse(err, ctx);
  }
}

app.http('openApiDocument', {
  methods: ['GET'],
  authLevel: 'anonymous',
  route: 'openapi.json',
  handler: openApiDocument,
});
