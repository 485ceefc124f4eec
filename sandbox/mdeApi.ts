// The Defender for Endpoint API's machines and machine actions (response-actions.md §1, §4, §7.1), from the pages:
// DD defender-endpoint/api/isolate-machine.md, unisolate-machine.md, run-av-scan.md,
// collect-investigation-package.md, restrict-code-execution.md, unrestrict-code-execution.md,
// stop-and-quarantine-file.md (POST → 201 + MachineAction), get-machineaction-object.md,
// get-machineactions-collection.md, get-machine-by-id.md, get-machines.md; errors per common-errors.md
// (`{"error":{"code","message","target"}}`). Body parameter names are case-sensitive: a wrong-case known name is
// 400 InvalidRequestBody, a missing one 400 MissingRequiredParameter. A second request for an action still open on
// the device is 400 ActiveRequestAlreadyExists "Action is already in progress" (the pages say 400 "already in
// progress"; the code name is third-party, UNCONFIRMED). Platform support follows each page's requirements.
import { apiError, apiOk, apiRoute } from './apiCommon';
import { isPlainObject, jsonBody, type Reply, type SandboxRequest } from './httpUtil';
import type { SandboxAction, SandboxMachine } from './mde/store';
import { compileFilter, FilterError, parseFilter, type FilterSchema } from './odataFilter';
import type { Route } from './router';
import type { ApiFamily, SandboxState } from './state';

interface ActionSpec {
  type: string;
  family: ApiFamily;
  /** Body parameters besides Comment, with whether each is required and its allowed values (undefined: any). */
  params: Record<string, { required: boolean; values?: readonly string[]; pattern?: RegExp }>;
  /** osPlatform values the page lists; undefined: any onboarded device. */
  platforms?: readonly string[];
}

const WORKSTATIONS = ['Windows10', 'Windows11'] as const;

const ACTIONS: Record<string, ActionSpec> = {
  isolate: {
    type: 'Isolate',
    family: 'mdeIsolate',
    // "required-ness not marked" on the page: the sandbox takes Full when it is absent.
    params: { IsolationType: { required: false, values: ['Full', 'Selective', 'UnManagedDevice'] } },
  },
  unisolate: { type: 'Unisolate', family: 'mdeIsolate', params: {} },
  runantivirusscan: {
    type: 'RunAntiVirusScan',
    family: 'mdeScan',
    params: { ScanType: { required: true, values: ['Quick', 'Full'] } },
    platforms: WORKSTATIONS,
  },
  collectinvestigationpackage: { type: 'CollectInvestigationPackage', family: 'mdeCollect', params: {} },
  restrictcodeexecution: {
    type: 'RestrictCodeExecution',
    family: 'mdeRestrict',
    params: {},
    platforms: WORKSTATIONS,
  },
  unrestrictcodeexecution: {
    type: 'UnrestrictCodeExecution',
    family: 'mdeRestrict',
    params: {},
    platforms: WORKSTATIONS,
  },
  stopandquarantinefile: {
    type: 'StopAndQuarantineFile',
    family: 'mdeQuarantine',
    params: { Sha1: { required: true, pattern: /^[0-9a-fA-F]{40}$/ } },
    platforms: WORKSTATIONS,
  },
};

/** isolate-machine.md: Full on Windows 10 1703+, 11 and supported Linux; Selective on Windows 10 1709+ and 11. */
const ISOLATION_PLATFORMS: Record<string, readonly string[]> = {
  Full: ['Windows10', 'Windows11', 'WindowsServer2016', 'WindowsServer2019', 'WindowsServer2022', 'Linux'],
  Selective: WORKSTATIONS,
};

const API = '(?:/api|/api/v1\\.0)';

const err = (state: SandboxState, req: SandboxRequest, status: number, code: string, message: string): Reply =>
  apiError(state, 'mde', req, status, code, message);

