// Idempotency for writes, over the StateStore. Each write has a key:
// - a finding (no delivery key): "<workflow>/<incidentId>/<hash of the requested change>", so the same change to
//   the same incident is made once, whichever run finds it;
// - a delivery (webhook or caller idempotency key): "<workflow>/d/<key>/<stepId>/<incidentId>", so a redelivery
//   changes nothing even if its texts hold times.
// Protocol: pending (claimed, with a lease) → call the API → done. A re-run skips done writes. A pending write is
// taken over by the same attempt (the resumed window or delivery) at once, by anyone else only after its lease
// expires; the step then checks whether the earlier attempt already made the change (comment markers). The lease is
// short (LEASE_SECONDS, 60 s at most) and renewed by the run's heartbeat while the write is in flight
// (shared/state/heartbeat.ts), so a slow run keeps it and a dead one gives it up within a minute.
// A failed call never leaves the lease behind (steps/settleWrite.ts): refused → released (deleted); outcome unknown →
// read back → done or released; read-back failed too → still pending with its intent, lease ended.
import { createHash } from 'node:crypto';
import type { Heartbeat } from '../state/heartbeat';
import { holdRecord, type HeldRecord } from '../state/heldRecord';
import type { StateStore, Version, WriteRecord } from '../state/types';
import { InProgressError } from './inProgressError';
import type { PreparedWrite, WriteGuard } from '../steps/types';

export interface WriteGuardOptions {
  state: StateStore;
  workflow: string;
  stepId: string;
  runId: string;
  /** Identifies this attempt across restarts: the window's run id, "d:<delivery key>", or the run id. */
  owner: string;
  idempotencyKey: string | undefined;
  now: () => Date;
  leaseMs: number;
  /** Renews each claimed write's lease until it is settled; absent, a claim lasts leaseMs. */
  heartbeat?: Heartbeat;
}

/** Stable JSON: object keys sorted, so equal changes hash equally. */
export function canonicalJson(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonicalJson).join(',')}]`;
  if (v && typeof v === 'object') {
    const entries = Object.entries(v as Record<string, unknown>)
      .filter(([, x]) => x !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, x]) => `${JSON.stringify(k)}:${canonicalJson(x)}`).join(',')}}`;
  }
  return JSON.stringify(v) ?? 'null';
}

const MAX_INTENT_CHARS = 30_000;

/** Retry-After for a write that three rounds of racing runs kept changing: they finish within seconds. */
const CONTENDED_RETRY_MS = 5000;

const sha256 = (s: string): string => createHash('sha256').update(s).digest('hex');

/** @returns the key of a write (see the file comment for the two forms). */
export function writeKey(
  o: { workflow: string; stepId: string; idempotencyKey: string | undefined },
  incidentId: string,
  intent: unknown,
): string {
  if (o.idempotencyKey !== undefined) return `${o.workflow}/d/${o.idempotencyKey}/${o.stepId}/${incidentId}`;
  return `${o.workflow}/${incidentId}/${sha256(canonicalJson(intent)).slice(0, 32)}`;
}

/** The 8 hex digits in a write's comment marker. */
export const markerIdOf = (key: string): string => sha256(key).slice(0, 8);

export function createWriteGuard(o: WriteGuardOptions): WriteGuard {
  return {
    async prepare(incidentId, intent): Promise<PreparedWrite> {
      const key = writeKey(o, incidentId, intent);
      const markerId = markerIdOf(key);
      let current = await o.state.getWrite(o.workflow, key);
      let held: HeldRecord | undefined;
      let intentJson: string | undefined;
      const record = (state: WriteRecord['state']): WriteRecord => {
        const now = o.now();
        return {
          key,
          state,
          owner: o.owner,
          runId: o.runId,
          incidentId,
          leaseUntil: new Date(now.getTime() + o.leaseMs).toISOString(),
          updatedAt: now.toISOString(),
          // Only a pending write needs it; a done record stays small.
          ...(state === 'pending' && intentJson !== undefined ? { intent: intentJson } : {}),
        };
      };
      return {
        key,
        markerId,
        done: current?.record.state === 'done',
        pending: current?.record.state === 'pending',
        async claim(replay): Promise<'fresh' | 'resumed' | 'done'> {
          const json = replay ? JSON.stringify(replay) : undefined;
          // A Table string property holds 64 KiB (32 K UTF-16 characters); a larger intent is not kept for replay.
          intentJson = json !== undefined && json.length <= MAX_INTENT_CHARS ? json : undefined;
          // Three rounds are enough: each lost race means someone else changed the record, and we re-read it.
          const hold = (version: Version): void => {
            held = holdRecord(
              {
                label: `the write to incident ${incidentId}`,
                leaseMs: o.leaseMs,
                heartbeat: o.heartbeat,
                renew: (at) => o.state.replaceWrite(o.workflow, record('pending'), at),
              },
              version,
            );
          };
          for (let round = 0; round < 3; round++) {
            if (!current) {
              const version = await o.state.createWrite(o.workflow, record('pending'));
              if (version !== undefined) {
                hold(version);
                return 'fresh';
              }
            } else {
              const r = current.record;
              if (r.state === 'done') return 'done';
              const leaseLeftMs = Date.parse(r.leaseUntil) - o.now().getTime();
              if (r.owner !== o.owner && leaseLeftMs > 0) {
                throw new InProgressError(
                  'WRITE_IN_PROGRESS',
                  `another run (${r.runId}) is applying this change to incident ${incidentId}; it is retried by the next run once that run finishes or its lease ends at ${r.leaseUntil}`,
                  leaseLeftMs,
                );
              }
              const version = await o.state.replaceWrite(o.workflow, record('pending'), current.version);
              if (version !== undefined) {
                hold(version);
                return 'resumed';
              }
            }
            current = await o.state.getWrite(o.workflow, key);
          }
          throw new InProgressError(
            'WRITE_IN_PROGRESS',
            `the write to incident ${incidentId} kept changing under concurrent runs`,
            CONTENDED_RETRY_MS,
          );
        },
        async release(): Promise<void> {
          if (!held) return;
          held.letGo();
          // False when another attempt took the record over meanwhile: then it is theirs to finish.
          await held.change(async (version) => {
            await o.state.deleteWrite(o.workflow, key, version);
            return undefined;
          });
        },
        async suspend(): Promise<void> {
          if (!held) return;
          held.letGo();
          const ended = { ...record('pending'), leaseUntil: o.now().toISOString() };
          await held.change((version) => o.state.replaceWrite(o.workflow, ended, version));
        },
        async complete(): Promise<void> {
          held?.letGo();
          if (held && (await held.change((version) => o.state.replaceWrite(o.workflow, record('done'), version))))
            return;
          // The lease ran out and another attempt took the record over; the change is made either way.
          const latest = await o.state.getWrite(o.workflow, key);
          if (latest?.record.state === 'done') return;
          if (latest) await o.state.replaceWrite(o.workflow, record('done'), latest.version);
          else await o.state.createWrite(o.workflow, record('done'));
        },
      };
    },
  };
}
