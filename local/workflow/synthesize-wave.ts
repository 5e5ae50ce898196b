import { App, Stack, type CfnElement } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { waveDeploymentSchema } from '../../infra/wave-config';
import { WaveStack } from '../../infra/wave-stack';
import { conventionalPhysicalResources, resolveIntrinsic, type CfnTemplate, type DeploymentEnvironment, type PhysicalResources } from '../iam';
import { allStates, type AslDefinition } from './asl';
import { functionEnvironment, synthesisContext } from './synthesize';

/** The wave's functions, by the name the local runner loads them under. */
export const WAVE_FUNCTIONS = { wave: 'wave/handler', milestones: 'wave-milestones/handler' } as const;
export type WaveFunction = keyof typeof WAVE_FUNCTIONS;

export interface SynthesizedWave {
  definition: AslDefinition;
  /** The wave function each Lambda Task state runs. */
  taskFunctions: Record<string, WaveFunction>;
  functionLogicalIds: Record<WaveFunction, string>;
  /** The wave's approval page function (functions/approval-page), whose role decides the wave's approval. */
  approvalPageLogicalId: string;
  stateMachineLogicalId: string;
  stateMachineArn: string;
  /** The wave functions' environment, references resolved to the names and ARNs they would have. */
  functionEnvironment: Record<string, string>;
  template: Template;
  environment: DeploymentEnvironment;
  physicalResources: PhysicalResources;
}

/** The wave stack's state machine exactly as `cdk synth` writes it, with each Lambda task mapped to its function. */
export function synthesizeWave(deployment: unknown): SynthesizedWave {
  const config = waveDeploymentSchema.parse(deployment);
  const app = new App({ context: synthesisContext() });
  const stack = new WaveStack(app, config.stackName, { deployment: config, env: { account: config.account, region: config.region } });
  const template = Template.fromStack(stack);
  const environment: DeploymentEnvironment = { partition: 'aws', region: config.region, accountId: config.account };
  const physicalResources = conventionalPhysicalResources(template.toJSON() as CfnTemplate, environment);
  const resolve = (value: unknown) => String(resolveIntrinsic(value, environment, physicalResources));
  const functionLogicalIds = Object.fromEntries(
    Object.entries(stack.orchestrator.functions).map(([name, fn]) => [name, Stack.of(fn).getLogicalId(fn.node.defaultChild as CfnElement)]),
  ) as Record<WaveFunction, string>;
  const byArn = new Map(Object.entries(functionLogicalIds).map(([name, logicalId]) => [physicalResources[logicalId].attributes.Arn, name as WaveFunction]));
  const [[stateMachineLogicalId, machine]] = Object.entries(template.findResources('AWS::StepFunctions::StateMachine'));
  const definition = JSON.parse(resolve(machine.Properties.DefinitionString)) as AslDefinition;
  const taskFunctions: Record<string, WaveFunction> = {};
  for (const [stateName, state] of allStates(definition)) {
    if (state.Type !== 'Task' || state.Resource?.startsWith('arn:aws:states:::states:')) continue;
    const fn = byArn.get(String(state.Resource?.startsWith('arn:aws:states:::') ? state.Parameters?.FunctionName : state.Resource));
    if (!fn) throw new Error(`Task "${stateName}" calls an unknown function`);
    taskFunctions[stateName] = fn;
  }
  return {
    definition,
    taskFunctions,
    functionLogicalIds,
    approvalPageLogicalId: stack.getLogicalId(stack.orchestrator.approvalPage.pageFunction.node.defaultChild as CfnElement),
    stateMachineLogicalId,
    stateMachineArn: physicalResources[stateMachineLogicalId].attributes.Arn,
    functionEnvironment: functionEnvironment(template, resolve),
    template,
    environment,
    physicalResources,
  };
}
