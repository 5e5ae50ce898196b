import type { ReplicationEngine } from '../../functions/shared/replication';
import { REHEARSAL_REGION } from './fixture';

/**
 * What an operator types in a second terminal to watch or steer a running rehearsal with the tools they point
 * at AWS: the AWS CLI (`--endpoint-url`, which every CLI version honours) and `dms-orchestrator`.
 *
 * The emulator checks no signature, yet the CLI and the SDK sign every request: dummy credentials, so that
 * none of the operator's real ones are picked up and sent. AWS_REGION is the region variable of the
 * JavaScript SDK and the AWS CLI v2, AWS_DEFAULT_REGION that of the CLI v1.
 */
export const REHEARSAL_CLIENT_ENVIRONMENT = {
  AWS_ACCESS_KEY_ID: 'rehearsal',
  AWS_SECRET_ACCESS_KEY: 'rehearsal',
  AWS_REGION: REHEARSAL_REGION,
  AWS_DEFAULT_REGION: REHEARSAL_REGION,
} as const;

export const CLIENT_ENVIRONMENT_IN_SHELL = Object.entries(REHEARSAL_CLIENT_ENVIRONMENT)
  .map(([name, value]) => `${name}=${value}`)
  .join(' ');

export interface FollowedResources {
  emulatorUrl: string;
  stateMachineArn: string;
  executionArn: string;
  /** The migration's replication: a task's ARN, or a DMS Serverless replication config's. */
  replicationArn: string;
  engine: ReplicationEngine;
  endpointParameterName: string;
  targetType: 'aurora-cluster' | 'rds-instance';
}

/** The commands, printed as the rehearsal starts: the read calls an operator makes on AWS, and `status`. */
export function followCommands({ emulatorUrl, stateMachineArn, executionArn, replicationArn, engine, endpointParameterName, targetType }: FollowedResources): string {
  const aws = `aws --endpoint-url ${emulatorUrl}`;
  // A task runs on an instance that tests its connections; a serverless replication has neither (it tests them as it starts).
  const replication =
    engine === 'serverless'
      ? [
        `  ${aws} dms describe-replications --filters Name=replication-config-arn,Values=${replicationArn}`,
        `  ${aws} dms describe-replication-table-statistics --replication-config-arn ${replicationArn}`,
        `  ${aws} dms describe-endpoints`,
      ]
    : [
        `  ${aws} dms describe-replication-tasks`,
        `  ${aws} dms describe-table-statistics --replication-task-arn ${replicationArn}`,
        `  ${aws} dms describe-endpoints`,
        `  ${aws} dms describe-connections`,
        `  ${aws} dms describe-replication-instances`,
      ];
  return [
    'From another terminal, the AWS CLI and dms-orchestrator read this rehearsal as they read AWS (nothing here reaches AWS):',
    `  export ${CLIENT_ENVIRONMENT_IN_SHELL}`,
    `  npx dms-orchestrator status --endpoint-url ${emulatorUrl} --state-machine-arn ${stateMachineArn}`,
    ...replication,
    `  ${aws} sns list-topics`,
    `  ${aws} ssm get-parameter --name ${endpointParameterName}`,
    `  ${aws} rds ${targetType === 'aurora-cluster' ? 'describe-db-clusters' : 'describe-db-instances'}`,
    `  ${aws} stepfunctions list-executions --state-machine-arn ${stateMachineArn}`,
    `  ${aws} stepfunctions describe-execution --execution-arn ${executionArn}`,
    `  ${aws} stepfunctions get-execution-history --execution-arn ${executionArn}`,
  ].join('\n');
}
