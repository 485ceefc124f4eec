// The URLs an approval request carries: the page (GET shows what will happen, decides nothing) and, for machine
// callers, the decision URLs (POST only: a GET of them is refused). All carry the signed token (token.ts).
import { signApprovalToken } from './token';
import type { ApprovalRecord, ApprovalStore } from './types';

export interface ApprovalLinks {
  /** The page with Approve and Reject buttons. */
  page: string;
  /** POST here to approve (or reject): the decision is made by the POST, once. */
  approve: string;
  reject: string;
}

export async function approvalLinks(
  store: Pick<ApprovalStore, 'signingKey'>,
  record: Pick<ApprovalRecord, 'id' | 'expiresAt'>,
  baseUrl: string | undefined,
): Promise<ApprovalLinks> {
  const token = encodeURIComponent(signApprovalToken(await store.signingKey(), record.id, record.expiresAt));
  const base = `${baseUrl ?? ''}/api/approvals/${record.id}`;
  return {
    page: `${base}?token=${token}`,
    approve: `${base}/decision?decision=approve&token=${token}`,
    reject: `${base}/decision?decision=reject&token=${token}`,
  };
}
