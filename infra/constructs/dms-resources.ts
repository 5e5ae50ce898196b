import { Stack } from 'aws-cdk-lib';
import { CfnEndpoint, CfnReplicationConfig, CfnReplicationInstance, CfnReplicationSubnetGroup, CfnReplicationTask } from 'aws-cdk-lib/aws-dms';
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

/** The created replication, as the execution input names it: a task on its instance, or a serverless config. */
export type CreatedReplication =
  | { engine: 'task'; arns: { replicationTaskArn: string; replicationInstanceArn: string }; replicationInstanceIdentifier: string; replicationTask: CfnReplicationTask; replicationInstance: CfnReplicationInstance }
  | { engine: 'serverless'; arns: { replicationConfigArn: string }; replicationConfig: CfnReplicationConfig };

/**
 * The DMS side of a migration when the config describes it instead of naming existing resources: MySQL source
 * and Aurora/RDS MySQL target endpoints that read their connection from Secrets Manager (never inline
 * credentials), and either a private replication instance in its own subnet group with a replication task,
 * or (with `serverless`) a DMS Serverless replication config in that subnet group; data validation on in
 * both. The ARNs are CloudFormation references, handed to the orchestrator like configured ARNs.
 */
export class DmsResources extends Construct {
  readonly sourceEndpoint: CfnEndpoint;
  readonly targetEndpoint: CfnEndpoint;
  readonly replication: CreatedReplication;
  /** The role DMS assumes to read the endpoints' secrets. */
  readonly secretsAccessRole: Role;
  /** `Ref` of each endpoint returns its ARN (CloudFormation return values of AWS::DMS::*). */
  readonly arns: {
    readonly sourceEndpointArn: string;
    readonly targetEndpointArn: string;
  };

  constructor(scope: Construct, id: string, props: DmsResourcesProps) {
    super(scope, id);
    const { resources } = props;
    const name = resources.identifier;

    const subnetGroup = new CfnReplicationSubnetGroup(this, 'SubnetGroup', {
      replicationSubnetGroupIdentifier: name,
      replicationSubnetGroupDescription: `dms-orchestrator ${name}`,
      subnetIds: resources.subnetIds,
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

    this.arns = { sourceEndpointArn: this.sourceEndpoint.ref, targetEndpointArn: this.targetEndpoint.ref };
    this.replication = resources.serverless
      ? this.serverlessReplication(resources, resources.serverless, subnetGroup)
      : this.taskReplication(resources, subnetGroup);
  }

  private taskReplication(resources: CreatedDmsResources, subnetGroup: CfnReplicationSubnetGroup): CreatedReplication {
    const name = resources.identifier;
    const replicationInstance = new CfnReplicationInstance(this, 'ReplicationInstance', {
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
    const replicationTask = new CfnReplicationTask(this, 'Task', {
      replicationTaskIdentifier: `${name}-task`,
      migrationType: resources.migrationType,
      replicationInstanceArn: replicationInstance.ref,
      sourceEndpointArn: this.sourceEndpoint.ref,
      targetEndpointArn: this.targetEndpoint.ref,
      tableMappings: JSON.stringify(resources.tableMappings),
      replicationTaskSettings: JSON.stringify(replicationTaskSettings(resources.targetTablePrepMode)),
    });
    return {
      engine: 'task',
      arns: { replicationTaskArn: replicationTask.ref, replicationInstanceArn: replicationInstance.ref },
      replicationInstanceIdentifier: name,
      replicationTask,
      replicationInstance,
    };
  }

  /**
   * A serverless replication: no instance to keep private (DMS provisions capacity in the subnet group and
   * security groups given), the same endpoints, table mappings and settings a task would have.
   */
  private serverlessReplication(
    resources: CreatedDmsResources,
    serverless: NonNullable<CreatedDmsResources['serverless']>,
    subnetGroup: CfnReplicationSubnetGroup,
  ): CreatedReplication {
    const replicationConfig = new CfnReplicationConfig(this, 'ReplicationConfig', {
      replicationConfigIdentifier: `${resources.identifier}-replication`,
      replicationType: resources.migrationType,
      sourceEndpointArn: this.sourceEndpoint.ref,
      targetEndpointArn: this.targetEndpoint.ref,
      computeConfig: {
        maxCapacityUnits: serverless.maxCapacityUnits,
        ...(serverless.minCapacityUnits !== undefined ? { minCapacityUnits: serverless.minCapacityUnits } : {}),
        multiAz: serverless.multiAz,
        replicationSubnetGroupId: subnetGroup.ref,
        vpcSecurityGroupIds: resources.securityGroupIds,
      },
      tableMappings: resources.tableMappings,
      replicationSettings: replicationTaskSettings(resources.targetTablePrepMode),
    });
    return { engine: 'serverless', arns: { replicationConfigArn: replicationConfig.attrReplicationConfigArn }, replicationConfig };
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
