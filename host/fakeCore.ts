// A stand-in for the Node worker's `@azure/functions-core` module, so `app.http/timer/storageQueue` register for real
// instead of being dropped in "test mode". The library looks the module up lazily through `require` on its first
// `app.*()` call and caches a miss, so this file must be imported before any module that calls `app.*()`.
// Invocations then go through the library's own InvocationModel (input conversion, hooks, response conversion) the way
// the worker drives it (azure-functions-nodejs-worker `InvocationHandler`). See local-azure.md §1.
import { randomUUID } from 'node:crypto';
import Module from 'node:module';

/** RPC typed data as the worker exchanges it with the library (only the shapes this host uses). */
export interface RpcTypedData {
  string?: string | null;
  json?: string | null;
  bytes?: Uint8Array | null;
  stream?: Uint8Array | null;
  int?: number | null;
  double?: number | null;
  http?: RpcHttpData | null;
  collectionString?: { string?: string[] | null } | null;
  collectionBytes?: { bytes?: Uint8Array[] | null } | null;
}

export interface RpcNullable<T> {
  value?: T | null;
}

export interface RpcHttpCookie {
  name?: string | null;
  value?: string | null;
  domain?: RpcNullable<string> | null;
  path?: RpcNullable<string> | null;
  expires?: RpcNullable<{ seconds?: number | null; nanos?: number | null }> | null;
  secure?: RpcNullable<boolean> | null;
  httpOnly?: RpcNullable<boolean> | null;
  sameSite?: 'none' | 'lax' | 'strict' | 'explicitNone' | null;
  maxAge?: RpcNullable<number> | null;
}

export interface RpcHttpData {
  method?: string | null;
  url?: string | null;
  headers?: Record<string, string> | null;
  body?: RpcTypedData | null;
  params?: Record<string, string> | null;
  query?: Record<string, string> | null;
  statusCode?: string | null;
  cookies?: RpcHttpCookie[] | null;
  enableContentNegotiation?: boolean | null;
}

/** A binding as `toCoreFunctionMetadata` emits it: the trigger/input/output options plus type and direction. */
export interface RpcBindingInfo {
  type?: string;
  direction?: 'in' | 'out' | 'inout';
  [option: string]: unknown;
}

export interface RpcDuration {
  seconds?: number | null;
  nanos?: number | null;
}

export interface RpcRetryOptions {
  retryStrategy?: 'fixedDelay' | 'exponentialBackoff';
  maxRetryCount?: number;
  delayInterval?: RpcDuration;
  minimumInterval?: RpcDuration;
  maximumInterval?: RpcDuration;
}

export interface FunctionMetadata {
  name: string;
  bindings: Record<string, RpcBindingInfo>;
  retryOptions?: RpcRetryOptions;
}

export interface RpcRetryContext {
  retryCount: number;
  maxRetryCount: number;
  exception?: { message?: string; source?: string; stackTrace?: string };
}

export interface RpcInvocationResponse {
  invocationId: string;
  outputData?: Array<{ name: string; data: RpcTypedData | null | undefined }>;
  returnValue?: RpcTypedData | null;
}

export type LogLevel = 'trace' | 'debug' | 'information' | 'warning' | 'error' | 'critical' | 'none';
export type LogCategory = 'user' | 'system' | 'customMetric';
type FunctionCallback = (...args: unknown[]) => unknown;
type HookCallback = (context: Record<string, unknown>) => unknown;

interface InvocationArguments {
  context: InvocationContextLike;
  inputs: unknown[];
}

/** The parts of the library's InvocationContext this host reads. */
export interface InvocationContextLike {
  invocationId: string;
  functionName: string;
  extraOutputs: { get(key: string): unknown };
}

interface InvocationModel {
  getArguments(): Promise<InvocationArguments>;
  invokeFunction(context: InvocationContextLike, inputs: unknown[], handler: FunctionCallback): Promise<unknown>;
  getResponse(context: InvocationContextLike, result: unknown): Promise<RpcInvocationResponse>;
}

interface ProgrammingModel {
  name: string;
  version: string;
  getInvocationModel(coreCtx: CoreInvocationContext): InvocationModel;
}

interface CoreInvocationContext {
  invocationId: string;
  metadata: FunctionMetadata;
  request: {
    inputData: Array<{ name: string; data: RpcTypedData }>;
    triggerMetadata: Record<string, RpcTypedData>;
    retryContext?: RpcRetryContext;
  };
  state?: 'preInvocationHooks' | 'postInvocationHooks' | 'invocation';
  log(level: LogLevel, category: LogCategory, message: string): void;
}

