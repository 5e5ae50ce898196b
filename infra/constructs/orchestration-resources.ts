import { RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import { AttributeType, BillingMode, Table, TableEncryption } from 'aws-cdk-lib/aws-dynamodb';
import { PolicyStatement, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { Key } from 'aws-cdk-lib/aws-kms';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import { Secret } from 'aws-cdk-lib/aws-secretsmanager';
import { LogLevel, StateMachine, StateMachineType, type DefinitionBody } from 'aws-cdk-lib/aws-stepfunctions';
import type { Construct } from 'constructs';
import { TOKEN_TABLE_TTL_ATTRIBUTE } from '../../functions/shared/token-table';

/**
 * What a migration's orchestrator and a wave's both stand on, built the same way: a customer-managed key for
 * the topic and the logs, the token table, the key approval links are signed with, and a Standard state machine
 * with tracing and encrypted logs.
 */

/** A rotating customer-managed key that CloudWatch Logs may use for this account's log groups (`Key`). */
export function orchestrationKey(scope: Construct, description: string): Key {
  const stack = Stack.of(scope);
  const key = new Key(scope, 'Key', { description, enableKeyRotation: true });
  // CloudWatch Logs encrypts log groups with this key only when its key policy lets the service use it.
  key.addToResourcePolicy(
    new PolicyStatement({
      principals: [new ServicePrincipal(`logs.${stack.region}.amazonaws.com`)],
      actions: ['kms:Encrypt*', 'kms:Decrypt*', 'kms:ReEncrypt*', 'kms:GenerateDataKey*', 'kms:Describe*'],
      resources: ['*'],
      conditions: { ArnLike: { 'kms:EncryptionContext:aws:logs:arn': `arn:${stack.partition}:logs:${stack.region}:${stack.account}:*` } },
    }),
  );
  return key;
}

/** The table of parked task tokens, approvals and locks (`Tokens`). */
export function tokenTable(scope: Construct): Table {
  return new Table(scope, 'Tokens', {
    partitionKey: { name: 'pk', type: AttributeType.STRING },
    billingMode: BillingMode.PAY_PER_REQUEST,
    // Encrypted with the DynamoDB-managed KMS key: callers need no KMS grants, so the functions' roles stay
    // down to the item actions they use.
    encryption: TableEncryption.AWS_MANAGED,
    pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
    timeToLiveAttribute: TOKEN_TABLE_TTL_ATTRIBUTE,
    removalPolicy: RemovalPolicy.DESTROY,
  });
}

/** A Standard state machine (`StateMachine`) with X-Ray tracing and its log group (`WorkflowLogs`). */
export function loggedStateMachine(scope: Construct, props: { stateMachineName: string; definitionBody: DefinitionBody; comment: string; key: Key }): StateMachine {
  const logs = new LogGroup(scope, 'WorkflowLogs', {
    // Step Functions delivers logs as a vended log source: AWS expects its log groups under this prefix,
    // where the delivery's resource policy need not grow with each state machine.
    logGroupName: `/aws/vendedlogs/states/${props.stateMachineName}`,
    retention: RetentionDays.SIX_MONTHS,
    encryptionKey: props.key,
    removalPolicy: RemovalPolicy.DESTROY,
  });
  return new StateMachine(scope, 'StateMachine', {
    stateMachineName: props.stateMachineName,
    stateMachineType: StateMachineType.STANDARD,
    definitionBody: props.definitionBody,
    comment: props.comment,
    tracingEnabled: true,
    // Inputs name resources and outputs carry progress: both stay out of the logs.
    logs: { destination: logs, level: LogLevel.ALL, includeExecutionData: false },
  });
}

/** The HMAC key approval links and forms are signed with (`ApprovalSigningKey`), encrypted with the stack's key. */
export function approvalSigningKey(scope: Construct, description: string, key: Key): Secret {
  const secret = new Secret(scope, 'ApprovalSigningKey', { description, encryptionKey: key, generateSecretString: { passwordLength: 64, excludePunctuation: true } });
  Validations.of(secret).acknowledge({
    id: 'AwsSolutions::AwsSolutions-SMG4',
    reason: 'Rotating the link-signing key would invalidate pending approval links; a new request is one click away, so rotation is left to the operator.',
  });
  return secret;
}
