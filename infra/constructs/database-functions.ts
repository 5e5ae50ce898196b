import { Duration, Fn, Stack, Token, Validations } from 'aws-cdk-lib';
import type { ReplicationEngine } from '../../functions/shared/replication';
import { SecurityGroup, Subnet, Vpc } from 'aws-cdk-lib/aws-ec2';
import type { IKey } from 'aws-cdk-lib/aws-kms';
import { BlockPublicAccess, Bucket, BucketEncryption } from 'aws-cdk-lib/aws-s3';
import type { StateMachine } from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import type { MigrationConfig } from '../../functions/shared/migration-input';
import { createPhaseFunctions, DATABASE_CHECK_PHASES, type DatabaseCheckPhase } from '../phases';
import type { VpcEndpointMode } from './network-endpoints';
import type { PhaseFunction, PhaseNetwork } from './phase-function';

/**
 * Where the functions that talk to the databases run. They open MySQL sessions to the source and the target,
 * so in a real deployment they need a network path to both: the subnets (with routes to the databases and to
 * the AWS APIs they call, through a NAT gateway or VPC endpoints: see NetworkEndpoints) and a security group the
 * databases' security groups admit on the MySQL port. Given as ids, resolved offline: no lookups at synth time.
 */
export interface DatabaseNetwork {
  readonly vpcId: string;
  readonly subnetIds: string[];
  readonly securityGroupIds: string[];
  /** @default "existing": the network already reaches the AWS APIs (endpoints or NAT) */
  readonly vpcEndpoints?: VpcEndpointMode;
  /** Required when "create" needs gateway endpoints (S3, DynamoDB). */
  readonly routeTableIds?: string[];
}

export interface DatabaseFunctionsProps {
  readonly database: NonNullable<MigrationConfig['database']>;
  readonly logKey: IKey;
  /** The migration's replication engine: the readiness check describes the replication its way. */
  readonly replicationEngine: ReplicationEngine;
  /** @default none: the functions run outside a VPC and reach only publicly routable databases */
  readonly network?: DatabaseNetwork;
  /** Days a comparison's plan, results and report stay in the bucket. @default 30 */
  readonly planRetentionDays?: number;
}

/**
 * The functions that talk to the databases (the readiness check and the independent data comparison, see
 * infra/phases/database-checks.ts), the bucket that holds the comparison plans, and the network they run in.
 */
export class DatabaseFunctions extends Construct {
  /** Comparison plans, chunk results and reports; they name key values of differing rows, so they expire. */
  readonly plansBucket: Bucket;
  readonly functions: Record<DatabaseCheckPhase, PhaseFunction>;
  /** The subnets and security groups these functions run in; other functions that reach the databases reuse them. */
  readonly network?: PhaseNetwork;

  constructor(scope: Construct, id: string, props: DatabaseFunctionsProps) {
    super(scope, id);
    this.plansBucket = new Bucket(this, 'ComparisonPlans', {
      encryption: BucketEncryption.S3_MANAGED,
      enforceSSL: true,
      blockPublicAccess: BlockPublicAccess.BLOCK_ALL,
      lifecycleRules: [{ expiration: Duration.days(props.planRetentionDays ?? 30), abortIncompleteMultipartUploadAfter: Duration.days(1) }],
    });
    Validations.of(this.plansBucket).acknowledge({
      id: 'AwsSolutions::AwsSolutions-S1',
      reason: 'Only this stack’s functions and state machine read or write the bucket, and their calls are in CloudTrail; the objects are short-lived working files.',
    });

    const network = props.network && this.resolveNetwork(props.network);
    this.network = network;
    this.functions = createPhaseFunctions(
      this,
      DATABASE_CHECK_PHASES,
      { database: props.database, replicationEngine: props.replicationEngine, plansBucket: this.plansBucket },
      { logKey: props.logKey, network },
    );
  }

  /**
   * The Distributed Map's own permissions, granted by CDK to the state machine role: reading the chunk list
   * and writing results in the plans bucket, and starting, describing and stopping its child executions.
   */
  acknowledgeStateMachineAccess(stateMachine: StateMachine): void {
    const bucketId = Stack.of(this).getLogicalId(this.plansBucket.node.defaultChild as never);
    const machineId = Stack.of(this).getLogicalId(stateMachine.node.defaultChild as never);
    const { region, account, partition } = Stack.of(this);
    // cdk-nag names a partition CDK could not resolve (no region known) by its pseudo parameter.
    const partitionId = Token.isUnresolved(partition) ? '<AWS::Partition>' : partition;
    const executions = `arn:${partitionId}:states:${region}:${account}:execution:{"Fn::Select":[6,{"Fn::Split":[":",{"Ref":"${machineId}"}]}]}`;
    Validations.of(stateMachine).acknowledge(
      { id: `AwsSolutions::AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:s3:::<${bucketId}>/*]`, reason: 'The Distributed Map reads chunk lists from and writes results to the stack’s own plans bucket; object names are per run.' },
      { id: `AwsSolutions::AwsSolutions-IAM5[Resource::${executions}:*]`, reason: 'The Distributed Map describes and stops its own child executions, whose names are generated at run time.' },
      { id: `AwsSolutions::AwsSolutions-IAM5[Resource::${executions}/*:*]`, reason: 'The Distributed Map describes and stops its own child executions, whose names are generated at run time.' },
    );
  }

  private resolveNetwork(network: DatabaseNetwork) {
    // Explicit subnets make the VPC's availability zones irrelevant; Fn.getAzs() avoids a context lookup.
    const subnets = network.subnetIds.map((subnetId, index) => Subnet.fromSubnetId(this, `DatabaseSubnet${index}`, subnetId));
    for (const subnet of subnets) {
      Validations.of(subnet).acknowledge({ id: 'Annotation::@aws-cdk/aws-ec2:noSubnetRouteTableId', reason: 'Lambda needs only the subnet id; no route is added to its table.' });
    }
    const vpc = Vpc.fromVpcAttributes(this, 'DatabaseVpc', { vpcId: network.vpcId, availabilityZones: Fn.getAzs() });
    Validations.of(vpc).acknowledge({ id: 'Annotation::@aws-cdk/aws-ec2:vpcAttributeIsListTokenavailabilityZones', reason: 'The functions are given their subnets explicitly; nothing selects subnets by zone.' });
    return {
      vpc,
      subnets,
      securityGroups: network.securityGroupIds.map((groupId, index) => SecurityGroup.fromSecurityGroupId(this, `DatabaseSecurityGroup${index}`, groupId, { mutable: false })),
    };
  }
}
