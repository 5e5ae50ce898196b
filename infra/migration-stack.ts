import { CfnOutput, Duration, Stack, type StackProps } from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import type { MigrationConfig } from '../functions/shared/migration-input';
import { createsDmsResources, type DeploymentConfig } from './config';
import { DmsResources } from './constructs/dms-resources';
import { MigrationDashboard, replicationMetricDimensions } from './constructs/migration-dashboard';
import { MigrationOrchestrator } from './constructs/migration-orchestrator';
import { ExecutionSchedule } from './constructs/execution-schedule';

export interface MigrationStackProps extends StackProps {
  readonly config: DeploymentConfig;
}

/** The deployable stack: one migration's orchestrator, wired from the deployment config. */
export class MigrationStack extends Stack {
  readonly orchestrator: MigrationOrchestrator;
  /** The DMS resources, when the config asks the stack to create them. */
  readonly dms?: DmsResources;
  readonly dashboard: MigrationDashboard;
  readonly schedule?: ExecutionSchedule;

  constructor(scope: Construct, id: string, props: MigrationStackProps) {
    super(scope, id, props);
    const { config } = props;
    const { migration: resolved, metricDimensions, dms } = this.resolveDms(config);
    this.dms = dms;

    this.orchestrator = new MigrationOrchestrator(this, 'Orchestrator', {
      migration: resolved,
      notificationEmails: config.notificationEmails,
      approvalPageUrl: config.approvalPageUrl,
      approvalReminderAfter: Duration.minutes(config.approvalReminderMinutes),
      databaseNetwork: config.databaseNetwork,
    });
    this.dashboard = new MigrationDashboard(this, 'Monitoring', {
      migrationName: resolved.migrationName,
      stateMachine: this.orchestrator.stateMachine,
      metricDimensions,
      topic: this.orchestrator.topic,
      topicKey: this.orchestrator.key,
      cdcLatencyAlarmThreshold: Duration.seconds(config.monitoring.cdcLatencyAlarmSeconds),
    });
    if (config.schedule) {
      this.schedule = new ExecutionSchedule(this, 'Schedule', {
        stateMachine: this.orchestrator.stateMachine,
        input: resolved,
        runName: resolved.migrationName,
        cron: config.schedule.cron,
        timeZone: config.schedule.timeZone,
      });
    }
    // What `dms-orchestrator status` and `approve`/`reject` ask for (--state-machine-arn, --token-table).
    new CfnOutput(this, 'StateMachineArn', { value: this.orchestrator.stateMachine.stateMachineArn });
    new CfnOutput(this, 'TokenTableName', { value: this.orchestrator.tokenTable.tableName });
  }

  /** The migration with its DMS ARNs: as configured, or references to the resources created here. */
  private resolveDms(config: DeploymentConfig): { migration: MigrationConfig; metricDimensions: Record<string, string>; dms?: DmsResources } {
    if (createsDmsResources(config)) {
      const dms = new DmsResources(this, 'Dms', { resources: config.dms, targetType: config.migration.target.type });
      const created = dms.replication;
      if (created.engine === 'serverless') {
        const migration: MigrationConfig = { ...config.migration, ...dms.arns, ...created.arns };
        return { migration, metricDimensions: replicationMetricDimensions({ engine: 'serverless', arn: created.arns.replicationConfigArn }), dms };
      }
      const { replicationTaskArn, replicationInstanceArn } = created.arns;
      const migration: MigrationConfig = { ...config.migration, replicationTaskArn, ...dms.arns, replicationInstanceArn };
      return { migration, metricDimensions: replicationMetricDimensions({ engine: 'task', arn: created.arns.replicationTaskArn, replicationInstanceIdentifier: created.replicationInstanceIdentifier }), dms };
    }
    const { migration } = config;
    if (migration.replicationConfigArn !== undefined) {
      return { migration, metricDimensions: replicationMetricDimensions({ engine: 'serverless', arn: migration.replicationConfigArn }) };
    }
    const { replicationInstanceIdentifier } = config.monitoring;
    if (!replicationInstanceIdentifier) {
      throw new Error('monitoring.replicationInstanceIdentifier is required with existing DMS resources: DMS publishes task metrics under the instance name');
    }
    return { migration, metricDimensions: replicationMetricDimensions({ engine: 'task', arn: migration.replicationTaskArn, replicationInstanceIdentifier }) };
  }
}
