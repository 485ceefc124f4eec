// What the approval functions do (functions/approvalPage.ts, approvalDecision.ts, decideApproval.ts), on top of
// shared/approval: the page (GET: shows, never decides), the link's POST (decides once), and the authenticated
// decision API (function key; records the caller's name). Answers are plain data; the functions only adapt them.
import { AppError, isAppError } from '../errors';
import { httpStatusFor } from '../httpStatus';
import type { Logger } from '../logger';
import {
  approvalForLink,
  approverName,
  ApprovalClosedError,
  decideApproval,
  type Decision,
  type DecideDeps,
} from '../approval/decide';
import { closedPage, errorPage, PAGE_HEADERS, pendingPage } from '../approval/page';
import { APPROVAL_ID, infoOf, type ApprovalInfo } from '../approval/types';
import type { Automation } from '.';
import type { AsyncRunMessage } from './asyncRuns';

export interface PageAnswer {
  status: number;
  headers: Record<string, string>;
  body: string;
  /** Refusals: the error code and message (for callers asking for JSON). */
  error?: { code: string; message: string };
}

type Deciding = Pick<Automation, 'approvals' | 'asyncRuns'>;

function decideDeps(a: Deciding, logger: Logger): DecideDeps {
  return {
    store: a.approvals,
    resume: (runId) => a.asyncRuns.queue.send({ kind: 'workflowRun', runId } satisfies AsyncRunMessage),
    now: () => new Date(),
    logger,
  };
}

/** An error as a page, its status from the one contract; anything else (storage down) is rethrown for the edge. */
function errorAnswer(e: unknown): PageAnswer {
  if (e instanceof ApprovalClosedError) {
    return {
      status: httpStatusFor({ code: e.code }).status,
      headers: { ...PAGE_HEADERS },
      body: closedPage(e.record, e.message),
      error: { code: e.code, message: e.message },
    };
  }
  if (isAppError(e) && ['APPROVAL_LINK_INVALID', 'NOT_FOUND', 'INPUT_INVALID'].includes(e.code)) {
    const title =
      e.code === 'APPROVAL_LINK_INVALID' ? 'Link not valid' : e.code === 'NOT_FOUND' ? 'Not found' : 'Missing';
    return {
      status: httpStatusFor({ code: e.code }).status,
      headers: { ...PAGE_HEADERS },
      body: errorPage(title, e.message),
      error: { code: e.code, message: e.message },
    };
  }
  throw e;
}

/** GET /api/approvals/{id}?token=…: the page. Decides nothing, whoever opens it. */
export async function approvalPage(a: Deciding, id: string, token: string | undefined): Promise<PageAnswer> {
  try {
    const { record } = await approvalForLink({ store: a.approvals }, id, token);
    if (record.state === 'pending' && Date.parse(record.expiresAt) <= Date.now())
      return errorAnswer(new ApprovalClosedError({ ...record, state: 'expired', decidedAt: record.expiresAt }));
    if (record.state !== 'pending') {
      const closed = new ApprovalClosedError(record);
      // Opening a decided approval's link again is no error: it shows the decision (200); an expired one is gone (410).
      return record.state === 'expired'
        ? errorAnswer(closed)
        : { status: 200, headers: { ...PAGE_HEADERS }, body: closedPage(record) };
    }
    return { status: 200, headers: { ...PAGE_HEADERS }, body: pendingPage(record, token ?? '') };
  } catch (e) {
    return errorAnswer(e);
  }
}

const decisionOf = (v: unknown): Decision => {
  if (v === 'approve' || v === 'reject') return v;
  throw Object.assign(new AppError('INPUT_INVALID', "decision must be 'approve' or 'reject'"), { field: 'decision' });
};

/**
 * POST /api/approvals/{id}/decision (the page's form, or a callback's approve/reject URL): decides once. A second
 * POST answers 409 with the first decision, an expired approval 410, a forged or tampered token 403.
 */
export async function decideByLink(
  a: Deciding,
  id: string,
  form: { token?: string | undefined; decision?: unknown; approver?: unknown },
  logger: Logger,
): Promise<PageAnswer & { approval?: ApprovalInfo }> {
  try {
    const found = await approvalForLink({ store: a.approvals }, id, form.token);
    const decision = decisionOf(form.decision);
    // A callback's URL carries no name: the link holder is who decides, and the record says it came through the link.
    const name =
      form.approver === undefined ? 'the holder of the approval link' : approverName(form.approver, 'approver');
    const record = await decideApproval(decideDeps(a, logger), found, decision, `${name} (approval link)`);
    return {
      status: 200,
      headers: { ...PAGE_HEADERS },
      body: closedPage(record, 'Thank you: the decision is recorded and the run resumes.'),
      approval: infoOf(record),
    };
  } catch (e) {
    return errorAnswer(e);
  }
}

/**
 * POST /api/approvals/{id}/decide with the function key and `{"decision": "approve"|"reject", "approver": "name"}`:
 * the authenticated caller's decision. With App Service Authentication the signed-in principal's name is recorded
 * (X-MS-CLIENT-PRINCIPAL-NAME, set by the platform), else the body's approver.
 * @throws {AppError} INPUT_INVALID (field), NOT_FOUND, APPROVAL_DECIDED (409), APPROVAL_EXPIRED (410).
 */
export async function decideByCaller(
  a: Deciding,
  id: string,
  body: Record<string, unknown>,
  principal: string | undefined,
  logger: Logger,
): Promise<ApprovalInfo> {
  for (const k of Object.keys(body))
    if (!['decision', 'approver'].includes(k))
      throw Object.assign(new AppError('INPUT_INVALID', `Unknown field '${k}'; allowed: decision, approver`), {
        field: k,
      });
  const decision = decisionOf(body.decision);
  const name = approverName(principal ?? body.approver, 'approver');
  if (!APPROVAL_ID.test(id)) throw new AppError('NOT_FOUND', 'No approval has this id');
  const found = await a.approvals.get(id);
  if (!found) throw new AppError('NOT_FOUND', 'No approval has this id');
  return infoOf(await decideApproval(decideDeps(a, logger), found, decision, `${name} (decision API)`));
}