export interface Registration {
  metadata: FunctionMetadata;
  callback: FunctionCallback;
}

class Disposable {
  readonly #onDispose: () => void;
  constructor(onDispose: () => void) {
    this.#onDispose = onDispose;
  }
  dispose(): void {
    this.#onDispose();
  }
}

/** Every function the app registered, by name (the worker also refuses duplicate names). */
export const registrations = new Map<string, Registration>();
/** Hooks registered through `app.hook.*`, by hook name ('appStart', 'preInvocation', 'log', ...). */
export const hooks: Record<string, HookCallback[]> = {};
/** Shared across every hook of the app, as the worker's `appHookData`. */
export const appHookData: Record<string, unknown> = {};

let programmingModel: ProgrammingModel | undefined;
/** Set when the app called `app.setup({ enableHttpStream: true })` (the library logs that through the core). */
let streamRequested = false;
/** System messages from the library itself (e.g. "Discarding the body of the incoming GET request"). */
let systemLogSink: (level: LogLevel, message: string) => void = () => {};

/** Route the library's system log lines (`workerSystemLog`) somewhere visible. */
export function setSystemLogSink(sink: (level: LogLevel, message: string) => void): void {
  systemLogSink = sink;
}

const coreApi = {
  version: '3.10.1-local',
  // enableHttpStream checks hostVersion >= 4.28; the value only needs to be plausible.
  hostVersion: '4.1037.0',
  Disposable,
  setProgrammingModel(model: ProgrammingModel): void {
    programmingModel = model;
  },
  getProgrammingModel(): ProgrammingModel | undefined {
    return programmingModel;
  },
  registerFunction(metadata: FunctionMetadata, callback: FunctionCallback): Disposable {
    if (registrations.has(metadata.name)) {
      throw new Error(`A function with the name "${metadata.name}" has already been registered.`);
    }
    registrations.set(metadata.name, { metadata, callback });
    return new Disposable(() => registrations.delete(metadata.name));
  },
  registerHook(name: string, callback: HookCallback): Disposable {
    const list = (hooks[name] ??= []);
    list.push(callback);
    return new Disposable(() => {
      const i = list.indexOf(callback);
      if (i >= 0) list.splice(i, 1);
    });
  },
  // Must exist: without it the library refuses `enableHttpStream` and log hooks, and system logs go to console.
  log(level: LogLevel, _category: LogCategory, message: string): void {
    if (message === 'HTTP streaming enabled.') streamRequested = true;
    systemLogSink(level, message);
  },
};

function alreadyLoadedFunctionsLibrary(): boolean {
  return Object.keys(require.cache).some((p) => /[\\/]node_modules[\\/]@azure[\\/]functions[\\/]/.test(p));
}

const CORE_MODULE = '@azure/functions-core';
const installedFlag = Symbol.for('riposte.host.fakeCore');
type RequireFn = (this: NodeJS.Module, id: string) => unknown;

function install(): void {
  const proto = Module.prototype as unknown as Record<symbol, unknown> & { require: RequireFn };
  if (proto[installedFlag]) return;
  if (alreadyLoadedFunctionsLibrary()) {
    // The library would already have cached "no core" and be in test mode: fail loudly rather than serve nothing.
    throw new Error('host/fakeCore must be imported before @azure/functions is first required');
  }
  const original = proto.require;
  proto.require = new Proxy(original, {
    apply(target, self: NodeJS.Module, args: [string]) {
      return args[0] === CORE_MODULE ? coreApi : Reflect.apply(target, self, args);
    },
  });
  proto[installedFlag] = true;
}

install();

/** Make sure the library has set its programming model (it does so on the first `app.*()` call). */
export function getProgrammingModel(): ProgrammingModel {
  if (!programmingModel) {
    // `app.setup({})` makes the library look up the core and hand over its model without registering anything.
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    (require('@azure/functions') as { app: { setup(o: object): void } }).app.setup({});
  }
  if (!programmingModel) throw new Error('@azure/functions did not set a programming model');
  return programmingModel;
}

/**
 * Turn HTTP streaming back off if the app enabled it: with streaming on, the library waits for a request on its own
 * proxy port that this host never sends. Handlers see the same HttpRequest API either way (body, text(), json()).
 * @returns whether the app had asked for streaming
 */
export function keepHttpStreamOff(): boolean {
  if (!streamRequested) return false;
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  (require('@azure/functions') as { app: { setup(o: object): void } }).app.setup({ enableHttpStream: false });
  streamRequested = false;
  return true;
}

