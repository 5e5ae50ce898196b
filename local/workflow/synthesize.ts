import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import type { CfnElement } from 'aws-cdk-lib';
import { deploymentConfigSchema } from '../../infra/config';
import { MigrationStack } from '../../infra/migration-stack';
import type { Phase } from '../../infra/phases';
import { allStates, type AslDefinition } from './asl';

export type { AslDefinition, AslState } from './asl';

export interface SynthesizedWorkflow {
  definition: AslDefinition;
  /** The phase (infra/phases) whose function each Task state runs. */
  taskPhases: Record<string, Phase>;
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
  const { stack, template } = buildStack(deployment);
  const { region, account } = stack;

  const phaseByLogicalId = new Map<string, Phase>();
  for (const [name, fn] of Object.entries(stack.orchestrator.functions)) {
    phaseByLogicalId.set(Stack.of(fn).getLogicalId(fn.node.defaultChild as CfnElement), name as Phase);
  }
  const resolve = intrinsicResolver(template, region, account);
  const [machine] = Object.values(template.findResources('AWS::StepFunctions::StateMachine'));
  const definition = JSON.parse(resolve(machine.Properties.DefinitionString)) as AslDefinition;

  const taskPhases: Record<string, Phase> = {};
  for (const [stateName, state] of allStates(definition)) {
    if (state.Type !== 'Task') continue;
    const functionArn = String(state.Resource?.startsWith('arn:aws:states:::') ? state.Parameters?.FunctionName : state.Resource);
    const phase = phaseByLogicalId.get(functionArn.split(':function:')[1]);
    if (!phase) throw new Error(`Task "${stateName}" calls an unknown function ${functionArn}`);
    taskPhases[stateName] = phase;
  }
  return { definition, taskPhases, functionEnvironment: functionEnvironment(template, resolve), template };
}

/**
 * The context `cdk synth` gives the app: cdk.json's (the feature flags of the pinned aws-cdk-lib, which change
 * what CDK writes: without them a Distributed Map loses its ResultWriter), with bundling skipped.
 */
export function synthesisContext(): Record<string, unknown> {
  const cdkJson = JSON.parse(readFileSync(path.join(__dirname, '..', '..', 'cdk.json'), 'utf8')) as { context?: Record<string, unknown> };
  return { ...cdkJson.context, 'aws:cdk:bundling-stacks': [] };
}

/** The stack as `cdk synth` builds it from a deployment config, without bundling the functions. */
export function buildStack(deployment: unknown): { app: App; stack: MigrationStack; template: Template } {
  const config = deploymentConfigSchema.parse(deployment);
  const app = new App({ context: synthesisContext() });
  const stack = new MigrationStack(app, config.stackName, { config, env: { account: config.account, region: config.region } });
  return { app, stack, template: Template.fromStack(stack) };
}

function functionEnvironment(template: Template, resolve: (value: unknown) => string): Record<string, string> {
  const environment: Record<string, string> = {};
  for (const fn of Object.values(template.findResources('AWS::Lambda::Function'))) {
    const variables = (fn.Properties?.Environment as { Variables?: Record<string, unknown> } | undefined)?.Variables ?? {};
    for (const [name, value] of Object.entries(variables)) environment[name] = resolve(value);
  }
  return environment;
}

type Resources = Record<string, { Type: string }>;

/**
 * Resolves the template's intrinsic functions the way CloudFormation would at deployment, with the stack's
 * own resources named by their logical ids: `Ref` is a topic's or secret's ARN and anything else's name,
 * `Fn::GetAtt ... Arn` is the resource's ARN, `Fn::Join` joins what it resolves.
 */
function intrinsicResolver(template: Template, region: string, account: string): (value: unknown) => string {
  const resources = template.toJSON().Resources as Resources;
  const arn = (logicalId: string): string => {
    const type = resources[logicalId]?.Type ?? '';
    switch (type) {
      case 'AWS::Lambda::Function':
        return `arn:aws:lambda:${region}:${account}:function:${logicalId}`;
      case 'AWS::IAM::Role':
        return `arn:aws:iam::${account}:role/${logicalId}`;
      case 'AWS::SNS::Topic':
        return `arn:aws:sns:${region}:${account}:${logicalId}`;
      case 'AWS::SecretsManager::Secret':
        return `arn:aws:secretsmanager:${region}:${account}:secret:${logicalId}-AbCdEf`;
      case 'AWS::DynamoDB::Table':
        return `arn:aws:dynamodb:${region}:${account}:table/${logicalId}`;
      default:
        return `arn:aws:${type.split('::')[1]?.toLowerCase() ?? 'unknown'}:${region}:${account}:${logicalId}`;
    }
  };
  const pseudo: Record<string, string> = { 'AWS::Partition': 'aws', 'AWS::Region': region, 'AWS::AccountId': account, 'AWS::URLSuffix': 'amazonaws.com' };
  const resolve = (value: unknown): string => {
    if (typeof value === 'string') return value;
    const intrinsic = value as { Ref?: string; 'Fn::GetAtt'?: [string, string]; 'Fn::Join'?: [string, unknown[]] };
    if (intrinsic.Ref) {
      const type = resources[intrinsic.Ref]?.Type;
      return pseudo[intrinsic.Ref] ?? (type === 'AWS::SNS::Topic' || type === 'AWS::SecretsManager::Secret' ? arn(intrinsic.Ref) : intrinsic.Ref);
    }
    if (intrinsic['Fn::GetAtt']) {
      const [logicalId, attribute] = intrinsic['Fn::GetAtt'];
      return attribute === 'Arn' ? arn(logicalId) : `${logicalId}.${attribute}`;
    }
    if (intrinsic['Fn::Join']) return intrinsic['Fn::Join'][1].map(resolve).join(intrinsic['Fn::Join'][0]);
    throw new Error(`Cannot resolve ${JSON.stringify(value)} from the template`);
  };
  return resolve;
}
