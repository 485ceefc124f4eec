// An HTTP proxy on 127.0.0.1 that holds every request for a fixed time before passing it on: Azurite with the
// latency of Azure Storage from a Function App (a few ms per call) instead of loopback's sub-millisecond. Requests
// and answers pass through as they are (the SharedKey signature covers the path and headers, not the port).
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface DelayProxy {
  /** http://127.0.0.1:<port> */
  url: string;
  port: number;
  /** Requests passed on so far. */
  calls(): number;
  close(): Promise<void>;
}

export async function startDelayProxy(target: { port: number }, delayMs: number): Promise<DelayProxy> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 64 });
  let calls = 0;
  const server = http.createServer((req, res) => {
    calls++;
    setTimeout(() => {
      const upstream = http.request(
        {
          host: '127.0.0.1',
          port: target.port,
          method: req.method,
          path: req.url,
          headers: req.headers,
          agent,
        },
        (answer) => {
          res.writeHead(answer.statusCode ?? 502, answer.statusMessage, answer.headers);
          answer.pipe(res);
        },
      );
      upstream.once('error', (e) => {
        if (!res.headersSent) res.writeHead(502, { 'content-type': 'text/plain' });
        res.end(`delay proxy: ${e.message}`);
      });
      req.pipe(upstream);
    }, delayMs);
  });
  server.keepAliveTimeout = 30_000;
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    calls: () => calls,
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
      agent.destroy();
    },
  };
}
