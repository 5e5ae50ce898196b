import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import type { CfnElement } from 'aws-cdk-lib';
import { deploymentConfigSchema } from '../../infra/config';
import { MigrationStack } from '../../infra/migration-stack';

export type AslDefinition = { StartAt: string; States: Record<string, AslState> };
export type AslState = { Type: string; Resource?: string; Parameters?: Record<string, unknown>; [field: string]: unknown };

export interface SynthesizedWorkflow {
  definition: AslDefinition;
  /** The function folder (`functions/<phase>`) each Task state runs. */
  taskPhases: Record<string, string>;
  /**
   * Every function's environment variables, as the stack sets them, with references to the stack's own
   * resources resolved to the names and ARNs they would have (the topic's ARN, the table's name...).
   */
  functionEnvironment: Record<string, string>;
  template: Template;
}

/**
 * The state machine exactly as `cdk synth` writes it for the stack, with each Lambda task mapped to the
 * function folder whose handler it runs. Bundling is skipped: only the definition is wanted here.
 */
export function synthesizeWorkflow(deployment: unknown): SynthesizedWorkflow {
  const config = deploymentConfigSchema.parse(deployment);
  const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
  const stack = new MigrationStack(app, config.stackName, { config, env: { account: config.account, region: config.region } });
  const template = Template.fromStack(stack);

  const phaseByLogicalId = new Map<string, string>();
  for (const [name, fn] of Object.entries(stack.orchestrator.functions)) {
    phaseByLogicalId.set(Stack.of(fn).getLogicalId(fn.node.defaultChild as CfnElement), folderOf(name));
  }
  const [machine] = Object.values(template.findResources('AWS::StepFunctions::StateMachine'));
  const definition = JSON.parse(resolveJoin(machine.Properties.DefinitionString)) as AslDefinition;

  const taskPhases: Record<string, string> = {};
  for (const [stateName, state] of Object.entries(definition.States)) {
    if (state.Type !== 'Task') continue;
    const functionArn = String(state.Resource?.startsWith('arn:aws:states:::') ? state.Parameters?.FunctionName : state.Resource);
    const phase = phaseByLogicalId.get(functionArn.split(':function:')[1]);
    if (!phase) throw new Error(`Task "${stateName}" calls an unknown function ${functionArn}`);
    taskPhases[stateName] = phase;
  }
  return { definition, taskPhases, functionEnvironment: functionEnvironment(template, config.region, config.account), template };
}

function functionEnvironment(template: Template, region: string, account: string): Record<string, string> {
  const resources = template.toJSON().Resources as Record<string, { Type: string; Properties?: Record<string, unknown> }>;
  const arnOf = (logicalId: string): string => {
    switch (resources[logicalId]?.Type) {
      case 'AWS::SNS::Topic':
        return `arn:aws:sns:${region}:${account}:${logicalId}`;
      case 'AWS::SecretsManager::Secret':
        return `arn:aws:secretsmanager:${region}:${account}:secret:${logicalId}-AbCdEf`;
      default:
        // Tables, buckets and most other resources: Ref is the resource's name.
        return logicalId;
    }
  };
  const environment: Record<string, string> = {};
  for (const resource of Object.values(resources)) {
    if (resource.Type !== 'AWS::Lambda::Function') continue;
    const variables = (resource.Properties?.Environment as { Variables?: Record<string, unknown> } | undefined)?.Variables ?? {};
    for (const [name, value] of Object.entries(variables)) {
      const ref = (value as { Ref?: string }).Ref;
      if (typeof value === 'string') environment[name] = value;
      else if (ref) environment[name] = arnOf(ref);
      else throw new Error(`Cannot resolve the environment variable ${name}: ${JSON.stringify(value)}`);
    }
  }
  return environment;
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
      throw new Error(`Cannot resolve ${JSON.stringify(part)} in the state machine definition`);
    })
    .join(join[0]);
}
