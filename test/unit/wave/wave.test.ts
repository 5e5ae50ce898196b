import { waveSubset } from '../../../functions/approval-page/decide';
import { assessPreparation, explainChildFailure, planWindow, recordGroupEnd, summarizeWave, validateWave } from '../../../functions/wave/wave';
import { waveInputSchema } from '../../../functions/shared/wave-input';
import { migrationInput } from '../../support/migration';

const NAMES = ['orders', 'billing', 'stock'];
const stateMachine = (stack: string) => `arn:aws:states:eu-west-1:123456789012:stateMachine:${stack}-migration`;
const wave = (changes: Record<string, unknown> = {}) =>
  waveInputSchema.parse({
    waveName: 'Friday wave',
    migrations: NAMES.map((name) => ({ stateMachineArn: stateMachine(name), input: migrationInput({ migrationName: name }) })),
    ...changes,
  });

describe('wave input', () => {
  it('orders the window by cutoverOrder, the migrations left out following in the wave’s order', () => {
    const config = validateWave(wave({ cutoverOrder: ['stock'] }), 'run-1');
    expect(config.cutoverSequence.map((index) => config.names[index])).toEqual(['stock', 'orders', 'billing']);
    expect(config.migrations[0].executionName).toBe('run-1-1-orders');
  });

  it('refuses two migrations on one state machine and an unknown name in cutoverOrder, before anything starts', () => {
    const input = wave({ cutoverOrder: ['payroll'] });
    input.migrations[1].stateMachineArn = stateMachine('orders');
    expect(() => validateWave(input, 'run-1')).toThrow(/migrations\.1\.stateMachineArn: the state machine of "orders" too[\s\S]*cutoverOrder\.0: "payroll" is not a migration of the wave/);
  });

  it('cuts over one at a time unless cutoverConcurrency says more, up to the 40 an inline Map runs at once', () => {
    expect(validateWave(wave(), 'run-1').cutoverConcurrency).toBe(1);
    expect(validateWave(wave({ cutoverConcurrency: 3 }), 'run-1').cutoverConcurrency).toBe(3);
    for (const refused of [0, 41, 2.5, '3']) {
      const parsed = waveInputSchema.safeParse({ ...wave(), cutoverConcurrency: refused });
      expect(parsed.success ? 'accepted' : parsed.error.issues.map((issue) => issue.path.join('.'))).toEqual(['cutoverConcurrency']);
    }
  });

  it('makes a dry-run wave each migration’s dry run', () => {
    const config = validateWave(wave({ dryRun: true }), 'run-1');
    expect(config.migrations.map((migration) => (migration.input.cutover as { dryRun?: boolean }).dryRun)).toEqual([true, true, true]);
  });
});

