import { synthesizedTemplate } from '../support/synthesized-workflow';

describe('stack outputs for the CLI', () => {
  it('outputs the state machine ARN and the token table name that status, approve and reject ask for', () => {
    const template = synthesizedTemplate();
    const outputs = template.toJSON().Outputs as Record<string, { Value: unknown }>;
    const [machineId] = Object.keys(template.findResources('AWS::StepFunctions::StateMachine'));
    const [tableId] = Object.keys(template.findResources('AWS::DynamoDB::Table'));
    expect(outputs.StateMachineArn.Value).toEqual({ Ref: machineId });
    expect(outputs.TokenTableName.Value).toEqual({ Ref: tableId });
  });
});
