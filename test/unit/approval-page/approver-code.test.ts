import { DynamoDBClient, UpdateItemCommand } from '@aws-sdk/client-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import {
  ATTEMPTS_PER_CODE,
  CODES_PER_APPROVER,
  CODE_VALID_SECONDS,
  codeHash,
  codeUnusable,
  issueCode,
  newCode,
  useCode,
  type CodeTable,
  type IssuedCode,
} from '../../../functions/approval-page/approver-code';
import { csrfToken, signApproval } from '../../../functions/shared/approval-link';
import { APPROVAL_ID, SIGNING_KEY, TABLE_NAME } from '../../support/approval';
import { FakeTokenTable } from '../../support/token-table';

const now = new Date('2026-11-24T14:30:00Z');
const requestExpiresAt = '2026-11-25T12:00:00.000Z';
const APPROVER = 'Ana@example.com';
const minutesLater = (minutes: number) => new Date(now.getTime() + minutes * 60_000);

let table: FakeTokenTable;
let codes: CodeTable;

beforeEach(() => {
  table = new FakeTokenTable();
  codes = { dynamoDb: new DynamoDBClient({}), tableName: TABLE_NAME, signingKey: SIGNING_KEY };
});
afterEach(() => table.restore());

async function issued(approver = APPROVER, at = now): Promise<{ code: string; expiresAt: string }> {
  const result: IssuedCode = await issueCode(codes, APPROVAL_ID, approver, requestExpiresAt, at);
  if (!result.issued) throw new Error('no code was issued');
  return result;
}

const storedCode = () => unmarshall(table.items.get(`approval-code#${APPROVAL_ID}#ana@example.com`) ?? {});
const anotherCode = (code: string) => String((Number(code) + 1) % 1_000_000).padStart(6, '0');

describe('one-time codes (pure)', () => {
  it('are 6 random digits', () => {
    const drawn = Array.from({ length: 200 }, newCode);
    expect(drawn.every((code) => /^\d{6}$/.test(code))).toBe(true);
    expect(new Set(drawn).size).toBeGreaterThan(190);
  });

  it('are stored as an HMAC bound to the request, the address (in any case) and the code, never equal to a link signature or form token', () => {
    const hash = codeHash(SIGNING_KEY, APPROVAL_ID, APPROVER, '123456');
    expect(codeHash(SIGNING_KEY, APPROVAL_ID, 'ana@EXAMPLE.com', '123456')).toBe(hash);
    for (const other of [
      codeHash(SIGNING_KEY, 'another-approval', APPROVER, '123456'),
      codeHash(SIGNING_KEY, APPROVAL_ID, 'ben@example.com', '123456'),
      codeHash(SIGNING_KEY, APPROVAL_ID, APPROVER, '123457'),
      codeHash('another-key', APPROVAL_ID, APPROVER, '123456'),
      csrfToken(SIGNING_KEY, APPROVAL_ID),
      signApproval(SIGNING_KEY, { approvalId: APPROVAL_ID, expiresAt: new Date(requestExpiresAt) }),
    ]) {
      expect(other).not.toBe(hash);
    }
  });

  it.each([
    ['no item', 'no-code', undefined],
    ['a used code', 'no-code', { attemptsLeft: 4, codesLeft: 3 }],
    ['an expired code', 'expired', { codeHash: 'h', codeExpiresAt: '2026-11-24T14:30:00.000Z', attemptsLeft: 5 }],
    ['a code without attempts left', 'no-attempts-left', { codeHash: 'h', codeExpiresAt: '2026-11-24T14:40:00.000Z', attemptsLeft: 0 }],
    ['a live code with one attempt left', undefined, { codeHash: 'h', codeExpiresAt: '2026-11-24T14:40:00.000Z', attemptsLeft: 1 }],
  ])('%s: unusable as %s', (_, why, stored) => {
    expect(codeUnusable(stored, now)).toBe(why);
  });
});

