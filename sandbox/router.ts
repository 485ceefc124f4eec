// Route table types: each emulated endpoint declares its path, family (for counters and the request log), fault
// target, how it answers an injected fault, and its handler.
import type { FaultSpec, RouteTarget } from './faults';
import type { Reply, SandboxRequest } from './httpUtil';

export interface Route {
  methods: readonly string[];
  /** Matched against the decoded pathname; capture groups become `params`. */
  pattern: RegExp;
  family: string;
  target: RouteTarget;
  api?: 'graph' | 'legacy' | 'mde';
  /** Counts the request (every request that reaches this route, whatever its outcome). */
  count?: (req: SandboxRequest) => void;
  faultReply: (req: SandboxRequest, spec: FaultSpec) => Reply;
  handle: (req: SandboxRequest, params: string[]) => Reply | Promise<Reply>;
}

export type Found = { route: Route; params: string[] } | { route: undefined; methodNotAllowed: boolean };

export function findRoute(routes: readonly Route[], method: string, pathname: string): Found {
  let pathMatched = false;
  for (const route of routes) {
    const m = route.pattern.exec(pathname);
    if (!m) continue;
    pathMatched = true;
    if (route.methods.includes(method))
      return { route, params: m.slice(1).map((p) => (p === undefined ? '' : decodeURIComponent(p))) };
  }
  return { route: undefined, methodNotAllowed: pathMatched };
}
