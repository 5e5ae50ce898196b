import { Annotations, Stack } from 'aws-cdk-lib';
import { CfnVPCEndpoint, Peer, Port, SecurityGroup } from 'aws-cdk-lib/aws-ec2';
import type { CfnFunction } from 'aws-cdk-lib/aws-lambda';
import { Policy } from 'aws-cdk-lib/aws-iam';
import { Construct } from 'constructs';
import type { PhaseFunction, PhaseNetwork } from './phase-function';

/**
 * The AWS APIs the functions in the database network call, and the VPC endpoints that reach them. A function
 * in a VPC reaches an AWS API only through a VPC endpoint or a NAT gateway, so the list is derived from what
 * each function's role is granted (an action it may not call it has no reason to reach), never kept by hand.
 */

/** How the database network reaches the AWS APIs: endpoints created by the stack, or already there (or a NAT). */
export const VPC_ENDPOINT_MODES = ['existing', 'create'] as const;
export type VpcEndpointMode = (typeof VPC_ENDPOINT_MODES)[number];

/** Template metadata on each VPC function: the endpoint services it calls, for the local network enforcement to read. */
export const NETWORK_SERVICES_METADATA = 'dms-orchestrator:networkServices';

/**
 * IAM service prefix -> VPC endpoint service name (`com.amazonaws.<region>.<name>`) and endpoint type. S3 and
 * DynamoDB are reached through gateway endpoints (route-table entries), the others through interface endpoints.
 */
const ENDPOINT_SERVICES: Record<string, { name: string; type: 'Interface' | 'Gateway' }> = {
  cloudwatch: { name: 'monitoring', type: 'Interface' },
  dms: { name: 'dms', type: 'Interface' },
  dynamodb: { name: 'dynamodb', type: 'Gateway' },
  kms: { name: 'kms', type: 'Interface' },
  rds: { name: 'rds', type: 'Interface' },
  s3: { name: 's3', type: 'Gateway' },
  scheduler: { name: 'scheduler', type: 'Interface' },
  secretsmanager: { name: 'secretsmanager', type: 'Interface' },
  sns: { name: 'sns', type: 'Interface' },
  ssm: { name: 'ssm', type: 'Interface' },
  states: { name: 'states', type: 'Interface' },
};

/**
 * Actions the function's own code never calls: Lambda's service manages the network interfaces with the role
 * (ec2), and the Lambda platform delivers the function's logs and runs its X-Ray daemon (logs, xray).
 */
const CALLED_BY_THE_PLATFORM: ReadonlySet<string> = new Set(['ec2', 'logs', 'xray']);

export class UnmappedServiceError extends Error {
  constructor(prefix: string, functionPath: string) {
    super(`${functionPath} may call ${prefix}:*, which has no VPC endpoint known to infra/constructs/network-endpoints.ts: add it to ENDPOINT_SERVICES`);
    this.name = 'UnmappedServiceError';
  }
}

/** The endpoint services (`dms`, `monitoring`, `s3`...) a function's granted actions call, sorted. */
export function endpointServicesCalledBy(fn: PhaseFunction): string[] {
  const policy = fn.role?.node.tryFindChild('DefaultPolicy');
  if (!(policy instanceof Policy)) return [];
  const statements = (policy.document.toJSON() as { Statement?: Array<{ Action: string | string[] }> }).Statement ?? [];
  const prefixes = new Set(statements.flatMap((statement) => [statement.Action].flat()).map((action) => action.split(':')[0]));
  const services = [...prefixes].filter((prefix) => !CALLED_BY_THE_PLATFORM.has(prefix)).map((prefix) => {
    const service = ENDPOINT_SERVICES[prefix];
    if (!service) throw new UnmappedServiceError(prefix, fn.node.path);
    return service.name;
  });
  return [...new Set(services)].sort();
}

export interface NetworkEndpointsProps {
  readonly network: PhaseNetwork;
  /** The functions that run in the network. */
  readonly functions: PhaseFunction[];
  readonly mode: VpcEndpointMode;
  /** The route tables of the functions' subnets: gateway endpoints (S3, DynamoDB) add their routes there. */
  readonly routeTableIds?: string[];
}

/**
 * Marks each VPC function with the endpoint services it calls and, with mode "create", creates exactly those
 * endpoints; with "existing" it says in the synth output which endpoints (or a NAT gateway) the network must
 * already provide.
 */
export class NetworkEndpoints extends Construct {
  /** Every endpoint service the functions call, sorted. */
  readonly services: string[];

  constructor(scope: Construct, id: string, props: NetworkEndpointsProps) {
    super(scope, id);
    const calledBy = props.functions.map((fn) => ({ fn, services: endpointServicesCalledBy(fn) }));
    for (const { fn, services } of calledBy) (fn.node.defaultChild as CfnFunction).addMetadata(NETWORK_SERVICES_METADATA, services);
    this.services = [...new Set(calledBy.flatMap(({ services }) => services))].sort();
    if (props.mode === 'existing') {
      Annotations.of(this).addInfo(
        `databaseNetwork.vpcEndpoints is "existing": the database network must reach ${this.services.join(', ')} through VPC endpoints or a NAT gateway (README, Deploy)`,
      );
      return;
    }
    this.createEndpoints(props);
  }

  private createEndpoints({ network, routeTableIds }: NetworkEndpointsProps): void {
    const { region } = Stack.of(this);
    // China regions name their endpoint services cn.com.amazonaws.<region>.<service>.
    const serviceName = (name: string) => `${region.startsWith('cn-') ? 'cn.' : ''}com.amazonaws.${region}.${name}`;
    const byName = Object.fromEntries(Object.values(ENDPOINT_SERVICES).map((service) => [service.name, service]));
    const gateways = this.services.filter((name) => byName[name].type === 'Gateway');
    if (gateways.length > 0 && !routeTableIds?.length) {
      throw new Error(`databaseNetwork.routeTableIds is required with vpcEndpoints "create": the gateway endpoints for ${gateways.join(', ')} add routes to the subnets' route tables`);
    }
    const endpointAccess = new SecurityGroup(this, 'EndpointAccess', {
      vpc: network.vpc,
      description: 'HTTPS from the dms-orchestrator functions to the interface VPC endpoints',
      // The endpoints only answer; they open no connections.
      allowAllOutbound: false,
    });
    for (const group of network.securityGroups) endpointAccess.addIngressRule(Peer.securityGroupId(group.securityGroupId), Port.tcp(443), 'dms-orchestrator functions');
    for (const name of this.services) {
      const gateway = byName[name].type === 'Gateway';
      new CfnVPCEndpoint(this, `Endpoint-${name}`, {
        vpcId: network.vpc.vpcId,
        serviceName: serviceName(name),
        vpcEndpointType: byName[name].type,
        ...(gateway
          ? { routeTableIds }
          : { subnetIds: network.subnets.map((subnet) => subnet.subnetId), securityGroupIds: [endpointAccess.securityGroupId], privateDnsEnabled: true }),
      });
    }
  }
}
