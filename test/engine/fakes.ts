// Test doubles for engine and workflow tests: an in-memory DefenderClient that records calls and can be slowed
// down or made to fail, a small QueryLibrary, and helpers to build incidents and load inline workflows.
import { applyTagChange } from '../../shared/defender/tags';
import type {
  DefenderClient,
  HuntingOptions,
  HuntingResult,
  Incident,
  IncidentFilter,
  IncidentUpdate,
} from '../../shared/defender/types';
import { DefenderApiError, InputError } from '../../shared/errors';
import type { QueryDefinition, QueryLibrary, QueryParamDef } from '../../shared/queries/types';
import { parseWorkflow } from '../../shared/workflows/loadWorkflow';
import type { Workflow } from '../../shared/workflows/types';

export function incident(id: string, over: Partial<Incident> = {}): Incident {
  return {
    id,
    displayName: `Incident ${id}`,
    status: 'active',
    severity: 'medium',
    classification: 'unknown',
    determination: 'unknown',
    assignedTo: null,
    tags: [],
    systemTags: [],
    createdDateTime: '2026-01-01T00:00:00Z',
    lastUpdateDateTime: '2026-01-01T00:00:00Z',
    webUrl: null,
    redirectIncidentId: null,
    description: null,
    comments: [],
    ...over,
  };
}

export interface Call {
  method: 'runHuntingQuery' | 'listIncidents' | 'getIncident' | 'updateIncident' | 'addComment';
  id?: string;
  update?: IncidentUpdate;
  comment?: string;
  query?: string;
  options?: HuntingOptions;
}

export interface FakeDefender extends DefenderClient {
  incidents: Map<string, Incident>;
  calls: Call[];
  writes(): Call[];
  /** Rows returned by every hunting query. */
  rows: Record<string, unknown>[];
  /** Called before each call; throw to fail it. */
  before: ((call: Call) => void | Promise<void>) | undefined;
  /** Delay of write calls, to observe concurrency. */
  writeDelayMs: number;
  maxConcurrentWrites: number;
  /** lastUpdateDateTime a write sets (the API's clock). */
  updateTime: string;
}

export function createFakeDefender(incidents: Incident[] = [], backend: 'graph' | 'legacy' = 'graph'): FakeDefender {
  const store = new Map(incidents.map((i) => [i.id, structuredClone(i)]));
  const calls: Call[] = [];
  let inFlight = 0;
  const fake: FakeDefender = {
    backend,
    incidents: store,
    calls,
    rows: [],
    before: undefined,
    writeDelayMs: 0,
    maxConcurrentWrites: 0,
    updateTime: '2026-01-02T00:00:00.000Z',
    writes: () => calls.filter((c) => c.method === 'updateIncident' || c.method === 'addComment'),
    async runHuntingQuery(query: string, options: HuntingOptions = {}): Promise<HuntingResult> {
      const call: Call = { method: 'runHuntingQuery', query, options };
      calls.push(call);
      await fake.before?.(call);
      const columns = Object.keys(fake.rows[0] ?? {}).map((name) => ({ name, type: 'String' }));
      return { schema: columns, rows: structuredClone(fake.rows) };
    },
    async *listIncidents(filter: IncidentFilter = {}): AsyncIterable<Incident> {
      const call: Call = { method: 'listIncidents' };
      calls.push(call);
      await fake.before?.(call);
      const statuses = filter.status === undefined ? undefined : ([] as string[]).concat(filter.status);
      let n = 0;
      for (const i of store.values()) {
        if (statuses && !statuses.includes(i.status)) continue;
        if (filter.updatedSince && !(Date.parse(i.lastUpdateDateTime) > Date.parse(String(filter.updatedSince))))
          continue;
        yield structuredClone(i);
        if (filter.limit !== undefined && ++n >= filter.limit) return;
      }
    },
    async getIncident(id: string): Promise<Incident> {
      const call: Call = { method: 'getIncident', id };
      calls.push(call);
      await fake.before?.(call);
      const i = store.get(id);
      if (!i)
        throw new DefenderApiError(`Defender API GET /security/incidents/${id} failed: 404 NotFound`, {
          status: 404,
          method: 'GET',
          path: `/security/incidents/${id}`,
        });
      return structuredClone(i);
    },
    async updateIncident(id: string, update: IncidentUpdate): Promise<Incident> {
      const call: Call = { method: 'updateIncident', id, update: structuredClone(update) };
      calls.push(call);
      await fake.before?.(call);
      inFlight++;
      fake.maxConcurrentWrites = Math.max(fake.maxConcurrentWrites, inFlight);
      try {
        if (fake.writeDelayMs) await new Promise((r) => setTimeout(r, fake.writeDelayMs));
        const i = store.get(id);
        if (!i)
          throw new DefenderApiError(`Defender API PATCH /security/incidents/${id} failed: 404 NotFound`, {
            status: 404,
            method: 'PATCH',
            path: `/security/incidents/${id}`,
          });
        const { tags, comment, ...fields } = update;
        Object.assign(i, fields);
        if (tags) i.tags = applyTagChange(i.tags, tags);
        if (comment) i.comments.push({ comment, createdBy: 'app', createdDateTime: fake.updateTime });
        i.lastUpdateDateTime = fake.updateTime;
        return structuredClone(i);
      } finally {
        inFlight--;
      }
    },
    async addComment(id: string, comment: string): Promise<void> {
      const call: Call = { method: 'addComment', id, comment };
      calls.push(call);
      await fake.before?.(call);
      inFlight++;
      fake.maxConcurrentWrites = Math.max(fake.maxConcurrentWrites, inFlight);
      try {
        if (fake.writeDelayMs) await new Promise((r) => setTimeout(r, fake.writeDelayMs));
        const i = store.get(id);
        if (!i)
          throw new DefenderApiError('404', {
            status: 404,
            method: 'POST',
            path: `/security/incidents/${id}/comments`,
          });
        i.comments.push({ comment, createdBy: 'app', createdDateTime: fake.updateTime });
        i.lastUpdateDateTime = fake.updateTime;
      } finally {
        inFlight--;
      }
    },
  };
  return fake;
}

