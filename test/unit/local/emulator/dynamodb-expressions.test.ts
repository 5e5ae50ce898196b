import { marshall } from '@aws-sdk/util-dynamodb';
import { applyUpdate, conditionHolds } from '../../../../local/emulator/dynamodb';

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

  it('refuses expressions it cannot evaluate instead of guessing', () => {
    expect(() => conditionHolds(item, 'size(pk) > :n')).toThrow(expect.objectContaining({ name: 'ValidationException' }));
    expect(() => applyUpdate(item, 'SET hits = hits + :one', { values: marshall({ ':one': 1 }) })).toThrow(expect.objectContaining({ name: 'ValidationException' }));
  });
});
