import { resolveIntrinsic, type CfnTemplate, type DeploymentEnvironment, type PhysicalResources } from '../iam';

/**
 * What the deployed stack's network lets its functions reach. A function with a VpcConfig runs in the
 * database network, where an AWS API is reachable only through a VPC endpoint (or a NAT, which the
 * operator's "existing" declaration stands for); a function outside a VPC reaches every public endpoint.
 */
export interface DatabaseNetwork {
  /** Whether a call from `principal` (a function's logical id) to the service signed as `signingName` gets an answer. */
  reaches(principal: string, signingName: string): boolean;
  /** The VPC functions, by logical id. */
  readonly vpcFunctions: ReadonlySet<string>;
  /** The services the VPC endpoints serve (by signing name), or 'all' when the network is declared to provide them. */
  readonly reachableServices: ReadonlySet<string> | 'all';
}

/**
 * `databaseNetwork.vpcEndpoints` of the deployment config: "create" makes the stack create its endpoints, so
 * the template's AWS::EC2::VPCEndpoint resources are all there is; "existing" declares that the network
 * already routes to every AWS API the functions call.
 */
export type VpcEndpointsDeclaration = 'create' | 'existing';

export function databaseNetworkOf(
  template: CfnTemplate,
  environment: DeploymentEnvironment,
  resources: PhysicalResources,
  vpcEndpoints: VpcEndpointsDeclaration = 'existing',
): DatabaseNetwork {
  const vpcFunctions = new Set(
    Object.entries(template.Resources)
      .filter(([, resource]) => resource.Type === 'AWS::Lambda::Function' && resource.Properties?.VpcConfig !== undefined)
      .map(([logicalId]) => logicalId),
  );
  const reachableServices: Set<string> | 'all' =
    vpcEndpoints === 'existing'
      ? 'all'
      : new Set(
          Object.values(template.Resources)
            .filter((resource) => resource.Type === 'AWS::EC2::VPCEndpoint')
            // `com.amazonaws.<region>.<name>`: for every service the functions call (dms, rds, ssm, sns, states,
            // secretsmanager, dynamodb, s3, scheduler, and CloudWatch's `monitoring`) the name is the signing name.
            .map((resource) => String(resolveIntrinsic(resource.Properties?.ServiceName, environment, resources)).split('.').pop() ?? ''),
        );
  return {
    vpcFunctions,
    reachableServices,
    reaches: (principal, signingName) => !vpcFunctions.has(principal) || reachableServices === 'all' || reachableServices.has(signingName),
  };
}
