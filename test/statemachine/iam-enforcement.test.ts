import { Template } from 'aws-cdk-lib/assertions';
import type { CfnTemplate } from '../../local/iam';
import { HAPPY_PATH } from '../support/local-aws';
import { runWorkflow } from '../support/run-workflow';
import { synthesizeWorkflow, type SynthesizedWorkflow } from '../support/synthesized-workflow';

const synthesized = synthesizeWorkflow();

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

describe('the locally executed workflow, held to the synthesized roles', () => {
  it('runs the happy path with every call evaluated and none denied', async () => {
    const run = await runWorkflow(synthesized, HAPPY_PATH);
    expect(run.status).toBe('SUCCEEDED');
    expect(run.authorizer.deniedCalls).toEqual([]);
    // Every function's calls and the state machine's invocations of them.
    expect(run.authorizer.evaluatedCalls).toBeGreaterThan(run.states.filter((state) => synthesized.taskPhases[state]).length);
  });

  it('fails at the step whose grant is missing, naming the action', async () => {
    const startTask = synthesized.functionLogicalIds.startTask;
    const run = await runWorkflow(withoutGrant(synthesized, startTask, 'dms:StartReplicationTask'), HAPPY_PATH);
    expect(run.status).toBe('FAILED');
    const failedStates = run.events.filter((event) => event.type === 'StateFailed').map((event) => event.state?.name);
    expect(failedStates[0]).toBe('Start task');
    expect(JSON.stringify(run.error)).toContain('is not authorized to perform: dms:StartReplicationTask on resource: arn:aws:dms:eu-west-1:123456789012:task:');
    expect(run.authorizer.deniedCalls.map((call) => [call.principal, call.action])).toEqual([[startTask, 'dms:StartReplicationTask']]);
    expect(run.aws.dmsActions).not.toContainEqual(expect.stringMatching(/^StartReplicationTask/));
  });
});
