import { CfnOutput, Duration, Stack, type StackProps } from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import { ExecutionSchedule } from './constructs/execution-schedule';
import { WaveDashboard } from './constructs/wave-dashboard';
import { WaveOrchestrator } from './constructs/wave-orchestrator';
import type { WaveDeployment } from './wave-config';

/** The deployable wave stack, beside the migration stacks it starts, with its dashboard. */
export class WaveStack extends Stack {
  readonly orchestrator: WaveOrchestrator;
  readonly dashboard: WaveDashboard;
  /** Starts the deployment's scheduled wave, when it has one. */
  readonly schedule?: ExecutionSchedule;

  constructor(scope: Construct, id: string, props: StackProps & { deployment: WaveDeployment }) {
    super(scope, id, props);
    const { deployment } = props;
    this.orchestrator = new WaveOrchestrator(this, 'Wave', {
      migrationStackNames: deployment.migrationStackNames,
      notificationEmails: deployment.notificationEmails,
      approvalTimeout: Duration.hours(deployment.approvalTimeoutHours),
    });
    const { orchestrator } = this;
    this.dashboard = new WaveDashboard(this, 'Monitoring', {
      stateMachine: orchestrator.stateMachine,
      migrationStateMachines: orchestrator.migrationStateMachines,
      functions: { decisions: orchestrator.functions.wave, 'e-mails': orchestrator.functions.milestones, 'approval page': orchestrator.approvalPage.pageFunction },
      topic: orchestrator.topic,
      topicKey: orchestrator.key,
    });
    if (deployment.schedule) {
      const { cron, timeZone, wave } = deployment.schedule;
      this.schedule = new ExecutionSchedule(this, 'Schedule', { stateMachine: orchestrator.stateMachine, input: wave, runName: `wave ${wave.waveName}`, cron, timeZone });
    }
    new CfnOutput(this, 'WaveStateMachineArn', { value: this.orchestrator.stateMachine.stateMachineArn });
    new CfnOutput(this, 'WaveTokenTableName', { value: this.orchestrator.tokenTable.tableName });
  }
}
