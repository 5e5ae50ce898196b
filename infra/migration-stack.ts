import { Duration, Stack, type StackProps } from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import type { DeploymentConfig } from './config';
import { MigrationOrchestrator } from './constructs/migration-orchestrator';

export interface MigrationStackProps extends StackProps {
  readonly config: DeploymentConfig;
}

/** The deployable stack: one migration's orchestrator, wired from the deployment config. */
export class MigrationStack extends Stack {
  readonly orchestrator: MigrationOrchestrator;

  constructor(scope: Construct, id: string, props: MigrationStackProps) {
    super(scope, id, props);
    this.orchestrator = new MigrationOrchestrator(this, 'Orchestrator', {
      migration: props.config.migration,
      notificationEmails: props.config.notificationEmails,
      approvalPageUrl: props.config.approvalPageUrl,
      approvalReminderAfter: Duration.minutes(props.config.approvalReminderMinutes),
    });
  }
}
