import { marshall } from '@aws-sdk/util-dynamodb';
import { applyUpdate, conditionHolds, validateExpressions } from '../../../../local/emulator/dynamodb';

const item = marshall({ pk: 'approval#1', status: 'pending', decidedBy: 'nobody' });
const values = marshall({ ':pending': 'pending', ':done': 'approved', ':who': 'dba' });

describe('emulated DynamoDB expressions', () => {
  it.each([
    ['attribute_not_exists(pk)', 'no item', true, undefined],
    ['attribute_not_exists(pk)', 'the pending item', false, item],
    ['attribute_exists(pk)', 'the pending item', true, item],
    ['#s = :pending', 'the pending item', true, item],
    ['#s = :done', 'the pending item', false, item],
    ['attribute_exists(pk) AND #s = :pending', 'the pending item', true, item],
    ['attribute_exists(pk) AND #s = :done', 'the pending item', false, item],
    ['#s = :pending', 'no item', false, undefined],
    ['#s <> :done', 'the pending item', true, item],
    ['#s > :done', 'the pending item', true, item],
    ['#s <= :done', 'the pending item', false, item],
    ['#s = :pending AND decidedBy >= :who', 'the pending item', true, item],
    ['decidedBy < :who', 'the pending item', false, item],
  ])('%s on %s holds: %s', (condition, _description, holds, stored) => {
    expect(conditionHolds(stored, condition, { names: { '#s': 'status' }, values })).toBe(holds);
  });

  it('compares numbers numerically and refuses to order mixed types', () => {
    const counted = marshall({ pk: 'p', count: 9, label: '10' });
    const ten = { values: marshall({ ':ten': 10, ':tenText': '10' }) };
    expect(conditionHolds(counted, 'count < :ten', ten)).toBe(true);
    expect(conditionHolds(counted, 'label < :ten', ten)).toBe(false);
    expect(conditionHolds(counted, 'label >= :tenText', ten)).toBe(true);
  });

  it('applies SET (with if_not_exists) and REMOVE as DynamoDB does', () => {
    const updated = applyUpdate(item, 'SET #s = :done, decidedBy = if_not_exists(decidedBy, :who), decidedAt = if_not_exists(decidedAt, :who) REMOVE pending', {
      names: { '#s': 'status' },
      values,
    });
    expect(updated).toEqual(marshall({ pk: 'approval#1', status: 'approved', decidedBy: 'nobody', decidedAt: 'dba' }));
    expect(applyUpdate(updated, 'REMOVE decidedAt, decidedBy')).toEqual(marshall({ pk: 'approval#1', status: 'approved' }));
  });

  it.each([
    ['attribute_not_exists(left) OR left > :zero', 'no counter yet', true, {}],
    ['attribute_not_exists(left) OR left > :zero', 'a counter above zero', true, { left: 2 }],
    ['attribute_not_exists(left) OR left > :zero', 'a spent counter', false, { left: 0 }],
    // AND binds tighter than OR: (#s = :pending AND left > :zero) OR attribute_not_exists(left).
    ['#s = :pending AND left > :zero OR attribute_not_exists(left)', 'a spent counter on a pending item', false, { left: 0 }],
    ['#s = :pending AND left > :zero OR attribute_not_exists(left)', 'no counter on a decided item', true, { status: 'approved' }],
  ])('%s on %s holds: %s', (condition, _description, holds, fields) => {
    const stored = marshall({ pk: 'code#1', status: 'pending', ...fields });
    expect(conditionHolds(stored, condition, { names: { '#s': 'status' }, values: marshall({ ':zero': 0, ':pending': 'pending' }) })).toBe(holds);
  });

  it('reads paths into maps in conditions; a missing part makes a comparison false', () => {
    const voted = marshall({ pk: 'approval#1', vote: { key: 'a@example.com' } });
    const context = { names: { '#vote': 'vote', '#key': 'key' }, values: marshall({ ':me': 'b@example.com', ':first': 'a@example.com' }) };
    expect(conditionHolds(voted, '#vote.#key <> :me', context)).toBe(true);
    expect(conditionHolds(voted, '#vote.#key <> :first', context)).toBe(false);
    expect(conditionHolds(item, '#vote.#key <> :me', context)).toBe(false);
    expect(conditionHolds(voted, 'attribute_exists(#vote.#key)', context)).toBe(true);
  });

  it('adds and subtracts numbers in SET, counting from if_not_exists when the attribute is new', () => {
    const context = { values: marshall({ ':one': 1, ':five': 5 }) };
    const first = applyUpdate(item, 'SET left = if_not_exists(left, :five) - :one', context);
    expect(first.left).toEqual({ N: '4' });
    expect(applyUpdate(first, 'SET left = left - :one, hits = if_not_exists(hits, :one) + :one', context)).toMatchObject({ left: { N: '3' }, hits: { N: '2' } });
  });

  it('refuses expressions it cannot evaluate instead of guessing', () => {
    const one = { values: marshall({ ':one': 1, ':text': 'x' }) };
    expect(() => conditionHolds(item, 'size(pk) > :n')).toThrow(expect.objectContaining({ name: 'ValidationException' }));
    expect(() => conditionHolds(item, '(attribute_exists(pk) OR attribute_exists(x)) AND attribute_exists(pk)')).toThrow(expect.objectContaining({ name: 'ValidationException' }));
    // DynamoDB refuses arithmetic on an attribute the item lacks, and on strings.
    expect(() => applyUpdate(item, 'SET hits = hits + :one', one)).toThrow(expect.objectContaining({ name: 'ValidationException' }));
    expect(() => applyUpdate(item, 'SET hits = :text + :one', one)).toThrow(expect.objectContaining({ name: 'ValidationException' }));
    expect(() => applyUpdate(item, 'SET hits = list_append(hits, :one)', one)).toThrow(expect.objectContaining({ name: 'ValidationException' }));
  });

  describe('what DynamoDB checks before evaluating', () => {
    it('accepts the shapes the functions write: placeholders for reserved words, functions, REMOVE after SET', () => {
      expect(() =>
        validateExpressions({
          UpdateExpression: 'SET #status = :pending, lastMilestonePercent = if_not_exists(lastMilestonePercent, :zero) REMOVE #decidedBy',
          ConditionExpression: 'attribute_not_exists(pk) OR #status = :pending AND NOT attribute_exists(#decidedBy)',
          ExpressionAttributeNames: { '#status': 'status', '#decidedBy': 'decidedBy' },
          ExpressionAttributeValues: marshall({ ':pending': 'pending', ':zero': 0 }),
        }),
      ).not.toThrow();
    });

    it.each([
      [{ UpdateExpression: 'SET ttl = :expires', ExpressionAttributeValues: marshall({ ':expires': 1 }) }, 'Invalid UpdateExpression: Attribute name is a reserved keyword; reserved keyword: ttl'],
      [{ ConditionExpression: 'status = :pending', ExpressionAttributeValues: marshall({ ':pending': 'pending' }) }, 'Invalid ConditionExpression: Attribute name is a reserved keyword; reserved keyword: status'],
      [{ UpdateExpression: 'SET a = :a', ExpressionAttributeValues: marshall({ ':a': 1, ':unused': 2 }) }, 'Value provided in ExpressionAttributeValues unused in expressions: keys: {:unused}'],
      [{ UpdateExpression: 'SET a = :a', ExpressionAttributeValues: marshall({ ':a': 1 }), ExpressionAttributeNames: { '#b': 'b' } }, 'Value provided in ExpressionAttributeNames unused in expressions: keys: {#b}'],
      [{ UpdateExpression: 'SET #a = :a', ExpressionAttributeValues: marshall({ ':a': 1 }) }, 'Invalid UpdateExpression: An expression attribute name used in the document path is not defined; attribute name: #a'],
      [{ ConditionExpression: 'a = :missing' }, 'Invalid ConditionExpression: An expression attribute value used in expression is not defined; attribute value: :missing'],
    ])('refuses %j: %s', (input, message) => {
      expect(() => validateExpressions(input)).toThrow(expect.objectContaining({ name: 'ValidationException', message }));
    });
  });
});