export interface InvokeOptions {
  invocationId?: string;
  retryContext?: RpcRetryContext;
  /** Receives user and system log lines of this invocation (after log hooks ran). */
  log?: (level: LogLevel, category: LogCategory, message: string) => void;
}

export interface InvokeResult {
  context: InvocationContextLike;
  result: unknown;
  response: RpcInvocationResponse;
  logs: string[];
}

/** The trigger binding's name and options of a registered function. */
export function triggerOf(metadata: FunctionMetadata): [string, RpcBindingInfo] {
  const found = Object.entries(metadata.bindings).find(([, b]) => /trigger$/i.test(b.type ?? ''));
  if (!found) throw new Error(`Function "${metadata.name}" has no trigger binding`);
  return found;
}

async function runHooks(name: string, context: Record<string, unknown>): Promise<void> {
  for (const hook of [...(hooks[name] ?? [])]) await hook(context);
}

/**
 * Invoke a registered function the way the worker does: build the arguments with the library's InvocationModel,
 * run preInvocation hooks, the handler, postInvocation hooks, then convert outputs to RPC data.
 * @param name - registered function name
 * @param triggerData - RPC data of the trigger input, e.g. `{ http: {...} }`, `{ json: '...' }`, `{ string: '...' }`
 * @param triggerMetadata - RPC trigger metadata, e.g. `{ DequeueCount: { int: 1 } }`
 * @throws the handler's error (after postInvocation hooks saw it), as the worker reports a failed invocation
 */
export async function invoke(
  name: string,
  triggerData: RpcTypedData,
  triggerMetadata: Record<string, RpcTypedData> = {},
  options: InvokeOptions = {},
): Promise<InvokeResult> {
  const reg = registrations.get(name);
  if (!reg) throw new Error(`No function named "${name}" is registered`);
  const [triggerName] = triggerOf(reg.metadata);
  const logs: string[] = [];
  // Filled in once the library has built the context, so log hooks can see it.
  const current: { context?: InvocationContextLike } = {};
  const coreCtx: CoreInvocationContext = {
    invocationId: options.invocationId ?? randomUUID(),
    metadata: reg.metadata,
    request: {
      inputData: [{ name: triggerName, data: triggerData }],
      triggerMetadata,
      ...(options.retryContext ? { retryContext: options.retryContext } : {}),
    },
    log(level, category, message) {
      const logContext: Record<string, unknown> = {
        hookData: {},
        level,
        category,
        message,
        invocationContext: current.context,
      };
      for (const hook of hooks.log ?? []) {
        // A failing log hook must not fail the invocation (the worker swallows these too).
        try {
          const r = hook(logContext);
          if (r instanceof Promise) r.catch(() => {});
        } catch {
          // ignored, see above
        }
      }
      const finalLevel = logContext.level as LogLevel;
      const finalMessage = String(logContext.message);
      logs.push(`${finalLevel}/${category}: ${finalMessage}`);
      options.log?.(finalLevel, category, finalMessage);
    },
  };

  const model = getProgrammingModel().getInvocationModel(coreCtx);
  const { context, inputs } = await model.getArguments();
  current.context = context;
  const hookData: Record<string, unknown> = {};

  const pre: Record<string, unknown> = {
    hookData,
    appHookData,
    invocationContext: context,
    inputs,
    functionCallback: reg.callback,
  };
  coreCtx.state = 'preInvocationHooks';
  try {
    await runHooks('preInvocation', pre);
  } finally {
    coreCtx.state = undefined;
  }

  const post: Record<string, unknown> = {
    hookData,
    appHookData,
    invocationContext: context,
    inputs: pre.inputs,
    result: null,
    error: null,
  };
  try {
    post.result = await model.invokeFunction(
      context,
      pre.inputs as unknown[],
      pre.functionCallback as FunctionCallback,
    );
  } catch (err) {
    post.error = err;
  }
  coreCtx.state = 'postInvocationHooks';
  try {
    await runHooks('postInvocation', post);
  } finally {
    coreCtx.state = undefined;
  }
  if (post.error !== null && post.error !== undefined) throw post.error;

  const response = await model.getResponse(context, post.result);
  return { context, result: post.result, response, logs };
}

/** Run `appStart` hooks once the app's modules are loaded, as the worker does after indexing. */
export async function runAppStartHooks(functionAppDirectory: string): Promise<void> {
  await runHooks('appStart', { hookData: appHookData, appHookData, functionAppDirectory });
}

/** Run `appTerminate` hooks when the host shuts down. */
export async function runAppTerminateHooks(): Promise<void> {
  await runHooks('appTerminate', { hookData: appHookData, appHookData });
}
