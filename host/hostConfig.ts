// Reads the host.json settings the local host honours, with the Functions host's defaults
// (webhooks-and-host.md §5: routePrefix "api", Consumption functionTimeout 5 min, queue defaults).
import { readFileSync } from 'node:fs';
import { parseTimeSpan } from './timeSpan';

export interface QueueSettings {
  batchSize: number;
  newBatchThreshold: number;
  maxDequeueCount: number;
  visibilityTimeoutMs: number;
  maxPollingIntervalMs: number;
  messageEncoding: 'base64' | 'none';
}

export interface HostConfig {
  /** `null` means unbounded (`"functionTimeout": "-1"`). */
  functionTimeoutMs: number | null;
  routePrefix: string;
  queues: QueueSettings;
}

const DEFAULT_FUNCTION_TIMEOUT_MS = 5 * 60_000;
/** The queue extension's floor for maxPollingInterval. */
const MIN_POLLING_INTERVAL_MS = 100;

type Json = Record<string, unknown>;

function objectAt(parent: unknown, key: string): Json {
  const v = parent && typeof parent === 'object' ? (parent as Json)[key] : undefined;
  return v && typeof v === 'object' ? (v as Json) : {};
}

function intSetting(obj: Json, key: string, fallback: number, min: number, max: number): number {
  const v = obj[key];
  if (v === undefined) return fallback;
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) {
    throw new Error(`host.json: ${key} must be an integer in ${min}..${max}`);
  }
  return v;
}

/**
 * Build the host settings from a parsed host.json object (missing keys take the host defaults).
 * @throws {Error} on malformed values, naming the key
 */
export function hostConfigFrom(hostJson: unknown): HostConfig {
  const extensions = objectAt(hostJson, 'extensions');
  const http = objectAt(extensions, 'http');
  const queues = objectAt(extensions, 'queues');
  const rawTimeout = hostJson && typeof hostJson === 'object' ? (hostJson as Json).functionTimeout : undefined;
  let functionTimeoutMs: number | null = DEFAULT_FUNCTION_TIMEOUT_MS;
  if (rawTimeout === '-1' || rawTimeout === -1) functionTimeoutMs = null;
  else if (rawTimeout !== undefined && rawTimeout !== null)
    functionTimeoutMs = parseTimeSpan(rawTimeout, 'functionTimeout');

  const batchSize = intSetting(queues, 'batchSize', 16, 1, 32);
  const encoding = queues.messageEncoding ?? 'base64';
  if (encoding !== 'base64' && encoding !== 'none')
    throw new Error('host.json: messageEncoding must be base64 or none');
  const routePrefix = http.routePrefix ?? 'api';
  if (typeof routePrefix !== 'string') throw new Error('host.json: extensions.http.routePrefix must be a string');
  return {
    functionTimeoutMs,
    routePrefix: routePrefix.replace(/^\/+|\/+$/g, ''),
    queues: {
      batchSize,
      // The host's default is vCPUs × batchSize / 2; one local instance counts as one.
      newBatchThreshold: intSetting(queues, 'newBatchThreshold', Math.floor(batchSize / 2), 0, 1000),
      maxDequeueCount: intSetting(queues, 'maxDequeueCount', 5, 1, 1000),
      visibilityTimeoutMs:
        queues.visibilityTimeout === undefined ? 0 : parseTimeSpan(queues.visibilityTimeout, 'visibilityTimeout'),
      maxPollingIntervalMs: Math.max(
        MIN_POLLING_INTERVAL_MS,
        queues.maxPollingInterval === undefined
          ? 60_000
          : parseTimeSpan(queues.maxPollingInterval, 'maxPollingInterval'),
      ),
      messageEncoding: encoding,
    },
  };
}

/** Read and parse host.json; a missing path yields the defaults. */
export function readHostConfig(path?: string): HostConfig {
  if (!path) return hostConfigFrom({});
  return hostConfigFrom(JSON.parse(readFileSync(path, 'utf8')) as unknown);
}

/**
 * Replace `%Name%` references with app settings, as the host does for schedules, queue names and routes.
 * @throws {Error} naming the first setting that does not resolve
 */
export function resolveSettingRefs(value: string, lookup: (name: string) => string | undefined): string {
  return value.replace(/%([^%]+)%/g, (_m, name: string) => {
    const v = lookup(name);
    if (v === undefined) throw new Error(`'%${name}%' does not resolve to a value`);
    return v;
  });
}
