// Request dispatch for both listeners: route lookup, counting, injected faults (delay, outage, status), the handler,
// and the request log (method, path, status, family; never headers or bodies).
import type { IncomingMessage, ServerResponse } from 'node:http';
import { json, loggablePath, readRequest, type Reply, type SandboxRequest } from './httpUtil';
import { requestedIdentity } from './managedIdentity';
import { findRoute, type Route } from './router';
import type { SandboxState } from './state';

export interface Dispatcher {
  handle(raw: IncomingMessage, res: ServerResponse): void;
  /** Ends pending fault delays (on close). */
  shutdown(): void;
}

function write(res: ServerResponse, reply: Reply): void {
  if (reply.destroy) {
    res.socket?.destroy();
    return;
  }
  const headers: Record<string, string> = { ...(reply.headers ?? {}) };
  let payload: string | undefined;
  if (reply.body !== undefined) {
    payload = typeof reply.body === 'string' ? reply.body : JSON.stringify(reply.body);
    headers['content-length'] = String(Buffer.byteLength(payload));
  } else {
    headers['content-length'] = '0';
  }
  res.writeHead(reply.status, headers);
  res.end(payload);
}

export function createDispatcher(state: SandboxState, routes: readonly Route[], origin: () => string): Dispatcher {
  const pending = new Set<{ timer: NodeJS.Timeout; resolve: () => void }>();
  let closed = false;

  const sleep = (ms: number, raw: IncomingMessage): Promise<void> =>
    new Promise((resolve) => {
      if (closed) return resolve();
      const entry = {
        timer: setTimeout(() => {
          pending.delete(entry);
          resolve();
        }, ms),
        resolve: () => {
          clearTimeout(entry.timer);
          pending.delete(entry);
          resolve();
        },
      };
      pending.add(entry);
      // A client that gives up (its own timeout) should not keep the timer alive.
      raw.socket.once('close', entry.resolve);
    });

  async function run(raw: IncomingMessage, res: ServerResponse): Promise<void> {
    const req = await readRequest(raw, origin());
    // Everything below (counters, quotas, data, tokens) is the request's tenant's (tenants.ts).
    await state.tenants.run(state.tenants.forRequest(req), () => serve(req, raw, res));
  }

  async function serve(req: SandboxRequest, raw: IncomingMessage, res: ServerResponse): Promise<void> {
    const found = findRoute(routes, req.method, req.url.pathname);
    const family = found.route?.family ?? 'unknown';
    const at = state.now().getTime();
    const entry = {
      method: req.method,
      path: loggablePath(req.url),
      status: 0,
      family,
      at,
      ...(found.route?.api ? { api: found.route.api } : {}),
      ...(family === 'mi' ? { identity: requestedIdentity(req) ?? 'invalid' } : {}),
      ...(state.tenants.others.size > 0 ? { tenant: state.tenantId } : {}),
    };
    res.once('close', () => {
      entry.status = res.headersSent ? res.statusCode : 0;
      state.log.push(entry);
    });

    if (!found.route) {
      write(
        res,
        found.methodNotAllowed
          ? json(405, {
              error: { code: 'MethodNotAllowed', message: `${req.method} is not allowed on ${req.url.pathname}.` },
            })
          : json(404, {
              error: { code: 'NotFound', message: `The sandbox has no endpoint ${req.method} ${req.url.pathname}.` },
            }),
      );
      return;
    }
    const { route, params } = found;
    route.count?.(req);

    const fault = state.faults.take(route.target, req.method);
    if (fault) {
      state.counters.faulted += 1;
      if (fault.spec.delayMs) await sleep(fault.spec.delayMs, raw);
      if (raw.socket.destroyed) return;
      if (fault.spec.outage || closed) {
        raw.socket.destroy();
        return;
      }
      if (fault.spec.status !== undefined) {
        write(res, route.faultReply(req, fault.spec));
        return;
      }
    }
    write(res, await route.handle(req, params));
  }

  return {
    handle(raw, res) {
      run(raw, res).catch((e: unknown) => {
        if (res.headersSent || raw.socket.destroyed) return;
        const message = e instanceof Error ? e.message : String(e);
        write(res, json(500, { error: { code: 'InternalServerError', message: `Sandbox error: ${message}` } }));
      });
    },
    shutdown() {
      closed = true;
      for (const p of [...pending]) p.resolve();
    },
  };
}
