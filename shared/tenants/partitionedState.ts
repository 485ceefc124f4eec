// A tenant's slice of the state store: its windows (watermarks and leases), write records and idempotency keys live
// under `<tenant>/<workflow>`, so two tenants running the same workflow never share a window, a write claim or a
// request key (incident ids repeat across tenants). Run records are keyed by their random run id and carry their
// tenant in the stored request; they pass through. The partition '' (the deployment's own tenant) is the store itself.
import type { StateStore } from '../state/types';

export function partitionedState(state: StateStore, partition: string): StateStore {
  if (partition === '') return state;
  const p = (workflow: string): string => `${partition}/${workflow}`;
  return {
    getWatermark: async (workflow) => ({ ...(await state.getWatermark(p(workflow))), workflow }),
    claimWindow: (workflow, pending, expected) => state.claimWindow(p(workflow), pending, expected),
    renewWindow: (workflow, runId, holder, leaseUntil) => state.renewWindow(p(workflow), runId, holder, leaseUntil),
    completeWindow: (workflow, runId, end, holder) => state.completeWindow(p(workflow), runId, end, holder),
    getWrite: (workflow, key) => state.getWrite(p(workflow), key),
    listPendingWrites: (workflow) => state.listPendingWrites(p(workflow)),
    createWrite: (workflow, record) => state.createWrite(p(workflow), record),
    replaceWrite: (workflow, record, version) => state.replaceWrite(p(workflow), record, version),
    deleteWrite: (workflow, key, version) => state.deleteWrite(p(workflow), key, version),
    getIdempotency: (workflow, key) => state.getIdempotency(p(workflow), key),
    createIdempotency: (workflow, record) => state.createIdempotency(p(workflow), record),
    replaceIdempotency: (workflow, record, version) => state.replaceIdempotency(p(workflow), record, version),
    deleteIdempotency: (workflow, key, version) => state.deleteIdempotency(p(workflow), key, version),
    getRun: (runId) => state.getRun(runId),
    createRun: (record) => state.createRun(record),
    replaceRun: (record, version) => state.replaceRun(record, version),
    deleteRun: (runId, version) => state.deleteRun(runId, version),
    purgeRuns: (now) => state.purgeRuns(now),
  };
}
