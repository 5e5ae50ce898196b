import { createHmac, randomInt, timingSafeEqual } from 'node:crypto';
import { ConditionalCheckFailedException, UpdateItemCommand, type AttributeValue, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { marshall, unmarshall } from '@aws-sdk/util-dynamodb';
import { approverKey } from '../shared/migration-input';
import { expiresAfter, TOKEN_TABLE_TTL_ATTRIBUTE } from '../shared/token-table';

/**
 * One-time codes that tie a decision on the review page to an approver's own mailbox. The page sends a code
 * to the address the approver picks from the request's allow-list (and only there: the approver-code topic's
 * subscriptions filter on the address), and accepts a decision from that address only with that code.
 *
 * A code is random (crypto.randomInt), 6 digits, valid for CODE_VALID_SECONDS and once; each code allows
 * ATTEMPTS_PER_CODE guesses and each approver gets CODES_PER_APPROVER codes per request, so whoever holds the
 * link without the mailbox has at most 25 guesses in a million. Only an HMAC of the code (keyed by the link
 * signing key, bound to the request and the address) is stored, under `approval-code#<approval id>#<address>`
 * in the token table, with the table's TTL. Every guess spends an attempt in the same conditional write that
 * checks the code is still valid, so guesses sent at once cannot get past the limit.
 */
export const CODE_DIGITS = 6;
export const CODE_VALID_SECONDS = 600;
export const ATTEMPTS_PER_CODE = 5;
export const CODES_PER_APPROVER = 5;

/** What the table keeps for one approver of one request. */
export interface StoredCode {
  codeHash?: string;
  codeExpiresAt?: string;
  attemptsLeft?: number;
  codesLeft?: number;
}

/** Why a code was not accepted. */
export type CodeRefusal = 'malformed' | 'no-code' | 'expired' | 'no-attempts-left' | 'wrong-code';

export type CodeCheck = { accepted: true } | { accepted: false; why: CodeRefusal; attemptsLeft?: number };

export type IssuedCode = { issued: true; code: string; expiresAt: string; codesLeft: number } | { issued: false };

export function newCode(): string {
  return String(randomInt(0, 10 ** CODE_DIGITS)).padStart(CODE_DIGITS, '0');
}

/** With its own prefix, so it can never double as a link signature or a form token made with the same key. */
export function codeHash(signingKey: string, approvalId: string, approver: string, code: string): string {
  return createHmac('sha256', signingKey).update(`code.${approvalId}.${approverKey(approver)}.${code}`).digest('base64url');
}

/** Why a stored code cannot be tried now, or undefined when it can. */
export function codeUnusable(stored: StoredCode | undefined, now: Date): Exclude<CodeRefusal, 'malformed' | 'wrong-code'> | undefined {
  if (!stored?.codeHash || !stored.codeExpiresAt) return 'no-code';
  if (stored.codeExpiresAt <= now.toISOString()) return 'expired';
  if ((stored.attemptsLeft ?? 0) <= 0) return 'no-attempts-left';
  return undefined;
}

export interface CodeTable {
  dynamoDb: DynamoDBClient;
  tableName: string;
  signingKey: string;
}

function codeKey(approvalId: string, approver: string): Record<string, AttributeValue> {
  return marshall({ pk: `approval-code#${approvalId}#${approverKey(approver)}` });
}

const NAMES = { '#codeHash': 'codeHash', '#codeExpiresAt': 'codeExpiresAt', '#attemptsLeft': 'attemptsLeft', '#codesLeft': 'codesLeft' };

/**
 * A new code for `approver`, replacing any earlier one, unless the approver's codes for this request are used
 * up. The code is valid for CODE_VALID_SECONDS, never past the request's own expiry; the item goes with the
 * request (TTL a day after the request expires).
 */
export async function issueCode(table: CodeTable, approvalId: string, approver: string, requestExpiresAt: string, now: Date): Promise<IssuedCode> {
  const code = newCode();
  const expiresAt = new Date(Math.min(now.getTime() + CODE_VALID_SECONDS * 1000, Date.parse(requestExpiresAt))).toISOString();
  try {
    const response = await table.dynamoDb.send(
      new UpdateItemCommand({
        TableName: table.tableName,
        Key: codeKey(approvalId, approver),
        UpdateExpression: 'SET #codeHash = :hash, #codeExpiresAt = :expiresAt, #attemptsLeft = :attempts, #codesLeft = if_not_exists(#codesLeft, :codes) - :one, #ttl = :ttl',
        ConditionExpression: 'attribute_not_exists(#codesLeft) OR #codesLeft > :zero',
        ExpressionAttributeNames: { ...NAMES, '#ttl': TOKEN_TABLE_TTL_ATTRIBUTE },
        ExpressionAttributeValues: marshall({
          ':hash': codeHash(table.signingKey, approvalId, approver, code),
          ':expiresAt': expiresAt,
          ':attempts': ATTEMPTS_PER_CODE,
          ':codes': CODES_PER_APPROVER,
          ':one': 1,
          ':zero': 0,
          ':ttl': expiresAfter(new Date(requestExpiresAt), 24 * 3600),
        }),
        ReturnValues: 'ALL_NEW',
      }),
    );
    return { issued: true, code, expiresAt, codesLeft: Number((unmarshall(response.Attributes ?? {}) as StoredCode).codesLeft ?? 0) };
  } catch (error) {
    if (error instanceof ConditionalCheckFailedException) return { issued: false };
    throw error;
  }
}

/**
 * Checks `code` for `approver` and, when it is right, uses it up. An attempt is spent first, in the write that
 * checks the code is still there, unexpired and has attempts left; the right code is then removed on the
 * condition that it is still the stored one, so two submissions of one code cannot both pass.
 */
export async function useCode(table: CodeTable, approvalId: string, approver: string, code: string, now: Date): Promise<CodeCheck> {
  const given = code.replace(/\s+/g, '');
  if (!new RegExp(`^\\d{${CODE_DIGITS}}$`).test(given)) return { accepted: false, why: 'malformed' };
  const key = codeKey(approvalId, approver);
  let stored: StoredCode;
  try {
    const response = await table.dynamoDb.send(
      new UpdateItemCommand({
        TableName: table.tableName,
        Key: key,
        UpdateExpression: 'SET #attemptsLeft = #attemptsLeft - :one',
        ConditionExpression: 'attribute_exists(#codeHash) AND #attemptsLeft > :zero AND #codeExpiresAt > :now',
        ExpressionAttributeNames: { '#codeHash': NAMES['#codeHash'], '#attemptsLeft': NAMES['#attemptsLeft'], '#codeExpiresAt': NAMES['#codeExpiresAt'] },
        ExpressionAttributeValues: marshall({ ':one': 1, ':zero': 0, ':now': now.toISOString() }),
        ReturnValues: 'ALL_NEW',
        ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
      }),
    );
    stored = unmarshall(response.Attributes ?? {}) as StoredCode;
  } catch (error) {
    if (!(error instanceof ConditionalCheckFailedException)) throw error;
    return { accepted: false, why: codeUnusable(error.Item ? (unmarshall(error.Item) as StoredCode) : undefined, now) ?? 'no-code' };
  }
  const expected = Buffer.from(stored.codeHash ?? '');
  const candidate = Buffer.from(codeHash(table.signingKey, approvalId, approver, given));
  if (expected.length !== candidate.length || !timingSafeEqual(expected, candidate)) {
    return { accepted: false, why: 'wrong-code', attemptsLeft: Number(stored.attemptsLeft ?? 0) };
  }
  try {
    await table.dynamoDb.send(
      new UpdateItemCommand({
        TableName: table.tableName,
        Key: key,
        UpdateExpression: 'REMOVE #codeHash, #codeExpiresAt',
        ConditionExpression: '#codeHash = :hash',
        ExpressionAttributeNames: { '#codeHash': NAMES['#codeHash'], '#codeExpiresAt': NAMES['#codeExpiresAt'] },
        ExpressionAttributeValues: marshall({ ':hash': stored.codeHash }),
      }),
    );
  } catch (error) {
    if (error instanceof ConditionalCheckFailedException) return { accepted: false, why: 'no-code' };
    throw error;
  }
  return { accepted: true };
}
