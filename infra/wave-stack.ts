import { CfnOutput, Duration, Stack, type StackProps } from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import * as z from 'zod/mini';
import { WaveDashboard } from './constructs/wave-dashboard';
import { WaveOrchestrator } from './constructs/wave-orchestrator';

/** A wave deployment: the migration stacks its waves may start, and who gets its e-mails. */
export const waveDeploymentSchema = z.strictObject({
  stackName: z.string().check(z.regex(/^[A-Za-z][A-Za-z0-9-]{0,100}$/)),
  account: z.string().check(z.regex(/^\d{12}$/)),
  region: z.string().check(z.regex(/^[a-z]{2}(-[a-z]+)+-\d$/)),
  migrationStackNames: z.array(z.string().check(z.regex(/^[A-Za-z][A-Za-z0-9-]{0,100}$/))).check(z.minLength(1)),
  notificationEmails: z._default(z.array(z.email()), []),
  approvalTimeoutHours: z._default(z.int().check(z.minimum(1), z.maximum(168)), 24),
});
export type WaveDeployment = z.output<typeof waveDeploymentSchema>;

/** The deployable wave stack, beside the migration stacks it starts, with its dashboard. */
export class WaveStack extends Stack {
  readonly orchestrator: WaveOrchestrator;
  readonly dashboard: WaveDashboard;

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
    new CfnOutput(this, 'WaveStateMachineArn', { value: this.orchestrator.stateMachine.stateMachineArn });
    new CfnOutput(this, 'WaveTokenTableName', { value: this.orchestrator.tokenTable.tableName });
  }
}
