// The approval page (GET /api/approvals/{id}?token=…): exactly what will happen (action, target, incident, who asked,
// when it expires) and a form with Approve and Reject. Opening it decides nothing (mail and chat link scanners open
// every link); only the form's POST does, once. Every value is HTML-escaped; the page loads nothing from anywhere
// (Content-Security-Policy default-src 'none', its one inline style allowed by hash), posts only to itself
// (form-action 'self'), cannot be framed, and sends no Referer (the token is in the URL).
import { createHash } from 'node:crypto';
import type { ApprovalRecord } from './types';

const STYLE =
  'body{font-family:system-ui,sans-serif;max-width:40em;margin:2em auto;padding:0 1em;color:#222}' +
  'dt{font-weight:600;margin-top:.6em}dd{margin:0 0 .2em 0}button{font-size:1em;padding:.5em 1.4em;margin-right:1em}' +
  'input{font-size:1em;padding:.3em;width:18em}.state{font-weight:600}';
const STYLE_HASH = createHash('sha256').update(STYLE).digest('base64');

export const PAGE_HEADERS: Readonly<Record<string, string>> = {
  'Content-Type': 'text/html; charset=utf-8',
  'Content-Security-Policy': `default-src 'none'; style-src 'sha256-${STYLE_HASH}'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'`,
  'Cache-Control': 'no-store',
  'Referrer-Policy': 'no-referrer',
  'X-Content-Type-Options': 'nosniff',
  'X-Frame-Options': 'DENY',
};

export function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

function layout(title: string, body: string): string {
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1"><meta name="robots" content="noindex"><title>${escapeHtml(title)}</title><style>${STYLE}</style></head><body>${body}</body></html>`;
}

function details(r: ApprovalRecord): string {
  const row = (k: string, v: string, id: string): string => `<dt>${k}</dt><dd id="${id}">${escapeHtml(v)}</dd>`;
  return `<dl>${[
    row('Action', r.action, 'action'),
    row('Target', r.target ? `${r.target.kind} ${r.target.id}` : '(see the run)', 'target'),
    row('Incident', r.incidentId ?? '—', 'incident'),
    row('Workflow', `${r.workflow} (step ${r.stepId})`, 'workflow'),
    row('Requested by', r.requestedBy, 'requested-by'),
    row('Requested at', r.createdAt, 'requested-at'),
    row('Expires', r.expiresAt, 'expires'),
  ].join('')}</dl>`;
}

/** The page for a pending approval: details and the deciding form (the token travels in the POST body). */
export function pendingPage(r: ApprovalRecord, token: string): string {
  return layout(
    `Approve: ${r.action}`,
    `<h1>Approval needed</h1><p>Riposte will <strong>${escapeHtml(r.action)}</strong> once you approve. No decision by the expiry counts as rejection.</p>${details(r)}` +
      `<form method="post" action="/api/approvals/${escapeHtml(r.id)}/decision">` +
      `<input type="hidden" name="token" value="${escapeHtml(token)}">` +
      `<p><label>Your name <input name="approver" required maxlength="100" autocomplete="name"></label></p>` +
      `<p><button type="submit" name="decision" value="approve" id="approve">Approve</button>` +
      `<button type="submit" name="decision" value="reject" id="reject">Reject</button></p></form>`,
  );
}

/** The page for a decided or expired approval (and the answer to a POST). */
export function closedPage(r: ApprovalRecord, note?: string): string {
  const what =
    r.state === 'expired'
      ? 'expired without a decision: it counts as rejected, and the action did not happen'
      : `was ${r.state} by ${r.decidedBy ?? '?'} at ${r.decidedAt ?? '?'}`;
  return layout(
    `Approval ${r.state}`,
    `<h1>Approval <span class="state" id="state">${escapeHtml(r.state)}</span></h1>${note ? `<p id="note">${escapeHtml(note)}</p>` : ''}<p>This request ${escapeHtml(what)}.</p>${details(r)}`,
  );
}

export function errorPage(title: string, message: string): string {
  return layout(title, `<h1>${escapeHtml(title)}</h1><p id="message">${escapeHtml(message)}</p>`);
}
