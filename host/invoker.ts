// Runs one invocation the way the host does around the worker: "Executing/Executed" log lines, functionTimeout,
// output bindings written only on success, and every in-flight invocation tracked so close() can wait for it.
import { randomUUID } from 'node:crypto';
import { invoke, registrations, type RpcInvocationResponse, type RpcRetryContext, type RpcTypedData } from './fakeCore';
import { describeError } from './log';
import { formatTimeSpan } from './timeSpan';

export interface InvocationOutcome {
  ok: boolean;
  invocationId: string;
  response?: RpcInvocationResponse;
  error?: unknown;
  timedOut?: boolean;
}

/** Writes non-HTTP output bindings (e.g. queue messages) after a successful invocation. */
export type OutputWriter = (
  functionName: string,
  binding: { name: string; type: string; options: Record<string, unknown> },
  data: RpcTypedData,
) => Promise<void>;

export interface InvokerOptions {
  functionTimeoutMs: number | null;
  log: (message: string) => void;
  writeOutput: OutputWriter;
}

export interface RunOptions {
  reason: string;
  triggerMetadata?: Record<string, RpcTypedData>;
  retryContext?: RpcRetryContext;
}

export class Invoker {
  readonly #opts: InvokerOptions;
  /** Includes invocations abandoned after a timeout: their code may still be running. */
  readonly #inFlight = new Set<Promise<unknown>>();

  constructor(opts: InvokerOptions) {
    this.#opts = opts;
  }

  get inFlightCount(): number {
    return this.#inFlight.size;
  }

  /** Resolve once nothing is running, or after `timeoutMs` (returns how many are still running). */
  async waitIdle(timeoutMs: number): Promise<number> {
    const deadline = Date.now() + timeoutMs;
    while (this.#inFlight.size > 0 && Date.now() < deadline) {
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([
        Promise.allSettled([...this.#inFlight]),
        new Promise((r) => (timer = setTimeout(r, Math.max(0, deadline - Date.now())))),
      ]);
      clearTimeout(timer);
    }
    return this.#inFlight.size;
  }

  /** Invoke `name` with trigger data; never throws (the outcome says how it went). */
  async run(name: string, triggerData: RpcTypedData, opts: RunOptions): Promise<InvocationOutcome> {
    const invocationId = randomUUID();
    const log = this.#opts.log;
    const started = Date.now();
    log(`Executing 'Functions.${name}' (Reason='${opts.reason}', Id=${invocationId})`);
    const work = (async () => {
      const result = await invoke(name, triggerData, opts.triggerMetadata ?? {}, {
        invocationId,
        ...(opts.retryContext ? { retryContext: opts.retryContext } : {}),
        log: (level, category, message) =>
          log(`${category === 'system' ? 'System' : name}${level === 'information' ? '' : ` [${level}]`}: ${message}`),
      });
      await this.#writeOutputs(name, result.response);
      return result.response;
    })();
    this.#track(work);

    let timer: NodeJS.Timeout | undefined;
    const timeoutMs = this.#opts.functionTimeoutMs;
    const timeout =
      timeoutMs === null
        ? new Promise<never>(() => {})
        : new Promise<'timeout'>((resolve) => {
            timer = setTimeout(() => resolve('timeout'), timeoutMs);
          });
    try {
      const response = await Promise.race([work, timeout]);
      if (response === 'timeout') {
        // The host would recycle the worker process; here the abandoned call keeps running, but nobody waits for it.
        const msg = `Timeout value of ${formatTimeSpan(timeoutMs ?? 0)} was exceeded by function: Functions.${name}`;
        log(`Executed 'Functions.${name}' (Failed, Id=${invocationId}, Duration=${Date.now() - started}ms)`);
        log(`Functions.${name}: ${msg}`);
        return { ok: false, invocationId, timedOut: true, error: new Error(msg) };
      }
      log(`Executed 'Functions.${name}' (Succeeded, Id=${invocationId}, Duration=${Date.now() - started}ms)`);
      return { ok: true, invocationId, response };
    } catch (error) {
      log(`Executed 'Functions.${name}' (Failed, Id=${invocationId}, Duration=${Date.now() - started}ms)`);
      log(`Functions.${name}: Result: Failure Exception: ${describeError(error)}`);
      return { ok: false, invocationId, error };
    } finally {
      clearTimeout(timer);
    }
  }

  #track(p: Promise<unknown>): void {
    const tracked = p.then(
      () => undefined,
      () => undefined,
    );
    this.#inFlight.add(tracked);
    void tracked.then(() => this.#inFlight.delete(tracked));
  }

  async #writeOutputs(name: string, response: RpcInvocationResponse): Promise<void> {
    const bindings = registrations.get(name)?.metadata.bindings ?? {};
    const values: Array<[string, RpcTypedData | null | undefined]> = (response.outputData ?? []).map((o) => [
      o.name,
      o.data,
    ]);
    values.push(['$return', response.returnValue]);
    for (const [bindingName, data] of values) {
      const binding = bindings[bindingName];
      // HTTP responses are the HTTP layer's business; `$return` without a binding is ignored by the host too.
      if (!binding || binding.direction !== 'out' || data === null || data === undefined) continue;
      const type = String(binding.type ?? '');
      if (type.toLowerCase() === 'http') continue;
      await this.#opts.writeOutput(name, { name: bindingName, type, options: binding }, data);
    }
  }
}
