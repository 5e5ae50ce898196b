import { Stack } from 'aws-cdk-lib';
import { CfnEndpoint, CfnReplicationInstance, CfnReplicationSubnetGroup, CfnReplicationTask } from 'aws-cdk-lib/aws-dms';
import { PolicyStatement, Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { Construct } from 'constructs';
import type { MigrationConfig } from '../../functions/shared/migration-input';
import type { CreatedDmsResources, TargetTablePrepMode } from '../deployment-options';

export interface DmsResourcesProps {
  /** What to create, from the deployment config (`dms` with mode "create"). */
  readonly resources: CreatedDmsResources;
  /** Aurora MySQL cluster or RDS MySQL instance: decides the target endpoint's engine. */
  readonly targetType: MigrationConfig['target']['type'];
}

/**
 * The DMS side of a migration when the config describes it instead of naming existing resources: a private
 * replication instance in its own subnet group, MySQL source and Aurora/RDS MySQL target endpoints that read
 * their connection from Secrets Manager (never inline credentials), and a replication task with data
 * validation on. The ARNs are CloudFormation references, handed to the orchestrator like configured ARNs.
 */
export class DmsResources extends Construct {
  readonly replicationInstance: CfnReplicationInstance;
  readonly sourceEndpoint: CfnEndpoint;
  readonly targetEndpoint: CfnEndpoint;
  readonly replicationTask: CfnReplicationTask;
  /** The role DMS assumes to read the endpoints' secrets. */
  readonly secretsAccessRole: Role;
  /** The instance's name, under which DMS publishes task metrics. */
  readonly replicationInstanceIdentifier: string;
  /** `Ref` of each resource returns its ARN (CloudFormation return values of AWS::DMS::*). */
  readonly arns: {
    readonly replicationTaskArn: string;
    readonly sourceEndpointArn: string;
    readonly targetEndpointArn: string;
    readonly replicationInstanceArn: string;
  };

  constructor(scope: Construct, id: string, props: DmsResourcesProps) {
    super(scope, id);
    const { resources } = props;
    const name = resources.identifier;
    this.replicationInstanceIdentifier = name;

    const subnetGroup = new CfnReplicationSubnetGroup(this, 'SubnetGroup', {
      replicationSubnetGroupIdentifier: name,
      replicationSubnetGroupDescription: `dms-orchestrator ${name}`,
      subnetIds: resources.subnetIds,
    });
    this.replicationInstance = new CfnReplicationInstance(this, 'ReplicationInstance', {
      replicationInstanceIdentifier: name,
      replicationInstanceClass: resources.replicationInstance.instanceClass,
      allocatedStorage: resources.replicationInstance.allocatedStorageGb,
      multiAz: resources.replicationInstance.multiAz,
      // Reachable only inside the VPC (AwsSolutions-DMS1 / dms-replication-not-public).
      publiclyAccessible: false,
      replicationSubnetGroupIdentifier: subnetGroup.ref,
      vpcSecurityGroupIds: resources.securityGroupIds,
      autoMinorVersionUpgrade: true,
    });

    // DMS reads an endpoint's secret by assuming this role; the regional service principal is the one the
    // DMS user guide names for SecretsManagerAccessRoleArn.
    this.secretsAccessRole = new Role(this, 'SecretsAccess', {
      assumedBy: new ServicePrincipal(`dms.${Stack.of(this).region}.amazonaws.com`),
      description: `DMS reads the ${name} endpoint secrets`,
    });
    this.secretsAccessRole.addToPolicy(
      new PolicyStatement({
        actions: ['secretsmanager:GetSecretValue', 'secretsmanager:DescribeSecret'],
        resources: [resources.source.secretArn, resources.target.secretArn],
      }),
    );
    // A secret under a customer-managed key is readable only with kms:Decrypt on that key, through Secrets Manager.
    const secretKeys = [resources.source.secretKmsKeyArn, resources.target.secretKmsKeyArn].filter((key): key is string => key !== undefined);
    if (secretKeys.length > 0) {
      this.secretsAccessRole.addToPolicy(
        new PolicyStatement({
          actions: ['kms:Decrypt'],
          resources: [...new Set(secretKeys)],
          conditions: { StringEquals: { 'kms:ViaService': `secretsmanager.${Stack.of(this).region}.amazonaws.com` } },
        }),
      );
    }
    const mySqlSettings = (secretArn: string) => ({
      secretsManagerSecretId: secretArn,
      secretsManagerAccessRoleArn: this.secretsAccessRole.roleArn,
    });
    this.sourceEndpoint = new CfnEndpoint(this, 'Source', {
      endpointIdentifier: `${name}-source`,
      endpointType: 'source',
      engineName: 'mysql',
      sslMode: 'require',
      mySqlSettings: mySqlSettings(resources.source.secretArn),
    });
    this.targetEndpoint = new CfnEndpoint(this, 'Target', {
      endpointIdentifier: `${name}-target`,
      endpointType: 'target',
      engineName: props.targetType === 'aurora-cluster' ? 'aurora' : 'mysql',
      sslMode: 'require',
      mySqlSettings: mySqlSettings(resources.target.secretArn),
    });
    // The role must exist with its policy before DMS validates the endpoints' secrets.
    for (const endpoint of [this.sourceEndpoint, this.targetEndpoint]) endpoint.node.addDependency(this.secretsAccessRole);

    this.replicationTask = new CfnReplicationTask(this, 'Task', {
      replicationTaskIdentifier: `${name}-task`,
      migrationType: resources.migrationType,
      replicationInstanceArn: this.replicationInstance.ref,
      sourceEndpointArn: this.sourceEndpoint.ref,
      targetEndpointArn: this.targetEndpoint.ref,
      tableMappings: JSON.stringify(resources.tableMappings),
      replicationTaskSettings: JSON.stringify(replicationTaskSettings(resources.targetTablePrepMode)),
    });

    this.arns = {
      replicationTaskArn: this.replicationTask.ref,
      sourceEndpointArn: this.sourceEndpoint.ref,
      targetEndpointArn: this.targetEndpoint.ref,
      replicationInstanceArn: this.replicationInstance.ref,
    };
  }
}

/**
 * Task settings the workflow relies on, the rest left to DMS defaults: data validation on (the cutover gate
 * reads each table's validation state) and task logs in CloudWatch for the operator. The target table prep
 * mode is the config's: DO_NOTHING by default, so a first load never empties a table that already holds data
 * (rows that collide fail loudly as table errors instead); TRUNCATE_BEFORE_LOAD only when the operator wrote
 * it. DROP_AND_CREATE is not offered: it rebuilds the DBA's tables without their secondary indexes.
 */
export function replicationTaskSettings(targetTablePrepMode: TargetTablePrepMode) {
  return {
    FullLoadSettings: { TargetTablePrepMode: targetTablePrepMode },
    Logging: { EnableLogging: true },
    ValidationSettings: { EnableValidation: true, ThreadCount: 5 },
  };
}
