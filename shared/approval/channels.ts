// How an approval request goes out:
// - Teams: an Adaptive Card (schema 1.5) through the Workflows webhook poster (shared/notify/teams.ts), with the
//   facts (action, target, incident, who asked, expiry) and one Action.OpenUrl button to the page; webhook cards
//   cannot carry Action.Submit (integration-conventions.md §6.3), so the decision is made on the page.
// - HTTP callback: POST JSON {type, approval, links} to the URL in a Key Vault secret, through the notification
//   HTTP path (quota, timeout, retries of 429 and connections never made: a callback is not re-sent after a 5xx).
import { createRateLimiter, type RateLimiter } from '../http/rateLimiter';
import type { NotifyServices } from '../notify';
import { NotifyApiError } from '../notify/notifyError';
import { shortHash } from '../notify/notifyLimits';
import { messageCard, type AdaptiveCard } from '../notify/teams';
import type { ApprovalChannels } from './gate';
import type { ApprovalLinks } from './links';
import type { ApprovalRecord } from './types';

const targetText = (r: ApprovalRecord): string => (r.target ? `${r.target.kind} ${r.target.id}` : '(see the run)');

export function approvalCard(r: ApprovalRecord, links: ApprovalLinks): AdaptiveCard {
  return messageCard({
    title: `Approval needed: ${r.action}`,
    text: `Riposte will **${r.action}** on ${targetText(r)} once approved. No decision by ${r.expiresAt} counts as rejection.`,
    facts: [
      { title: 'Action', value: r.action },
      { title: 'Target', value: targetText(r) },
      { title: 'Incident', value: r.incidentId ?? '—' },
      { title: 'Requested by', value: r.requestedBy },
      { title: 'Expires', value: r.expiresAt },
    ],
    links: [{ title: 'Review: approve or reject', url: links.page }],
  });
}

/** The callback's body: what will happen and where to decide. */
export function callbackBody(r: ApprovalRecord, links: ApprovalLinks): Record<string, unknown> {
  return {
    type: 'riposte.approval.requested',
    approval: {
      id: r.id,
      action: r.action,
      ...(r.target ? { target: r.target } : {}),
      ...(r.incidentId !== undefined ? { incidentId: r.incidentId } : {}),
      workflow: r.workflow,
      runId: r.runId,
      step: r.stepId,
      requestedBy: r.requestedBy,
      expiresAt: r.expiresAt,
    },
    links: { page: links.page, approve: links.approve, reject: links.reject },
  };
}

/** A callback target's quota: one a second per URL is far above what approvals need. */
const callbackLimiters = new Map<string, RateLimiter>();

export function approvalChannels(notify: NotifyServices | undefined): ApprovalChannels {
  if (!notify) return {};
  return {
    async teams(record, links, secretName) {
      await notify.teams.post({ card: approvalCard(record, links), webhookSecret: secretName });
    },
    async callback(record, links, secretName) {
      const url = (await notify.secrets.get(secretName)).trim();
      let parsed: URL | undefined;
      try {
        parsed = new URL(url);
      } catch {
        parsed = undefined;
      }
      const label = `POST approval callback ${shortHash(url)}`;
      if (parsed?.protocol !== 'https:')
        throw new NotifyApiError('callback', `Key Vault secret '${secretName}' does not hold an https:// URL`, {
          status: undefined,
          method: 'POST',
          path: label,
        });
      const key = shortHash(url);
      let limiter = callbackLimiters.get(key);
      if (!limiter) {
        limiter = createRateLimiter({ name: `callback-${key}`, windows: [{ limit: 60, windowMs: 60_000 }] });
        callbackLimiters.set(key, limiter);
      }
      await notify.http.request({
        target: 'callback',
        method: 'POST',
        url,
        label,
        headers: { 'Content-Type': 'application/json' },
        data: callbackBody(record, links),
        limiter,
        idempotent: false,
      });
    },
  };
}
