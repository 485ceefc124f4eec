// In-memory StateStore for unit tests and dry local runs: same semantics as the Table store (insert-if-absent,
// compare-and-swap by version, watermark never moves backwards), nothing survives the process.
import {
  sameWindowClaim,
  type AsyncRunRecord,
  type IdempotencyRecord,
  type PendingWindow,
  type StateStore,
  type Version,
  type WatermarkState,
  type WriteRecord,
} from './types';

export interface MemoryStateStore extends StateStore {
  /** Every write record, for assertions. */
  writes(): WriteRecord[];
}

/** @returns a fresh, empty store. */
export function createMemoryStateStore(): MemoryStateStore {
  const marks = new Map<string, { watermark: string | undefined; pending: PendingWindow | undefined }>();
  const writes = new Map<string, { record: WriteRecord; version: number }>();
  const requests = new Map<string, { record: IdempotencyRecord; version: number }>();
  const runs = new Map<string, { record: AsyncRunRecord; version: number }>();
  let counter = 0;
  const id = (workflow: string, key: string): string => `${workflow}\u0000${key}`;
  const copy = (r: IdempotencyRecord): IdempotencyRecord => structuredClone(r);

  return {
    async getWatermark(workflow): Promise<WatermarkState> {
      const m = marks.get(workflow);
      return { workflow, watermark: m?.watermark, pending: m?.pending ? { ...m.pending } : undefined };
    },
    async claimWindow(workflow, pending, expected): Promise<boolean> {
      const m = marks.get(workflow) ?? { watermark: undefined, pending: undefined };
      if (!sameWindowClaim(m.pending, expected)) return false;
      marks.set(workflow, { ...m, pending: { ...pending } });
      return true;
    },
    async renewWindow(workflow, runId, holder, leaseUntil): Promise<boolean> {
      const m = marks.get(workflow);
      if (!m?.pending || m.pending.runId !== runId || m.pending.holder !== holder) return false;
      marks.set(workflow, { ...m, pending: { ...m.pending, leaseUntil } });
      return true;
    },
    async completeWindow(workflow, runId, end, holder): Promise<void> {
      const m = marks.get(workflow) ?? { watermark: undefined, pending: undefined };
      const watermark = m.watermark !== undefined && Date.parse(m.watermark) > Date.parse(end) ? m.watermark : end;
      const mine =
        m.pending?.runId === runId &&
        (holder === undefined || m.pending.holder === undefined || m.pending.holder === holder);
      marks.set(workflow, { watermark, pending: mine ? undefined : m.pending });
    },
    async getWrite(workflow, key): Promise<{ record: WriteRecord; version: Version } | undefined> {
      const w = writes.get(id(workflow, key));
      return w ? { record: { ...w.record }, version: String(w.version) } : undefined;
    },
    async listPendingWrites(workflow): Promise<{ record: WriteRecord; version: Version }[]> {
      return [...writes.entries()]
        .filter(([k, w]) => k.startsWith(`${workflow}\u0000`) && w.record.state === 'pending')
        .map(([, w]) => ({ record: { ...w.record }, version: String(w.version) }));
    },
    async createWrite(workflow, record): Promise<Version | undefined> {
      const k = id(workflow, record.key);
      if (writes.has(k)) return undefined;
      writes.set(k, { record: { ...record }, version: ++counter });
      return String(counter);
    },
    async replaceWrite(workflow, record, version): Promise<Version | undefined> {
      const k = id(workflow, record.key);
      const w = writes.get(k);
      if (!w || String(w.version) !== version) return undefined;
      writes.set(k, { record: { ...record }, version: ++counter });
      return String(counter);
    },
    async deleteWrite(workflow, key, version): Promise<boolean> {
      const k = id(workflow, key);
      if (String(writes.get(k)?.version) !== version) return false;
      return writes.delete(k);
    },
    async getIdempotency(workflow, key): Promise<{ record: IdempotencyRecord; version: Version } | undefined> {
      const r = requests.get(id(workflow, key));
      return r ? { record: copy(r.record), version: String(r.version) } : undefined;
    },
    async createIdempotency(workflow, record): Promise<Version | undefined> {
      const k = id(workflow, record.key);
      if (requests.has(k)) return undefined;
      requests.set(k, { record: copy(record), version: ++counter });
      return String(counter);
    },
    async replaceIdempotency(workflow, record, version): Promise<Version | undefined> {
      const k = id(workflow, record.key);
      if (String(requests.get(k)?.version) !== version) return undefined;
      requests.set(k, { record: copy(record), version: ++counter });
      return String(counter);
    },
    async deleteIdempotency(workflow, key, version): Promise<boolean> {
      const k = id(workflow, key);
      if (String(requests.get(k)?.version) !== version) return false;
      return requests.delete(k);
    },
    async getRun(runId): Promise<{ record: AsyncRunRecord; version: Version } | undefined> {
      const r = runs.get(runId);
      return r ? { record: structuredClone(r.record), version: String(r.version) } : undefined;
    },
    async createRun(record): Promise<Version | undefined> {
      if (runs.has(record.runId)) return undefined;
      runs.set(record.runId, { record: structuredClone(record), version: ++counter });
      return String(counter);
    },
    async replaceRun(record, version): Promise<Version | undefined> {
      if (String(runs.get(record.runId)?.version) !== version) return undefined;
      runs.set(record.runId, { record: structuredClone(record), version: ++counter });
      return String(counter);
    },
    async deleteRun(runId, version): Promise<boolean> {
      if (String(runs.get(runId)?.version) !== version) return false;
      return runs.delete(runId);
    },
    async purgeRuns(now): Promise<number> {
      let purged = 0;
      for (const [id, r] of runs) if (Date.parse(r.record.expiresAt) < now.getTime() && runs.delete(id)) purged++;
      return purged;
    },
    writes: () => [...writes.values()].map((w) => ({ ...w.record })),
  };
}