/** A throttling error as the HTTP layer raises it when the API keeps answering 429. */
export function throttled(retryAfterMs = 30_000): DefenderApiError {
  return new DefenderApiError('Defender API PATCH /security/incidents/1 failed: 429 TooManyRequests', {
    status: 429,
    method: 'PATCH',
    path: '/security/incidents/1',
    retryAfterMs,
  });
}

function param(name: string, type: QueryParamDef['type'], extra: Partial<QueryParamDef> = {}): QueryParamDef {
  return { name, type, required: extra.default === undefined, ...extra };
}

/** Queries the tests know: `devices-by-name(deviceNames: dynamic string, lookback: timespan = 1d, top: int = 10)`. */
export const FAKE_QUERIES: QueryDefinition[] = [
  {
    name: 'devices-by-name',
    description: 'test',
    params: [
      param('deviceNames', 'dynamic', { items: 'string', example: ['a'] }),
      param('lookback', 'timespan', { default: '1d' }),
      param('top', 'int', { default: 10 }),
    ],
    body: 'DeviceProcessEvents | where DeviceName in (deviceNames) | take top',
    file: 'queries/devices-by-name.kql',
  },
  {
    name: 'recent-alerts',
    description: 'test',
    params: [param('since', 'datetime', { example: '2026-01-01T00:00:00Z' })],
    body: 'AlertInfo | where Timestamp > since',
    file: 'queries/recent-alerts.kql',
  },
];

const TYPE_OK: Record<QueryParamDef['type'], (v: unknown) => boolean> = {
  string: (v) => typeof v === 'string',
  int: (v) => Number.isInteger(v),
  long: (v) => Number.isInteger(v),
  real: (v) => typeof v === 'number',
  bool: (v) => typeof v === 'boolean',
  datetime: (v) => typeof v === 'string' && !Number.isNaN(Date.parse(v)),
  timespan: (v) => typeof v === 'string' && /^\d+(d|h|m|s)$/.test(v),
  dynamic: (v) => Array.isArray(v),
};

/** Binds as the real library does in spirit: `let` lines, InputError naming params.<name>. */
export function createFakeQueries(defs: QueryDefinition[] = FAKE_QUERIES): QueryLibrary & { bound: string[] } {
  const byName = new Map(defs.map((d) => [d.name, d]));
  const bound: string[] = [];
  return {
    bound,
    names: () => [...byName.keys()].sort(),
    get: (name) => byName.get(name),
    bind(name, values) {
      const def = byName.get(name);
      if (!def) throw new InputError('query', `unknown query ${name}`);
      for (const k of Object.keys(values))
        if (!def.params.some((p) => p.name === k)) throw new InputError(`params.${k}`, `Unknown parameter "${k}"`);
      const lines = def.params.map((p) => {
        const v = values[p.name] ?? p.default;
        if (v === undefined) throw new InputError(`params.${p.name}`, `params.${p.name} is required`);
        if (!TYPE_OK[p.type](v))
          throw new InputError(`params.${p.name}`, `params.${p.name} must be a ${p.type}, got ${JSON.stringify(v)}`);
        return `let ${p.name} = ${JSON.stringify(v)};`;
      });
      const text = `${lines.join('\n')}\n${def.body}`;
      bound.push(text);
      return text;
    },
  };
}

/** Parses inline YAML as workflow file "test.yaml" with the fake queries. */
export function workflowOf(yaml: string, queries: QueryLibrary = createFakeQueries()): Workflow {
  return parseWorkflow(yaml, 'test.yaml', queries);
}

/** The error lines of a workflow that must not load. */
export function problemsOf(yaml: string, queries: QueryLibrary = createFakeQueries()): readonly string[] {
  try {
    parseWorkflow(yaml, 'test.yaml', queries);
  } catch (e) {
    const problems = (e as { problems?: readonly string[] }).problems;
    if (problems) return problems;
    throw e;
  }
  throw new Error('expected the workflow to be invalid');
}

/**
 * A process crash for tests: from the first call `at` matches, that call and everything after it fail, API and
 * state alike, as nothing runs in a dead process (a thrown error alone would be a failure the engine settles).
 * `revive()` starts "the next process" on the same API and state.
 */
export function crashing<S extends object>(
  defender: FakeDefender,
  state: S,
  at: (call: Call) => boolean,
): { state: S; revive(): void; readonly dead: boolean; die(): void } {
  let dead = false;
  const die = (): never => {
    dead = true;
    throw new Error('process died');
  };
  defender.before = (call) => {
    if (dead || at(call)) die();
  };
  const wrapped = new Proxy(state, {
    get(target, prop, receiver) {
      const v = Reflect.get(target, prop, receiver) as unknown;
      if (typeof v !== 'function' || prop === 'writes') return v;
      return (...args: unknown[]) => (dead ? Promise.reject(new Error('process died')) : v.apply(target, args));
    },
  });
  return {
    state: wrapped,
    get dead() {
      return dead;
    },
    die: () => void (dead = true),
    revive() {
      dead = false;
      defender.before = undefined;
    },
  };
}
