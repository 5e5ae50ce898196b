import { judgeRollback } from '../../../../local/rehearsal/judge';
import type { RollbackFacts } from '../../../../local/rehearsal/rollback';

const switchedBack = { endpointParameterName: '/apps/shop/database-endpoint', endpoint: '127.0.0.1:3306' };
const facts = (overrides: Partial<RollbackFacts> = {}): RollbackFacts => ({
  execution: { status: 'SUCCEEDED', output: { switched: switchedBack }, retries: [] } as unknown as RollbackFacts['execution'],
  stateTimings: [],
  placedOnTarget: [501, 502],
  foundOnSource: [501, 502],
  publishedEndpoint: '127.0.0.1:3306',
  sourceAddress: '127.0.0.1:3306',
  ...overrides,
});

describe('judging the rehearsed rollback', () => {
  it('succeeds when it switched back, every order placed on the target is on the source and the endpoint names the source', () => {
    expect(judgeRollback(facts())).toEqual({ exitCode: 0 });
  });

  it.each([
    [
      'a failed execution, with its cause',
      { execution: { status: 'FAILED', error: { Error: 'NothingToRollBack', Cause: JSON.stringify({ errorMessage: 'no reverse task' }) }, retries: [] } as unknown as RollbackFacts['execution'] },
      'Rollback failed (NothingToRollBack): no reverse task',
    ],
    ['an execution without a switch', { execution: { status: 'SUCCEEDED', output: {}, retries: [] } as unknown as RollbackFacts['execution'] }, 'The rollback ended without switching back'],
    ['orders missing on the source', { foundOnSource: [501] }, 'Orders placed on the target after the cutover are missing on the source: 502'],
    ['the endpoint elsewhere', { publishedEndpoint: '127.0.0.1:3307' }, 'The endpoint parameter names 127.0.0.1:3307, not the source at 127.0.0.1:3306'],
  ])('fails with exit 1 on %s', (_case, overrides, reason) => {
    expect(judgeRollback(facts(overrides))).toEqual({ exitCode: 1, reason });
  });
});