const machineNotFound = (state: SandboxState, req: SandboxRequest, id: string): Reply =>
  err(state, req, 404, 'ResourceNotFound', `Machine ${id} was not found`);

function renderMachine(m: SandboxMachine): Record<string, unknown> {
  const { isolation: _isolation, restricted: _restricted, ...wire } = m;
  return wire;
}

function postAction(state: SandboxState, req: SandboxRequest, id: string, spec: ActionSpec, appId: string): Reply {
  const machine = state.mde.machine(id);
  if (!machine) return machineNotFound(state, req, id);
  const body = jsonBody(req);
  if (body instanceof Error || !isPlainObject(body))
    return err(state, req, 400, 'InvalidRequestBody', 'Request body is not a valid JSON object');
  const known = ['Comment', ...Object.keys(spec.params)];
  for (const key of Object.keys(body)) {
    const meant = known.find((k) => k.toLowerCase() === key.toLowerCase());
    if (meant && meant !== key)
      return err(state, req, 400, 'InvalidRequestBody', `Request body is invalid: unknown parameter '${key}'`);
  }
  if (typeof body.Comment !== 'string' || body.Comment.trim() === '')
    return err(state, req, 400, 'MissingRequiredParameter', "Parameter 'Comment' is missing");
  for (const [name, p] of Object.entries(spec.params)) {
    const v = body[name];
    if (v === undefined || v === null) {
      if (p.required) return err(state, req, 400, 'MissingRequiredParameter', `Parameter '${name}' is missing`);
      continue;
    }
    if (typeof v !== 'string' || (p.values && !p.values.includes(v)))
      return err(state, req, 400, 'InvalidRequestBody', `Invalid value '${String(v)}' for parameter '${name}'`);
    if (p.pattern && !p.pattern.test(v))
      return err(state, req, 400, 'InvalidHashValue', `The value '${v}' is not a valid SHA-1 hash`);
  }
  const scope =
    spec.type === 'Isolate'
      ? String(body.IsolationType ?? 'Full')
      : spec.type === 'RunAntiVirusScan'
        ? String(body.ScanType)
        : null;
  if (spec.type === 'Isolate' && scope === 'UnManagedDevice')
    return err(state, req, 400, 'InvalidInput', 'UnManagedDevice isolation applies to unmanaged devices only');
  const platforms = spec.type === 'Isolate' ? ISOLATION_PLATFORMS[scope ?? 'Full'] : spec.platforms;
  if (platforms && !platforms.includes(machine.osPlatform))
    return err(
      state,
      req,
      400,
      'OsPlatformNotSupported',
      `${spec.type}${scope ? ` (${scope})` : ''} is not supported on ${machine.osPlatform}`,
    );
  if (state.mde.open(machine.id, spec.type))
    return err(state, req, 400, 'ActiveRequestAlreadyExists', 'Action is already in progress');
  const action = state.mde.create(machine, {
    type: spec.type,
    scope,
    comment: body.Comment,
    requestor: `API-App:${appId}`,
    ...(spec.type === 'StopAndQuarantineFile' ? { sha1: String(body.Sha1).toLowerCase() } : {}),
  });
  return apiOk(
    state,
    'mde',
    req,
    { '@odata.context': `${state.url}/api/$metadata#MachineActions/$entity`, ...action },
    201,
  );
}

const ACTION_FILTER: FilterSchema<SandboxAction> = {
  properties: {
    id: { kind: 'string', get: (a) => a.id },
    status: { kind: 'string', get: (a) => a.status },
    machineId: { kind: 'string', get: (a) => a.machineId },
    type: { kind: 'string', get: (a) => a.type },
    requestor: { kind: 'string', get: (a) => a.requestor },
    creationDateTimeUtc: { kind: 'datetime', get: (a) => a.creationDateTimeUtc },
  },
  notFilterable: (name) => `Invalid filter: property '${name}' is not filterable`,
};

