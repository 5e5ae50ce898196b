import { Template } from 'aws-cdk-lib/assertions';
import type { CfnTemplate } from '../../local/iam';
import type { EngineFixture } from '../support/engines';
import { HAPPY_PATH } from '../support/local-aws';
import { runWorkflow } from '../support/run-workflow';
import { synthesizeWorkflow, type SynthesizedWorkflow } from '../support/synthesized-workflow';

/** The synthesized stack with one action taken out of one function's role, as a forgotten grant would leave it. */
function withoutGrant(workflow: SynthesizedWorkflow, functionLogicalId: string, action: string): SynthesizedWorkflow {
  const template = structuredClone(workflow.template.toJSON()) as CfnTemplate;
  const roleLogicalId = (template.Resources[functionLogicalId].Properties?.Role as { 'Fn::GetAtt': [string, string] })['Fn::GetAtt'][0];
  let removed = 0;
  for (const resource of Object.values(template.Resources)) {
    const roles = (resource.Properties?.Roles ?? []) as Array<{ Ref?: string }>;
    if (resource.Type !== 'AWS::IAM::Policy' || !roles.some((role) => role.Ref === roleLogicalId)) continue;
    const document = resource.Properties?.PolicyDocument as { Statement: Array<{ Action: string | string[] }> };
    const kept = document.Statement.filter((statement) => ![statement.Action].flat().includes(action));
    removed += document.Statement.length - kept.length;
    document.Statement = kept;
  }
  if (removed !== 1) throw new Error(`expected one statement granting ${action} to ${functionLogicalId}, found ${removed}`);
  return { ...workflow, template: Template.fromJSON(template) };
}

/**
 * The workflow held to its roles on one engine: iam-enforcement.test.ts on a task, iam-enforcement-serverless.test.ts
 * on a DMS Serverless replication (one file per engine: the handlers read their stack's environment as they load).
 */
export function iamEnforcementPaths(fixture: EngineFixture): void {
  describe(`the locally executed workflow on ${fixture.name}, held to the synthesized roles`, () => {
    const synthesized = synthesizeWorkflow(fixture.deployment);
    const scenario = { ...HAPPY_PATH, engine: fixture.engine };

    it('runs the happy path with every call evaluated and none denied', async () => {
      const run = await runWorkflow(synthesized, scenario, fixture.input());
      expect(run.status).toBe('SUCCEEDED');
      expect(run.authorizer.deniedCalls).toEqual([]);
      // Every function's calls and the state machine's invocations of them.
      expect(run.authorizer.evaluatedCalls).toBeGreaterThan(run.states.filter((state) => synthesized.taskPhases[state]).length);
    });

    it('fails at the step whose grant is missing, naming the action', async () => {
      const startTask = synthesized.functionLogicalIds.startTask;
      const action = `dms:${fixture.actions.start('').trim()}`;
      const run = await runWorkflow(withoutGrant(synthesized, startTask, action), scenario, fixture.input());
      expect(run.status).toBe('FAILED');
      const failedStates = run.events.filter((event) => event.type === 'StateFailed').map((event) => event.state?.name);
      expect(failedStates[0]).toBe('Start task');
      expect(JSON.stringify(run.error)).toContain(`is not authorized to perform: ${action} on resource: ${fixture.arn}`);
      expect(run.authorizer.deniedCalls.map((call) => [call.principal, call.action])).toEqual([[startTask, action]]);
      expect(run.aws.dmsActions).not.toContainEqual(expect.stringMatching(new RegExp(`^${fixture.actions.start('')}`)));
    });
  });
}
