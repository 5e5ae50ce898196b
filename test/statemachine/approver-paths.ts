import { unmarshall } from '@aws-sdk/util-dynamodb';
import { decideOnThePage } from '../support/approval';
import { HAPPY_PATH, type ApprovalByPeople } from '../support/local-aws';
import type { EngineFixture } from '../support/engines';
import { FAILURE_PATH, runWorkflow } from '../support/run-workflow';
import { synthesizeWorkflow } from '../support/synthesized-workflow';

/**
 * The cutover approval decided by people on the real approval page, in the synthesized workflow: the stack's
 * approvers each have an e-mail subscription on the approver-code topic, filtered on their own address, and
 * two of them must approve. Every call of the page is authorized against the page function's role. Run on each
 * engine by approvers.test.ts (a task) and approvers-serverless.test.ts (one file per engine: the handlers read
 * their stack's environment as they load).
 */
const APPROVERS = ['dba.lead@example.com', 'orders.owner@example.com', 'cio@example.com'];

export function approverPaths(fixture: EngineFixture): void {
  const migration = fixture.input({ cutover: { endpointParameterName: '/apps/orders/database-endpoint' }, approval: { approvers: APPROVERS, approvals: 2 } });
  const synthesized = synthesizeWorkflow({ ...fixture.deployment, migration });
  const run = (approval: ApprovalByPeople) => runWorkflow(synthesized, { ...HAPPY_PATH, engine: fixture.engine, approval }, migration);

  describe(`cutover approval on ${fixture.name} by two approvers, each with a one-time code (executed locally)`, () => {
    it('waits after the first approval, cuts over after the second, and records both verified addresses', async () => {
      let afterFirst: Record<string, unknown> | undefined;
      const result = await run(async ({ reviewUrl, aws }) => {
        const first = await decideOnThePage(reviewUrl, aws, 'dba.lead@example.com', 'approve', 'Change CHG-1234');
        expect(first).toMatchObject({ status: 200, body: expect.stringContaining('Your approval is recorded: one more is needed') });
        const [request] = [...aws.items].filter(([key]) => key.startsWith('approval#')).map(([, item]) => unmarshall(item));
        afterFirst = request;
        const second = await decideOnThePage(reviewUrl, aws, 'orders.owner@example.com');
        expect(second).toMatchObject({ status: 200, body: expect.stringContaining('Cutover approved') });
      });
      // The first approval decided nothing: the request was still pending, its token not handed back.
      expect(afterFirst).toMatchObject({ status: 'pending', firstApproval: { by: 'dba.lead@example.com' } });
      expect(afterFirst).not.toHaveProperty('decidedBy');
      expect(result.status).toBe('SUCCEEDED');
      expect(result.states.at(-1)).toBe('Migration complete');
      expect(result.output?.approval).toEqual({
        decision: 'approved',
        decidedBy: 'orders.owner@example.com',
        decidedAt: expect.any(String),
        verifiedBy: 'one-time-code',
        approvals: [
          { by: 'dba.lead@example.com', at: expect.any(String), verifiedBy: 'one-time-code', reason: 'Change CHG-1234' },
          { by: 'orders.owner@example.com', at: expect.any(String), verifiedBy: 'one-time-code' },
        ],
      });
      // Each code reached its approver's subscription only; the notification list never saw one.
      const codes = result.aws.notifications.filter((notification) => notification.kind === 'approval-code');
      expect(codes.map((notification) => notification.deliveredTo)).toEqual([['dba.lead@example.com'], ['orders.owner@example.com']]);
      expect(result.aws.notifications.filter((notification) => notification.kind !== 'approval-code').every((notification) => !/one-time approval code/.test(notification.message))).toBe(true);
      expect(result.aws.notifications.find((notification) => notification.kind === 'approval-request')?.message).toContain('two different approvers must approve');
    });

    it('one approver approving twice is not two approvals: nothing is cut over, and the approval times out', async () => {
      const result = await run(async ({ reviewUrl, aws }) => {
        await decideOnThePage(reviewUrl, aws, 'dba.lead@example.com');
        const again = await decideOnThePage(reviewUrl, aws, 'dba.lead@example.com');
        expect(again).toMatchObject({ status: 409, body: expect.stringContaining('You approved already') });
      });
      expect(result.status).toBe('SUCCEEDED');
      expect(result.states.slice(-3)).toEqual(['Notify approval timed out', 'Release run lock', 'End without cutover']);
      expect(result.aws.dmsActions).not.toContain(fixture.actions.stop);
      expect(result.aws.parameters.size).toBe(0);
    });

    it('a reject by the second approver, after the first approved, rejects: nothing is cut over', async () => {
      const result = await run(async ({ reviewUrl, aws }) => {
        await decideOnThePage(reviewUrl, aws, 'dba.lead@example.com');
        const rejected = await decideOnThePage(reviewUrl, aws, 'cio@example.com', 'reject', 'Not during the sale');
        expect(rejected).toMatchObject({ status: 200, body: expect.stringContaining('Cutover rejected') });
      });
      expect(result.status).toBe('SUCCEEDED');
      expect(result.states.slice(-4)).toEqual(['Ask for cutover approval', 'Notify approval rejected', 'Release run lock', 'End without cutover']);
      expect(result.aws.notifications.at(-1)?.message).toContain('Rejected by cio@example.com (confirmed with a one-time code sent to that address)');
      expect(result.aws.dmsActions).not.toContain(fixture.actions.stop);
    });

    it('a run naming an approver the deployment did not subscribe stops at the approval, before anyone is asked', async () => {
      const input = fixture.input({ cutover: { endpointParameterName: '/apps/orders/database-endpoint' }, approval: { approvers: ['eve@example.com', 'dba.lead@example.com'], approvals: 2 } });
      const result = await runWorkflow(synthesized, { ...HAPPY_PATH, engine: fixture.engine }, input);
      expect(result.status).toBe('FAILED');
      expect(result.states.slice(-6)).toEqual(['Ask for cutover approval failed', ...FAILURE_PATH]);
      expect(result.aws.notifications.at(-1)?.message).toContain("approval.approvers: not subscribed to this deployment's approver-code topic, so no code could reach them: eve@example.com");
      expect(result.notifications).not.toContain('approval-request');
    });
  });
}
