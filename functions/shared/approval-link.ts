import { createHmac, timingSafeEqual } from 'node:crypto';

/**
 * The link in the approval e-mail: `<base>?id=<approval id>&expires=<unix seconds>&signature=<HMAC>`.
 * It names an opaque approval record, never the Step Functions task token (that stays in the token table),
 * and the HMAC-SHA256 over id and expiry, keyed by a secret only the stack holds, makes a tampered id or
 * expiry fail verification.
 */
export interface ApprovalLink {
  approvalId: string;
  expiresAt: Date;
}

export function signApproval(key: string, link: ApprovalLink): string {
  return createHmac('sha256', key).update(`${link.approvalId}.${Math.floor(link.expiresAt.getTime() / 1000)}`).digest('base64url');
}

export function approvalUrl(baseUrl: string, key: string, link: ApprovalLink): string {
  const url = new URL(baseUrl);
  url.searchParams.set('id', link.approvalId);
  url.searchParams.set('expires', String(Math.floor(link.expiresAt.getTime() / 1000)));
  url.searchParams.set('signature', signApproval(key, link));
  return url.toString();
}

export type LinkCheck = { valid: true; link: ApprovalLink } | { valid: false; reason: 'malformed' | 'tampered' | 'expired' };

/** Checks a link's signature first (so a forged expiry is "tampered", not "expired"), then its expiry. */
export function verifyApprovalLink(key: string, query: Record<string, string | undefined>, now: Date): LinkCheck {
  const { id, expires, signature } = query;
  if (!id || !expires || !signature || !/^\d+$/.test(expires)) return { valid: false, reason: 'malformed' };
  const link = { approvalId: id, expiresAt: new Date(Number(expires) * 1000) };
  const expected = Buffer.from(signApproval(key, link));
  const given = Buffer.from(signature);
  if (expected.length !== given.length || !timingSafeEqual(expected, given)) return { valid: false, reason: 'tampered' };
  if (link.expiresAt.getTime() <= now.getTime()) return { valid: false, reason: 'expired' };
  return { valid: true, link };
}

/**
 * The review form's anti-forgery token: an HMAC of the approval id under the same key, with its own prefix so
 * it can never double as a link signature. Only someone who loaded the review page has it, so a POST forged
 * from another site, or a scanner replaying the link as a POST, cannot decide anything.
 */
export function csrfToken(key: string, approvalId: string): string {
  return createHmac('sha256', key).update(`csrf.${approvalId}`).digest('base64url');
}

export function verifyCsrfToken(key: string, approvalId: string, given: string | undefined): boolean {
  if (!given) return false;
  const expected = Buffer.from(csrfToken(key, approvalId));
  const candidate = Buffer.from(given);
  return expected.length === candidate.length && timingSafeEqual(expected, candidate);
}