describe('one-time codes in the token table', () => {
  it('stores only the hash, with attempts, the codes left and a TTL, and is valid for 10 minutes', async () => {
    const { code, expiresAt } = await issued();
    expect(expiresAt).toBe(minutesLater(CODE_VALID_SECONDS / 60).toISOString());
    expect(storedCode()).toEqual({
      pk: `approval-code#${APPROVAL_ID}#ana@example.com`,
      codeHash: codeHash(SIGNING_KEY, APPROVAL_ID, APPROVER, code),
      codeExpiresAt: expiresAt,
      attemptsLeft: ATTEMPTS_PER_CODE,
      codesLeft: CODES_PER_APPROVER - 1,
      ttl: Date.parse(requestExpiresAt) / 1000 + 24 * 3600,
    });
    expect(Object.values(storedCode())).not.toContain(code);
  });

  it('never lasts past the request itself', async () => {
    const result = await issueCode(codes, APPROVAL_ID, APPROVER, '2026-11-24T14:33:00.000Z', now);
    expect(result).toMatchObject({ issued: true, expiresAt: '2026-11-24T14:33:00.000Z' });
  });

  it('accepts the right code once, from the address it was sent to', async () => {
    const { code } = await issued();
    await expect(useCode(codes, APPROVAL_ID, 'ben@example.com', code, minutesLater(1))).resolves.toEqual({ accepted: false, why: 'no-code' });
    await expect(useCode(codes, APPROVAL_ID, 'ana@example.com', ` ${code.slice(0, 3)} ${code.slice(3)} `, minutesLater(1))).resolves.toEqual({ accepted: true });
    await expect(useCode(codes, APPROVAL_ID, APPROVER, code, minutesLater(2))).resolves.toEqual({ accepted: false, why: 'no-code' });
  });

  it('counts each wrong guess, and after the last one refuses even the right code', async () => {
    const { code } = await issued();
    for (let left = ATTEMPTS_PER_CODE - 1; left >= 0; left--) {
      await expect(useCode(codes, APPROVAL_ID, APPROVER, anotherCode(code), minutesLater(1))).resolves.toEqual({ accepted: false, why: 'wrong-code', attemptsLeft: left });
    }
    await expect(useCode(codes, APPROVAL_ID, APPROVER, code, minutesLater(1))).resolves.toEqual({ accepted: false, why: 'no-attempts-left' });
  });

  it('spends one attempt per guess even when guesses arrive at once', async () => {
    const { code } = await issued();
    const guesses = await Promise.all(Array.from({ length: 12 }, () => useCode(codes, APPROVAL_ID, APPROVER, anotherCode(code), minutesLater(1))));
    expect(guesses.filter((guess) => !guess.accepted && guess.why === 'wrong-code')).toHaveLength(ATTEMPTS_PER_CODE);
    expect(guesses.filter((guess) => !guess.accepted && guess.why === 'no-attempts-left')).toHaveLength(12 - ATTEMPTS_PER_CODE);
  });

  it('refuses a code after it expired', async () => {
    const { code } = await issued();
    await expect(useCode(codes, APPROVAL_ID, APPROVER, code, minutesLater(10))).resolves.toEqual({ accepted: false, why: 'expired' });
  });

  it('takes a malformed entry back without spending an attempt or touching the table', async () => {
    await issued();
    table.stub.resetHistory();
    await expect(useCode(codes, APPROVAL_ID, APPROVER, '12a456', minutesLater(1))).resolves.toEqual({ accepted: false, why: 'malformed' });
    expect(table.stub).not.toHaveReceivedCommand(UpdateItemCommand);
    expect(storedCode().attemptsLeft).toBe(ATTEMPTS_PER_CODE);
  });

  it('a new code replaces the last one; an approver gets a limited number of codes per request', async () => {
    const first = await issued();
    const second = await issued(APPROVER, minutesLater(1));
    if (second.code !== first.code) {
      await expect(useCode(codes, APPROVAL_ID, APPROVER, first.code, minutesLater(2))).resolves.toMatchObject({ accepted: false, why: 'wrong-code' });
    }
    for (let sent = 2; sent < CODES_PER_APPROVER; sent++) await issued(APPROVER, minutesLater(sent));
    await expect(issueCode(codes, APPROVAL_ID, APPROVER, requestExpiresAt, minutesLater(6))).resolves.toEqual({ issued: false });
    // Another approver's codes are counted apart.
    await expect(issueCode(codes, APPROVAL_ID, 'ben@example.com', requestExpiresAt, minutesLater(6))).resolves.toMatchObject({ issued: true, codesLeft: CODES_PER_APPROVER - 1 });
  });
});
