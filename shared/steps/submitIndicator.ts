// submitIndicator: makes Defender for Endpoint allow, audit, warn on or block a file hash, certificate, IP address,
// domain or URL (POST /api/indicators, an upsert: post-ti-indicator.md). De-duplicated by value: the tenant's
// indicators of this value are read first; one with the same settings → unchanged; one with other settings →
// updated (the same POST) and reported as an update; none → created. Once per value and settings through the write
// guard (target "indicator:<type>:<value>"). A dry run reports the exact request. A blocking action (Block,
// BlockAndRemediate, AlertAndBlock, Warn) is destructive: the approval gate applies to it.
import { INDICATORS_PATH, submissionBody } from '../defender/indicatorsClient';
import {
  BLOCKING_ACTIONS,
  INDICATOR_ACTIONS,
  INDICATOR_SEVERITIES,
  indicatorTarget,
  type Indicator,
  type IndicatorAction,
  type IndicatorSeverity,
  type IndicatorSubmission,
  type IndicatorType,
} from '../defender/indicatorTypes';
import { InputError } from '../errors';
import type { CompiledValue } from '../workflows/expressions';
import { enumOf } from './alertCommon';
import { expectObject, optionalString } from './common';
import {
  checkLiteralValue,
  expirationTimeOf,
  expiryOf,
  indicatorsOf,
  indicatorStepTarget,
  literalFields,
  reportedIncident,
  valueAndType,
  type Expiry,
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

const FIELDS = [
  'value',
  'type',
  'action',
  'title',
  'description',
  'expiry',
  'severity',
  'recommendedActions',
  'generateAlert',
  'incidentId',
] as const;

export interface SubmitIndicatorInput {
  value: string;
  type: IndicatorType;
  action: IndicatorAction;
  title: string;
  description: string;
  expiry?: Expiry;
  severity?: IndicatorSeverity;
  recommendedActions?: string;
  generateAlert?: boolean;
  incidentId: string;
}

/** Checked again at run time; here at load for literal values: the value's type, expiry, and Audit's alert. */
function check(input: CompiledValue, _ctx: unknown, report: Report): void {
  if (input.kind !== 'object') return;
  const dynamic = new Set(input.entries.filter(([, v]) => v.kind !== 'literal').map(([k]) => k));
  const fields = literalFields(input);
  checkLiteralValue(fields, dynamic, report);
  try {
    expiryOf(fields.expiry, new Date());
  } catch (e) {
    if (e instanceof InputError) report('.expiry', e.message);
  }
  if (fields.action === 'Audit' && fields.generateAlert === false)
    report('.generateAlert', 'an Audit indicator must generate alerts (post-ti-indicator.md): leave generateAlert out');
}

/** Text fields the API requires non-empty (title, description) or takes as free text. */
function text(obj: Record<string, unknown>, field: string, max: number): string | undefined {
  const v = optionalString(obj, field)?.trim();
  if (v === undefined || v === '') return undefined;
  if (v.length > max) throw new InputError(field, `${field} must be at most ${max} characters`);
  return v;
}

function parse(value: unknown): SubmitIndicatorInput {
  const obj = expectObject(value, FIELDS);
  const { value: v, type } = valueAndType(obj);
  const action = enumOf(obj, 'action', INDICATOR_ACTIONS);
  if (!action) throw new InputError('action', `action is required: one of ${INDICATOR_ACTIONS.join(', ')}`);
  const title = text(obj, 'title', 500);
  if (!title) throw new InputError('title', 'title is required (the indicator alert title)');
  const generateAlert = obj.generateAlert;
  if (generateAlert !== undefined && generateAlert !== null && typeof generateAlert !== 'boolean')
    throw new InputError('generateAlert', 'generateAlert must be true or false');
  // post-ti-indicator.md: "The GenerateAlert parameter must be set to TRUE when creating an action with Audit".
  if (action === 'Audit' && generateAlert === false)
    throw new InputError('generateAlert', 'an Audit indicator must generate alerts: leave generateAlert out');
  const out: SubmitIndicatorInput = {
    value: v,
    type,
    action,
    title,
    description: text(obj, 'description', 4000) ?? title,
    incidentId: reportedIncident(obj),
  };
  const expiry = expiryOf(obj.expiry, new Date());
  if (expiry) out.expiry = expiry;
  const severity = enumOf(obj, 'severity', INDICATOR_SEVERITIES);
  if (severity) out.severity = severity;
  const recommendedActions = text(obj, 'recommendedActions', 4000);
  if (recommendedActions) out.recommendedActions = recommendedActions;
  if (action === 'Audit') out.generateAlert = true;
  else if (typeof generateAlert === 'boolean') out.generateAlert = generateAlert;
  return out;
}

/** What POST sends for `input` at `now`. */
export function submissionOf(input: SubmitIndicatorInput, now: Date): IndicatorSubmission {
  const s: IndicatorSubmission = {
    indicatorValue: input.value,
    indicatorType: input.type,
    action: input.action,
    title: input.title,
    description: input.description,
  };
  if (input.expiry) s.expirationTime = expirationTimeOf(input.expiry, now);
  if (input.severity) s.severity = input.severity;
  if (input.recommendedActions) s.recommendedActions = input.recommendedActions;
  if (input.generateAlert !== undefined) s.generateAlert = input.generateAlert;
  return s;
}

/**
 * True when `existing` already has every setting the step asks for. A relative expiry ('P30D') is met by an expiry at
 * most a tenth of the duration earlier than the one it would set now, so a re-run a little later is not an update;
 * an instant must match to the second. Settings the step leaves out are not compared.
 */
export function sameSettings(existing: Indicator, input: SubmitIndicatorInput, now: Date): boolean {
  if (existing.action !== input.action || existing.title !== input.title) return false;
  if (existing.description !== input.description) return false;
  if (input.severity !== undefined && existing.severity !== input.severity) return false;
  if (input.recommendedActions !== undefined && existing.recommendedActions !== input.recommendedActions) return false;
  if (input.generateAlert !== undefined && (existing.generateAlert ?? false) !== input.generateAlert) return false;
  if (input.expiry) {
    const has = existing.expirationTime ? Date.parse(existing.expirationTime) : NaN;
    if (Number.isNaN(has)) return false;
    const want = Date.parse(expirationTimeOf(input.expiry, now));
    const slack = 'ms' in input.expiry ? input.expiry.ms / 10 : 1000;
    if (has < want - slack || has > want + slack) return false;
  }
  return true;
}

async function run(input: SubmitIndicatorInput, rt: StepRuntime): Promise<StepResult> {
  const client = indicatorsOf(rt);
  const call = rt.signal ? { signal: rt.signal } : {};
  const { type, value, incidentId } = input;
  const target = indicatorStepTarget(type, value);
  const counts = { created: 0, updated: 0, unchanged: 0, alreadyDone: 0, wouldSubmit: 0 };
  const result = (
    outcome: StepChange['outcome'],
    o: { body?: Record<string, unknown>; indicator?: Indicator; update?: boolean; replayed?: boolean } = {},
  ): StepResult => {
    const request = o.body ? { method: 'POST', path: INDICATORS_PATH, body: o.body } : undefined;
    const change: StepChange = {
      incidentId,
      target,
      patch: o.body ?? {},
      outcome,
      ...(request ? { request } : {}),
      ...(o.replayed ? { replayed: true as const } : {}),
    };
    return {
      output: {
        type,
        value,
        outcome,
        update: o.update ?? false,
        indicator: o.indicator ?? null,
        request: request ?? null,
      },
      counts,
      changes: [change],
    };
  };
  // The intent names the expiry as written ('P30D'), so a re-run asks for the same write.
  const intent = { kind: 'submitIndicator', ...input, expiry: input.expiry ?? null };
  const write = await rt.writes.prepare(indicatorTarget(type, value), intent);
  if (write.done) {
    counts.alreadyDone++;
    return result('alreadyDone');
  }
  return rt.withIncidentLock(indicatorTarget(type, value), async () => {
    const claim = rt.dryRun ? undefined : await write.claim();
    if (claim === 'done') {
      counts.alreadyDone++;
      return result('alreadyDone');
    }
    const replayed = claim === 'resumed';
    const now = new Date();
    const existing = await client.findByValue(value, type, call);
    const same = existing.find((i) => sameSettings(i, input, now));
    if (same) {
      if (!rt.dryRun) await write.complete();
      counts.unchanged++;
      return result('unchanged', { indicator: same, replayed });
    }
    const submission = submissionOf(input, now);
    const body = submissionBody(submission);
    const update = existing.length > 0;
    if (rt.dryRun) {
      counts.wouldSubmit++;
      return result('wouldApply', { body, update });
    }
    let indicator: Indicator | undefined;
    try {
      indicator = await client.submit(submission, call);
      await write.complete();
    } catch (e) {
      const applied = await settleFailedWrite(write, e, {
        sent: true,
        partial: replayed,
        incidentId: incidentId || indicatorTarget(type, value),
        logger: rt.logger,
        readBack: async () => {
          indicator = (await client.findByValue(value, type, call)).find((i) => sameSettings(i, input, now));
          return indicator !== undefined;
        },
      });
      if (!applied) throw withChanges(e, []);
    }
    // The upsert key is not documented (response-actions.md §8.5): an update that made a second indicator is said.
    if (update && indicator && !existing.some((i) => i.id === indicator?.id))
      rt.logger.warn('[submitIndicator] the update created a new indicator beside the existing one', {
        type,
        existing: existing.map((i) => i.id),
        created: indicator.id,
      });
    if (update) counts.updated++;
    else counts.created++;
    return result('applied', { body, update, replayed, ...(indicator ? { indicator } : {}) });
  });
}

export const submitIndicator: ActionModule<SubmitIndicatorInput> = {
  destructive: 'submit a blocking indicator (Block, BlockAndRemediate, AlertAndBlock or Warn)',
  destructiveFor: (input) => BLOCKING_ACTIONS.has(input.action),
  check,
  parse,
  run,
};
