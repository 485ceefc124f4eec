import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { app, type HttpRequest, type HttpResponseInit, type InvocationContext } from '@azure/functions';
import { findAppRoot, publicBaseUrl } from '../shared/config';
import { HttpProblem, toHttpResponse } from './lib/httpErrors';
import { rejectUnknownQuery } from './lib/params';

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
 * custom connector from the URL. The document names the app's own host (WEBSITE_HOSTNAME), never the request's Host
 * header: a spoofed Host must not turn the document into a pointer elsewhere (a cached copy would send the function
 * key there). Without the setting the server URL is relative, which both formats define as "where this came from".
 */
export async function openApiDocument(req: HttpRequest, ctx: InvocationContext): Promise<HttpResponseInit> {
  try {
    rejectUnknownQuery(req, ['format']);
    const format = (req.query.get('format') ?? 'openapi3') as Format;
    if (!(format in FILES)) {
      throw new HttpProblem('INPUT_INVALID', `format must be one of: ${Object.keys(FILES).join(', ')}`, {
        field: 'format',
      });
    }
    const doc = load(format);
    const base = publicBaseUrl();
    if (format === 'swagger2') {
      // Swagger 2.0: no `host` / `schemes` means those serving the document; `basePath` stays /api.
      delete doc.host;
      delete doc.schemes;
      if (base) {
        const url = new URL(base);
        doc.host = url.host;
        doc.schemes = [url.protocol.replace(':', '')];
      }
    } else {
      doc.servers = [{ url: base ? `${base}/api` : '/api' }];
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