const MACHINE_FILTER: FilterSchema<SandboxMachine> = {
  properties: {
    id: { kind: 'string', get: (m) => m.id },
    computerDnsName: { kind: 'string', get: (m) => m.computerDnsName },
    aadDeviceId: { kind: 'string', get: (m) => m.aadDeviceId },
    osPlatform: { kind: 'string', get: (m) => m.osPlatform },
    healthStatus: { kind: 'string', get: (m) => m.healthStatus },
    riskScore: { kind: 'string', get: (m) => m.riskScore },
    lastSeen: { kind: 'datetime', get: (m) => m.lastSeen },
  },
  notFilterable: (name) => `Invalid filter: property '${name}' is not filterable`,
};

/** `$filter`, `$top` (at most 10,000), `$skip`: the options the list pages document. */
function listOf<T>(
  state: SandboxState,
  req: SandboxRequest,
  items: T[],
  schema: FilterSchema<T>,
  render: (t: T) => unknown,
  context: string,
): Reply {
  const q = req.url.searchParams;
  let rows = items;
  const filter = q.get('$filter');
  if (filter !== null && filter.trim() !== '') {
    try {
      rows = rows.filter(compileFilter(parseFilter(filter), schema));
    } catch (e) {
      if (!(e instanceof FilterError)) throw e;
      return err(state, req, 400, 'ODataError', e.message);
    }
  }
  const top = q.get('$top') === null ? 10_000 : Number(q.get('$top'));
  const skip = q.get('$skip') === null ? 0 : Number(q.get('$skip'));
  if (!Number.isInteger(top) || top < 0 || top > 10_000 || !Number.isInteger(skip) || skip < 0)
    return err(state, req, 400, 'ODataError', '$top must be 0-10000 and $skip a whole number');
  return apiOk(state, 'mde', req, {
    '@odata.context': `${state.url}/api/$metadata#${context}`,
    value: rows.slice(skip, skip + top).map(render),
  });
}

export function mdeRoutes(state: SandboxState): Route[] {
  const read = (pattern: RegExp, handler: (req: SandboxRequest, params: string[]) => Reply): Route =>
    apiRoute(state, 'mde', 'mdeRead', ['GET'], pattern, (req, params) => handler(req, params));
  const actionRoutes = Object.entries(ACTIONS).map(([segment, spec]) =>
    apiRoute(
      state,
      'mde',
      spec.family,
      ['POST'],
      new RegExp(`^${API}/machines/([^/]+)/${segment}/?$`, 'i'),
      (req, [id = ''], claims) => postAction(state, req, id, spec, claims.appid),
    ),
  );
  return [
    ...actionRoutes,
    read(new RegExp(`^${API}/machineactions/?$`, 'i'), (req) =>
      listOf(state, req, state.mde.list(), ACTION_FILTER, (a) => a, 'MachineActions'),
    ),
    read(new RegExp(`^${API}/machineactions/([^/]+)/?$`, 'i'), (req, [id = '']) => {
      const a = state.mde.get(id);
      return a
        ? apiOk(state, 'mde', req, { '@odata.context': `${state.url}/api/$metadata#MachineActions/$entity`, ...a })
        : err(state, req, 404, 'ResourceNotFound', `Machine action ${id} was not found`);
    }),
    read(new RegExp(`^${API}/machines/?$`, 'i'), (req) => {
      state.mde.list(); // brings device state up to date with finished actions
      const found = listOf(state, req, state.mde.machines, MACHINE_FILTER, renderMachine, 'Machines');
      return found;
    }),
    read(new RegExp(`^${API}/machines/([^/]+)/?$`, 'i'), (req, [id = '']) => {
      state.mde.list();
      const m = state.mde.machine(id);
      return m
        ? apiOk(state, 'mde', req, {
            '@odata.context': `${state.url}/api/$metadata#Machines/$entity`,
            ...renderMachine(m),
          })
        : machineNotFound(state, req, id);
    }),
  ];
}