describe('wave decisions', () => {
  const failedPreparation = [
    { index: 0, ready: true, progress: { fullLoadComplete: true } },
    { index: 1, ready: false, error: 'TableErrors: orders.items failed' },
    { index: 2, ready: true },
  ];

  it('leaves a migration that failed its preparation out and asks about the others', () => {
    const assessment = assessPreparation(NAMES, false, failedPreparation);
    expect(assessment).toMatchObject({ proceed: true, notReady: [{ name: 'billing', error: 'TableErrors: orders.items failed' }] });
    expect(assessment.candidates.map((candidate) => candidate.name)).toEqual(['orders', 'stock']);
  });

  it('asks nobody when requireAll and one migration is not ready', () => {
    expect(assessPreparation(NAMES, true, failedPreparation)).toMatchObject({ proceed: false, because: 'requireAll: billing not ready, so none is cut over' });
  });

  it('approves a subset of the candidates, refusing a name that is not one', () => {
    const record = { details: { wave: { waveName: 'w', candidates: [{ name: 'orders', evidence: [] }, { name: 'stock', evidence: [] }], notReady: [] } } };
    expect(waveSubset(record, ['stock'])).toEqual(['stock']);
    expect(waveSubset(record, undefined)).toEqual(['orders', 'stock']);
    expect(() => waveSubset(record, ['billing'])).toThrow(/not ready for cutover in this wave: billing/);
    expect(() => waveSubset({ details: {} }, ['orders'])).toThrow(/for one migration, not a wave/);
  });

  it('cuts over only the approved migrations, in order, and says where each one is', () => {
    const plan = { names: NAMES, cutoverSequence: [2, 0, 1], rollingBack: false, approved: ['stock'], notReady: [{ name: 'billing', error: 'TableErrors' }] };
    let window = planWindow(plan);
    expect(window.queue).toEqual([2]);
    window = recordGroupEnd({ names: NAMES, window, ends: [{ index: 2 }], rollingBack: false, dryRun: false, stopOnFirstCutoverFailure: true });
    const summary = summarizeWave(NAMES, window, false);
    expect(summary).toMatchObject({ onTarget: ['stock'], onSource: ['orders', 'billing'], complete: false });
    expect(summary.lines).toEqual(['orders: not approved: still on the source', 'billing: not ready for cutover: still on the source (TableErrors)', 'stock: cut over: on the target']);
  });

  it('halts the rest of the window at the first failed cutover, which stay on their source', () => {
    let window = planWindow({ names: NAMES, cutoverSequence: [0, 1, 2], rollingBack: false, approved: NAMES, notReady: [] });
    const end = { names: NAMES, rollingBack: false, dryRun: false, stopOnFirstCutoverFailure: true };
    window = recordGroupEnd({ ...end, window, ends: [{ index: 0 }] });
    const cause = JSON.stringify({ status: 'FAILED', error: 'CutoverPreconditionFailed', cause: 'CDC latency 40 s\nmore' });
    window = recordGroupEnd({ ...end, window, ends: [{ index: 1, failure: { Error: 'States.TaskFailed', Cause: cause } }] });
    expect(window.queue).toEqual([]);
    const summary = summarizeWave(NAMES, window, false);
    expect(summary).toMatchObject({ onTarget: ['orders'], onSource: ['billing', 'stock'], failed: [{ name: 'billing', error: 'CutoverPreconditionFailed: CDC latency 40 s' }] });
    expect(summary.because).toMatch(/^Wave incomplete: billing: FAILED \(CutoverPreconditionFailed: CDC latency 40 s\); stock: halted after an earlier failure/);
  });

  it('goes on after a failure when stopOnFirstCutoverFailure is false', () => {
    const window = planWindow({ names: NAMES, cutoverSequence: [0, 1, 2], rollingBack: false, approved: NAMES, notReady: [] });
    const next = recordGroupEnd({ names: NAMES, window, ends: [{ index: 0, failure: { Error: 'States.TaskFailed' } }], rollingBack: false, dryRun: false, stopOnFirstCutoverFailure: false });
    expect(next.queue).toEqual([1, 2]);
  });

  it('rolls a wave back in reverse cutover order', () => {
    let window = planWindow({ names: NAMES, cutoverSequence: [2, 0, 1], rollingBack: true, approved: NAMES, notReady: [] });
    expect(window.queue.map((index) => NAMES[index])).toEqual(['billing', 'orders', 'stock']);
    for (let step = 0; step < 3; step++) window = recordGroupEnd({ names: NAMES, window, ends: [{ index: window.queue[0] }], rollingBack: true, dryRun: false, stopOnFirstCutoverFailure: true });
    expect(summarizeWave(NAMES, window, true)).toMatchObject({ onTarget: [], onSource: NAMES, complete: true });
  });

  it('records a group that ran at once: a failure in it halts what was not started, the rest of the group keeps its outcome', () => {
    const names = [...NAMES, 'ledger', 'audit'];
    let window = planWindow({ names, cutoverSequence: [4, 3, 2, 1, 0], rollingBack: false, approved: names, notReady: [] });
    const end = { names, rollingBack: false, dryRun: false, stopOnFirstCutoverFailure: true };
    window = recordGroupEnd({ ...end, window, ends: [{ index: 3 }, { index: 4 }] });
    expect(window.queue).toEqual([2, 1, 0]);
    // The group's children end in any order: the failure came first, its neighbour still cut over.
    window = recordGroupEnd({ ...end, window, ends: [{ index: 1, failure: { Error: 'States.TaskFailed', Cause: 'CutoverPreconditionFailed' } }, { index: 2 }] });
    expect(window.queue).toEqual([]);
    const summary = summarizeWave(names, window, false);
    expect(summary).toMatchObject({ onTarget: ['stock', 'ledger', 'audit'], onSource: ['orders', 'billing'] });
    expect(summary.lines).toEqual([
      'orders: halted after an earlier failure: still on the source',
      'billing: FAILED (States.TaskFailed: CutoverPreconditionFailed)',
      'stock: cut over: on the target',
      'ledger: cut over: on the target',
      'audit: cut over: on the target',
    ]);
  });

  it('refuses a group end that is not the head of the queue: the window never loses or repeats a migration', () => {
    const window = planWindow({ names: NAMES, cutoverSequence: [0, 1, 2], rollingBack: false, approved: NAMES, notReady: [] });
    const end = { names: NAMES, window, rollingBack: false, dryRun: false, stopOnFirstCutoverFailure: true };
    expect(() => recordGroupEnd({ ...end, ends: [{ index: 1 }] })).toThrow(/not the head of the window's queue \(0, 1, 2\)/);
    expect(() => recordGroupEnd({ ...end, ends: [] })).toThrow(/\(none\)/);
  });

  it('explains a refused start by its own error when there is no child to describe', () => {
    expect(explainChildFailure('States.TaskFailed', 'User is not authorized to perform: states:StartExecution')).toBe('States.TaskFailed: User is not authorized to perform: states:StartExecution');
  });
});
