import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import type { CfnElement } from 'aws-cdk-lib';
import { deploymentConfigSchema } from '../../infra/config';
import { MigrationStack } from '../../infra/migration-stack';
import { migrationInput } from '../fixtures/migration';

export type AslDefinition = { StartAt: string; States: Record<string, AslState> };
export type AslState = { Type: string; Resource?: string; Parameters?: Record<string, unknown>; [field: string]: unknown };

export const DEPLOYMENT = {
  stackName: 'OrdersMigration',
  account: '123456789012',
  region: 'eu-west-1',
  notificationEmails: ['dba@example.com'],
  approvalPageUrl: 'https://approvals.example.com/review',
  monitoring: { replicationInstanceIdentifier: 'orders-replication' },
  migration: migrationInput(),
};

/**
 * The state machine exactly as `cdk synth` writes it for the stack, with each Lambda task mapped to the
 * function folder whose handler it runs. Bundling is skipped: only the definition is wanted here.
 */
export function synthesizeWorkflow(deployment: unknown = DEPLOYMENT): { definition: AslDefinition; taskPhases: Record<string, string>; template: Template } {
  const { stack, template } = buildStack(deployment);

  const phaseByLogicalId = new Map<string, string>();
  for (const [name, fn] of Object.entries(stack.orchestrator.functions)) {
    phaseByLogicalId.set(Stack.of(fn).getLogicalId(fn.node.defaultChild as CfnElement), folderOf(name));
  }
  const [machine] = Object.values(template.findResources('AWS::StepFunctions::StateMachine'));
  const definition = JSON.parse(resolveJoin(machine.Properties.DefinitionString)) as AslDefinition;

  const taskPhases: Record<string, string> = {};
  // Map states hold their own states (ItemProcessor); the local runner finds them by name too.
  const allStates = (states: Record<string, AslState>): Array<[string, AslState]> =>
    Object.entries(states).flatMap(([name, state]) => [[name, state] as [string, AslState], ...allStates((state.ItemProcessor as AslDefinition | undefined)?.States ?? {})]);
  for (const [stateName, state] of allStates(definition.States)) {
    if (state.Type !== 'Task') continue;
    const functionArn = String(state.Resource?.startsWith('arn:aws:states:::') ? state.Parameters?.FunctionName : state.Resource);
    const phase = phaseByLogicalId.get(functionArn.split(':function:')[1]);
    if (!phase) throw new Error(`Task "${stateName}" calls an unknown function ${functionArn}`);
    taskPhases[stateName] = phase;
  }
  return { definition, taskPhases, template };
}

/** The stack as `cdk synth` builds it from a deployment config, without bundling the functions. */
export function buildStack(deployment: unknown = DEPLOYMENT): { app: App; stack: MigrationStack; template: Template } {
  const config = deploymentConfigSchema.parse(deployment);
  const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
  const stack = new MigrationStack(app, config.stackName, { config, env: { account: config.account, region: config.region } });
  return { app, stack, template: Template.fromStack(stack) };
}

/** validateInput -> validate-input */
function folderOf(functionName: string): string {
  return functionName.replace(/[A-Z]/g, (letter) => `-${letter.toLowerCase()}`);
}

/** Resolves the template's Fn::Join, turning each function's Fn::GetAtt Arn into a recognizable ARN. */
function resolveJoin(value: unknown): string {
  if (typeof value === 'string') return value;
  const join = (value as { 'Fn::Join': [string, unknown[]] })['Fn::Join'];
  return join[1]
    .map((part) => {
      if (typeof part === 'string') return part;
      const getAtt = (part as { 'Fn::GetAtt'?: [string, string] })['Fn::GetAtt'];
      if (getAtt) return `arn:aws:lambda:eu-west-1:123456789012:function:${getAtt[0]}`;
      const ref = (part as { Ref?: string }).Ref;
      if (ref === 'AWS::Partition') return 'aws';
      if (ref === 'AWS::Region') return 'eu-west-1';
      if (ref === 'AWS::AccountId') return '123456789012';
      // Any other resource (the plans bucket of the Distributed Map) is named by its logical id.
      if (ref && !ref.startsWith('AWS::')) return ref;
      throw new Error(`Cannot resolve ${JSON.stringify(part)} in the state machine definition`);
    })
    .join(join[0]);
}
