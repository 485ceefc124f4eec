// The gate the engine asks before a destructive step (types.ts): finds or creates the approval record, turns a
// pending one past its expiry into 'expired' (a timeout is a rejection), and sends the request (Teams card and/or
// HTTP callback) until it has gone out once: a failure to send fails the step (the run is retried, the record stays
// pending and unsent), so a run never waits for a decision nobody was asked for.
import { createHash } from 'node:crypto';
import { canonicalJson } from '../engine/writeGuard';
import type { Logger } from '../logger';
import type { StepApproval } from '../workflows/types';
import { approvalLinks, type ApprovalLinks } from './links';
import {
  infoOf,
  type ApprovalGate,
  type ApprovalInfo,
  type ApprovalRecord,
  type ApprovalRequest,
  type ApprovalStore,
} from './types';

export interface ApprovalChannels {
  /** Posts the approval card to the Teams Workflows webhook in Key Vault secret `secretName`. */
  teams?(record: ApprovalRecord, links: ApprovalLinks, secretName: string): Promise<void>;
  /** POSTs the approval request to the URL in Key Vault secret `secretName`. */
  callback?(record: ApprovalRecord, links: ApprovalLinks, secretName: string): Promise<void>;
}

export interface ApprovalDefaults {
  expiresInMs: number;
  /** Key Vault secret names used when a step's `approval:` names none (APPROVAL_TEAMS_SECRET_NAME, ...). */
  teamsSecret?: string | undefined;
  callbackSecret?: string | undefined;
}

export interface ApprovalGateOptions {
  store: ApprovalStore;
  channels: ApprovalChannels;
  defaults: ApprovalDefaults;
  /** The app's public base URL (WEBSITE_HOSTNAME), for links; undefined: relative links. */
  baseUrl: string | undefined;
  now: () => Date;
  logger: Logger;
}

/** The approval's id: the same workflow, owner (window, delivery or run), step and input find the same record. */
export function approvalIdOf(req: Pick<ApprovalRequest, 'workflow' | 'owner' | 'stepId' | 'input'>): string {
  return createHash('sha256')
    .update(`${req.workflow}\n${req.owner}\n${req.stepId}\n${canonicalJson(req.input)}`)
    .digest('hex')
    .slice(0, 32);
}

function channelsOf(a: StepApproval | undefined, d: ApprovalDefaults): { teams?: string; callback?: string } {
  const ask = a?.mode === 'ask' ? a : undefined;
  const teams = ask?.teamsSecret ?? (ask?.callbackSecret ? undefined : d.teamsSecret);
  const callback = ask?.callbackSecret ?? (ask?.teamsSecret ? undefined : d.callbackSecret);
  return { ...(teams ? { teams } : {}), ...(callback ? { callback } : {}) };
}

export function createApprovalGate(o: ApprovalGateOptions): ApprovalGate {
  return {
    async check(req): Promise<ApprovalInfo> {
      const id = approvalIdOf(req);
      const now = o.now();
      let found = await o.store.get(id);
      if (!found) {
        const expiresInMs =
          (req.approval?.mode === 'ask' ? req.approval.expiresInMs : undefined) ?? o.defaults.expiresInMs;
        const record: ApprovalRecord = {
          id,
          workflow: req.workflow,
          runId: req.runId,
          stepId: req.stepId,
          action: req.action,
          ...(req.target ? { target: req.target } : {}),
          ...(req.incidentId !== undefined ? { incidentId: req.incidentId } : {}),
          requestedBy: `${req.trigger} run ${req.runId} of workflow ${req.workflow}`,
          createdAt: now.toISOString(),
          expiresAt: new Date(now.getTime() + expiresInMs).toISOString(),
          state: 'pending',
          notified: false,
        };
        const version = await o.store.create(record);
        found = version !== undefined ? { record, version } : await o.store.get(id);
        if (!found) throw new Error(`approval ${id} vanished while it was created`);
        if (version !== undefined)
          o.logger.info('[approval] requested', { approvalId: id, workflow: req.workflow, step: req.stepId });
      }
      for (let round = 0; round < 3; round++) {
        const { record, version } = found;
        if (record.state !== 'pending') return infoOf(record);
        let next: ApprovalRecord | undefined;
        if (Date.parse(record.expiresAt) <= now.getTime()) {
          next = {
            ...record,
            state: 'expired',
            decidedBy: 'timeout (no decision before expiry)',
            decidedAt: record.expiresAt,
          };
        } else if (!record.notified) {
          const links = await approvalLinks(o.store, record, o.baseUrl);
          const ch = channelsOf(req.approval, o.defaults);
          if (ch.teams) {
            if (!o.channels.teams) throw new Error('Teams approval requested but no Teams poster is configured');
            await o.channels.teams(record, links, ch.teams);
          }
          if (ch.callback) {
            if (!o.channels.callback) throw new Error('callback approval requested but no HTTP client is configured');
            await o.channels.callback(record, links, ch.callback);
          }
          next = { ...record, notified: true };
        } else return infoOf(record);
        const v = await o.store.replace(next, version);
        if (v !== undefined) {
          if (next.state === 'expired') o.logger.warn('[approval] expired without a decision', { approvalId: id });
          return infoOf(next);
        }
        const again = await o.store.get(id);
        if (!again) throw new Error(`approval ${id} vanished`);
        found = again;
      }
      return infoOf(found.record);
    },
  };
}
