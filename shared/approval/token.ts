// Approval links: `/api/approvals/<id>?token=<exp>.<mac>`, where mac = HMAC-SHA256(key, "<id>.<exp>") in base64url
// and exp is the approval's expiry (Unix seconds). The token names the approval and its expiry, so a link for one
// approval opens no other, and a changed expiry breaks the MAC. Checked in constant time. The link itself decides
// nothing: only the page's POST (with the token) does, once (decide.ts).
import { createHmac, timingSafeEqual } from 'node:crypto';

const TOKEN = /^(\d{1,12})\.([A-Za-z0-9_-]{43})$/;

const mac = (key: Buffer, id: string, exp: number): Buffer =>
  createHmac('sha256', key).update(`${id}.${exp}`, 'utf8').digest();

export function signApprovalToken(key: Buffer, id: string, expiresAt: string): string {
  const exp = Math.ceil(Date.parse(expiresAt) / 1000);
  return `${exp}.${mac(key, id, exp).toString('base64url')}`;
}

export type TokenCheck = { ok: true; expiresAtMs: number } | { ok: false };

/** Whether `token` was signed with `key` for approval `id` (the expiry is checked by the caller against the record). */
export function verifyApprovalToken(key: Buffer, id: string, token: string | undefined): TokenCheck {
  const m = token === undefined ? null : TOKEN.exec(token);
  if (!m) return { ok: false };
  const exp = Number(m[1]);
  const presented = Buffer.from(m[2] ?? '', 'base64url');
  const expected = mac(key, id, exp);
  if (presented.length !== expected.length || !timingSafeEqual(presented, expected)) return { ok: false };
  return { ok: true, expiresAtMs: exp * 1000 };
}

export const approvalPagePath = (id: string, token: string): string =>
  `/api/approvals/${id}?token=${encodeURIComponent(token)}`;
