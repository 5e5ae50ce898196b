import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import type { CfnElement } from 'aws-cdk-lib';
import { deploymentConfigSchema, type DeploymentConfig } from '../../infra/config';
import { MigrationStack } from '../../infra/migration-stack';
import type { Phase } from '../../infra/phases';
import { conventionalPhysicalResources, resolveIntrinsic, type CfnTemplate, type DeploymentEnvironment, type PhysicalResources } from '../iam';
import type { VpcEndpointsDeclaration } from '../emulator/network';
import type { TopicSubscription } from '../emulator/services';
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
  /** The logical id of each phase's function: the principal its calls are authorized as. */
  functionLogicalIds: Record<Phase, string>;
  stateMachineLogicalId: string;
  /** Where the stack would be deployed, and the names and ARNs its resources would have there. */
  environment: DeploymentEnvironment;
  physicalResources: PhysicalResources;
  /** What the deployment declares its database network reaches (`databaseNetwork.vpcEndpoints`). */
  vpcEndpoints: VpcEndpointsDeclaration;
  /** The stack's topic subscriptions (notification e-mails, approvers' code e-mails with their filter policies). */
  topicSubscriptions: TopicSubscription[];
  /** The approval page's function: the principal the page's calls are authorized as. */
  approvalPageLogicalId: string;
}

/**
 * The state machine exactly as `cdk synth` writes it for the stack, with each Lambda task mapped to the
 * function folder whose handler it runs. Bundling is skipped: only the definition is wanted here.
 */
export function synthesizeWorkflow(deployment: unknown): SynthesizedWorkflow {
  const { stack, template, config } = buildStack(deployment);
  const { region, account } = stack;

  const phaseByLogicalId = new Map<string, Phase>();
  for (const [name, fn] of Object.entries(stack.orchestrator.functions)) {
    phaseByLogicalId.set(Stack.of(fn).getLogicalId(fn.node.defaultChild as CfnElement), name as Phase);
  }
  const environment: DeploymentEnvironment = { partition: 'aws', region, accountId: account };
  const physicalResources = conventionalPhysicalResources(template.toJSON() as CfnTemplate, environment);
  const resolve = (value: unknown) => String(resolveIntrinsic(value, environment, physicalResources));
  const phaseByArn = new Map([...phaseByLogicalId].map(([logicalId, phase]) => [physicalResources[logicalId].attributes.Arn, phase]));
  const [[stateMachineLogicalId, machine]] = Object.entries(template.findResources('AWS::StepFunctions::StateMachine'));
  const definition = JSON.parse(resolve(machine.Properties.DefinitionString)) as AslDefinition;

  const taskPhases: Record<string, Phase> = {};
  for (const [stateName, state] of allStates(definition)) {
    if (state.Type !== 'Task') continue;
    const functionArn = String(state.Resource?.startsWith('arn:aws:states:::') ? state.Parameters?.FunctionName : state.Resource);
    const phase = phaseByArn.get(functionArn);
    if (!phase) throw new Error(`Task "${stateName}" calls an unknown function ${functionArn}`);
    taskPhases[stateName] = phase;
  }
  const functionLogicalIds = Object.fromEntries([...phaseByLogicalId].map(([logicalId, phase]) => [phase, logicalId])) as Record<Phase, string>;
  // Without the declaration the network is taken to route to every AWS API, as an operator's NAT would.
  const vpcEndpoints = (config.databaseNetwork as { vpcEndpoints?: VpcEndpointsDeclaration } | undefined)?.vpcEndpoints ?? 'existing';
  return {
    definition,
    taskPhases,
    functionEnvironment: functionEnvironment(template, resolve),
    template,
    functionLogicalIds,
    stateMachineLogicalId,
    environment,
    physicalResources,
    vpcEndpoints,
    topicSubscriptions: Object.values(template.findResources('AWS::SNS::Subscription')).map(({ Properties: subscription }) => {
      // The emulators apply filter policies to message attributes, SNS's default scope.
      if ((subscription.FilterPolicyScope ?? 'MessageAttributes') !== 'MessageAttributes') throw new Error(`Filter policy scope ${subscription.FilterPolicyScope} is not emulated`);
      return {
      topicArn: resolve(subscription.TopicArn),
      protocol: String(subscription.Protocol),
      endpoint: String(subscription.Endpoint),
      ...(subscription.FilterPolicy ? { filterPolicy: subscription.FilterPolicy as Record<string, unknown> } : {}),
      };
    }),
    approvalPageLogicalId: Stack.of(stack).getLogicalId(stack.orchestrator.approvalApi.pageFunction.node.defaultChild as CfnElement),
  };
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
export function buildStack(deployment: unknown): { app: App; stack: MigrationStack; template: Template; config: DeploymentConfig } {
  const config = deploymentConfigSchema.parse(deployment);
  const app = new App({ context: synthesisContext() });
  const stack = new MigrationStack(app, config.stackName, { config, env: { account: config.account, region: config.region } });
  return { app, stack, template: Template.fromStack(stack), config };
}

/** Every function's environment variables in a synthesized template, references resolved by `resolve`. */
export function functionEnvironment(template: Template, resolve: (value: unknown) => string): Record<string, string> {
  const environment: Record<string, string> = {};
  for (const fn of Object.values(template.findResources('AWS::Lambda::Function'))) {
    const variables = (fn.Properties?.Environment as { Variables?: Record<string, unknown> } | undefined)?.Variables ?? {};
    for (const [name, value] of Object.entries(variables)) environment[name] = resolve(value);
  }
  return environment;
}
