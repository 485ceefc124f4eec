// removeIndicator: deletes the tenant's indicators of one value (GET /api/indicators?$filter=indicatorValue eq …, then
// DELETE /api/indicators/{id} for each: delete-ti-indicator-by-id.md). No indicator of that value → unchanged; a 404
// on DELETE (removed meanwhile) counts as removed. Once per value through the write guard (target
// "indicator:<type>:<value>"). A dry run reports the exact DELETE requests.
import { indicatorPath } from '../defender/indicatorsClient';
import { indicatorTarget, type IndicatorType } from '../defender/indicatorTypes';
import type { CompiledValue } from '../workflows/expressions';
import { expectObject } from './common';
import {
  checkLiteralValue,
  indicatorsOf,
  indicatorStepTarget,
  literalFields,
  reportedIncident,
  valueAndType,
} from './indicatorCommon';
import { settleFailedWrite } from './settleWrite';
import {
  withChanges,
  type ActionModule,
  type Report,
  type StepChange,
  type StepResult,
  type StepRuntime,
} from './types';

export interface RemoveIndicatorInput {
  value: string;
  type: IndicatorType;
  incidentId: string;
}

function check(input: CompiledValue, _ctx: unknown, report: Report): void {
  if (input.kind !== 'object') return;
  const dynamic = new Set(input.entries.filter(([, v]) => v.kind !== 'literal').map(([k]) => k));
  checkLiteralValue(literalFields(input), dynamic, report);
}

function parse(value: unknown): RemoveIndicatorInput {
  const obj = expectObject(value, ['value', 'type', 'incidentId']);
  return { ...valueAndType(obj), incidentId: reportedIncident(obj) };
}

async function run(input: RemoveIndicatorInput, rt: StepRuntime): Promise<StepResult> {
  const client = indicatorsOf(rt);
  const call = rt.signal ? { signal: rt.signal } : {};
  const { type, value, incidentId } = input;
  const key = indicatorTarget(type, value);
  const counts = { removed: 0, unchanged: 0, alreadyDone: 0, wouldRemove: 0 };
  const result = (outcome: StepChange['outcome'], ids: string[] = [], replayed = false): StepResult => {
    const requests = ids.map((id) => ({ method: 'DELETE', path: indicatorPath(id) }));
    const change: StepChange = {
      incidentId,
      target: indicatorStepTarget(type, value),
      patch: ids.length > 0 ? { removed: ids } : {},
      outcome,
      ...(requests[0] ? { request: requests[0] } : {}),
      ...(replayed ? { replayed: true as const } : {}),
    };
    return { output: { type, value, outcome, removed: ids, requests }, counts, changes: [change] };
  };
  const write = await rt.writes.prepare(key, { kind: 'removeIndicator', type, value });
  if (write.done) {
    counts.alreadyDone++;
    return result('alreadyDone');
  }
  return rt.withIncidentLock(key, async () => {
    const claim = rt.dryRun ? undefined : await write.claim();
    if (claim === 'done') {
      counts.alreadyDone++;
      return result('alreadyDone');
    }
    const replayed = claim === 'resumed';
    const existing = await client.findByValue(value, type, call);
    const ids = existing.map((i) => i.id);
    if (ids.length === 0) {
      if (!rt.dryRun) await write.complete();
      counts.unchanged++;
      return result('unchanged', [], replayed);
    }
    if (rt.dryRun) {
      counts.wouldRemove++;
      return result('wouldApply', ids);
    }
    let deleted = 0;
    try {
      // A 404 (removed meanwhile) is not a failure: the indicator is gone either way.
      for (const id of ids) {
        await client.remove(id, call);
        deleted++;
      }
      await write.complete();
    } catch (e) {
      const applied = await settleFailedWrite(write, e, {
        sent: true,
        partial: replayed || deleted > 0,
        incidentId: incidentId || key,
        logger: rt.logger,
        readBack: async () => (await client.findByValue(value, type, call)).length === 0,
      });
      if (!applied) throw withChanges(e, []);
    }
    counts.removed++;
    return result('applied', ids, replayed);
  });
}

export const removeIndicator: ActionModule<RemoveIndicatorInput> = { check, parse, run };
