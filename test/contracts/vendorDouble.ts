// A TLS endpoint on 127.0.0.1 that stands in front of the sandbox and answers chosen requests with a vendor's
// documented body (an AADSTS error from Entra, a Key Vault error, a Graph or legacy example), forwarding the rest to
// the sandbox unchanged. Its certificate is issued by the sandbox's own CA (the sandbox must be started with
// `persistCa` and a `dataDir`), so Riposte trusts it through the same TLS_CA_FILE. It records what it received, so a
// test can also check what Riposte sent (the request side of a contract).
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import type { Sandbox } from '../../sandbox';
import { createTlsMaterial } from '../../sandbox/tls';

export interface VendorAnswer {
  /** Matched against the method (default: any). */
  method?: string;
  /** Matched against the path and query. */
  path: RegExp;
  /** Only requests that carry an Authorization header (Key Vault's first, unauthenticated request is challenged). */
  authorized?: boolean;
  status: number;
  headers?: Record<string, string>;
  /** Sent as is when a string (raw bytes matter), else as JSON. */
  body: string | object;
  /** Answer this many matching requests, then forward again (default: until cleared). */
  times?: number;
}

export interface ReceivedRequest {
  method: string;
  path: string;
  headers: Record<string, string | string[] | undefined>;
  body: string;
  /** True when a VendorAnswer answered it (false: forwarded to the sandbox). */
  answered: boolean;
}

export interface VendorDouble {
  /** https://127.0.0.1:PORT: use it in place of the sandbox URL (authority, vault, Graph `/v1.0`, legacy). */
  readonly url: string;
  answer(a: VendorAnswer): void;
  clear(): void;
  received(): ReceivedRequest[];
  close(): Promise<void>;
}

const readAll = (stream: NodeJS.ReadableStream): Promise<Buffer> =>
  new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    stream.on('data', (c: Buffer) => chunks.push(c));
    stream.on('end', () => resolve(Buffer.concat(chunks)));
    stream.on('error', reject);
  });

/** Starts the double in front of `sandbox`; `caDir` is the sandbox's dataDir (holding ca.crt and ca.key). */
export async function startVendorDouble(sandbox: Sandbox, caDir: string): Promise<VendorDouble> {
  const tls = await createTlsMaterial(new Date(), caDir);
  if (tls.caPem.trim() !== sandbox.caPem.trim()) throw new Error('the sandbox was not started with persistCa in caDir');
  const answers: { a: VendorAnswer; left: number }[] = [];
  const log: ReceivedRequest[] = [];
  let origin = '';
  const upstream = new URL(sandbox.url);
  const agent = new https.Agent({ ca: sandbox.caPem, keepAlive: false });

  const server = https.createServer({ cert: tls.certPem, key: tls.keyPem }, (req, res) => {
    void (async () => {
      const body = await readAll(req);
      const path = req.url ?? '/';
      const hit = answers.find(
        (x) =>
          x.left > 0 &&
          (!x.a.method || x.a.method.toUpperCase() === req.method) &&
          x.a.path.test(path) &&
          (!x.a.authorized || req.headers.authorization !== undefined),
      );
      log.push({
        method: req.method ?? '',
        path,
        headers: { ...req.headers },
        body: body.toString('utf8'),
        answered: !!hit,
      });
      if (hit) {
        hit.left -= 1;
        const text = typeof hit.a.body === 'string' ? hit.a.body : JSON.stringify(hit.a.body);
        res.writeHead(hit.a.status, { 'content-type': 'application/json; charset=utf-8', ...hit.a.headers });
        res.end(text);
        return;
      }
      const headers = { ...req.headers, host: upstream.host };
      const fwd = https.request(
        { hostname: upstream.hostname, port: upstream.port, method: req.method, path, headers, agent },
        (up) => {
          void readAll(up).then((raw) => {
            const type = String(up.headers['content-type'] ?? '');
            // Links the sandbox puts in its bodies (discovery, next links) must lead back here.
            const out = /json|text/.test(type)
              ? Buffer.from(raw.toString('utf8').split(sandbox.url).join(origin))
              : raw;
            const h = { ...up.headers };
            delete h['transfer-encoding'];
            h['content-length'] = String(out.length);
            res.writeHead(up.statusCode ?? 502, h);
            res.end(out);
          });
        },
      );
      fwd.on('error', () => {
        res.writeHead(502);
        res.end();
      });
      fwd.end(body);
    })();
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  origin = `https://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url: origin,
    answer(a) {
      answers.unshift({ a, left: a.times ?? Number.POSITIVE_INFINITY });
    },
    clear() {
      answers.length = 0;
    },
    received: () => log.map((r) => ({ ...r })),
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
        agent.destroy();
      }),
  };
}
