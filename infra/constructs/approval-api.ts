import { Duration, RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import type { ReplicationEngine } from '../../functions/shared/replication';
import { latencyLookupActions } from '../phases/replication-grants';
import { AccessLogFormat } from 'aws-cdk-lib/aws-apigateway';
import { HttpApi, HttpMethod, HttpStage, LogGroupLogDestination, type ThrottleSettings } from 'aws-cdk-lib/aws-apigatewayv2';
import { HttpLambdaIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import type { ITable } from 'aws-cdk-lib/aws-dynamodb';
import { Effect, PolicyStatement, Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import type { IKey } from 'aws-cdk-lib/aws-kms';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import { ScheduleGroup } from 'aws-cdk-lib/aws-scheduler';
import type { ISecret } from 'aws-cdk-lib/aws-secretsmanager';
import { SubscriptionFilter, Topic, type ITopic } from 'aws-cdk-lib/aws-sns';
import { EmailSubscription } from 'aws-cdk-lib/aws-sns-subscriptions';
import { Construct } from 'constructs';
import { APPROVER_ATTRIBUTE } from '../../functions/shared/approval-record';
import { ENVIRONMENT } from '../../functions/shared/environment';
import { grantPublish, ownItems, sendTaskResponse } from '../phases/phase';
import { PhaseFunction } from './phase-function';

export interface ApprovalPageProps {
  /** Holds the approval records (and their task tokens). */
  readonly tokenTable: ITable;
  /** The HMAC key approval links and forms are signed with. */
  readonly signingKey: ISecret;
  /** Encrypts the functions' and the API's log groups, and the approver-code topic. */
  readonly logKey: IKey;
  /**
   * The migration's approvers (`approval.approvers` in the deployment config's migration block): each gets an
   * e-mail subscription on a topic of their own codes. @default none: whoever holds the link decides
   */
  readonly approvers?: string[];
  /** Stage-wide request limits. @default 5 requests per second, bursts of 10: a page a few people open */
  readonly throttle?: ThrottleSettings;
  /** Link to this address instead of the API's own (a custom domain in front of it). @default the API's /review route */
  readonly approvalPageUrl?: string;
}

export interface ApprovalApiProps extends ApprovalPageProps {
  /** Where reminders are published. */
  readonly topic: ITopic;
  /** The migration's replication engine: the CDC latency shown on the page is read the engine's way. */
  readonly replicationEngine: ReplicationEngine;
  /** The state machine whose approval tokens the page completes, spelled from its fixed name (see MigrationOrchestrator). */
  readonly stateMachineArn: string;
  /** The function that asks for approval: it links to this API and schedules the reminders. */
  readonly requestApproval: PhaseFunction;
  /** Remind the approvers once when nobody has decided after this long. @default 4 hours */
  readonly reminderAfter?: Duration;
}

/**
 * The approval page behind an API Gateway HTTP API: a migration's (ApprovalApi, with its reminder) and a
 * wave's alike, since one page decides both kinds of request.
 *
 * An HTTP API rather than a REST API: it has stage throttling and access logs, costs less, and the page
 * needs nothing a REST API adds. The route is deliberately unauthenticated: the HMAC-signed, expiring link
 * is the authorization to see the page, a decision needs the form's anti-forgery token too, and each request
 * can be decided only once. The page's role can complete task tokens, read and update the token table, and
 * read the signing key; nothing else.
 */
export class ApprovalPage extends Construct {
  readonly api: HttpApi;
  readonly stage: HttpStage;
  readonly pageFunction: PhaseFunction;
  /** The address the approval e-mail links to. */
  readonly reviewUrl: string;
  /** Where the page publishes one-time codes, only with approvers: each approver's subscription accepts only their own. */
  readonly approverCodesTopic?: Topic;

  constructor(scope: Construct, id: string, props: ApprovalPageProps) {
    super(scope, id);
    const stack = Stack.of(this);

    this.pageFunction = new PhaseFunction(this, 'Page', {
      entry: 'approval-page/handler',
      description: 'Cutover approval page: review, then approve or reject once',
      logKey: props.logKey,
      environment: { [ENVIRONMENT.tokenTableName]: props.tokenTable.tableName, [ENVIRONMENT.approvalKeySecretArn]: props.signingKey.secretArn },
    });
    // The approval requests and the approvers' one-time codes, nothing else in the table.
    this.pageFunction.addToRolePolicy(
      new PolicyStatement({ effect: Effect.ALLOW, actions: ['dynamodb:GetItem', 'dynamodb:UpdateItem'], resources: [props.tokenTable.tableArn], conditions: ownItems('approval', 'approval-code') }),
    );
    this.pageFunction.addToRolePolicy(sendTaskResponse());
    props.signingKey.grantRead(this.pageFunction);
    if (props.approvers?.length) this.approverCodesTopic = this.approverCodes(props.approvers, props.logKey);
    this.api = new HttpApi(this, 'Api', {
      apiName: `${stack.stackName}-approval`,
      description: 'Cutover approval page',
      createDefaultStage: false,
    });
    const [route] = this.api.addRoutes({
      path: '/review',
      methods: [HttpMethod.ANY],
      integration: new HttpLambdaIntegration('Page', this.pageFunction),
    });
    Validations.of(route).acknowledge({
      id: 'AwsSolutions::AwsSolutions-APIG4',
      reason:
        'The approval page is deliberately unauthenticated: the HMAC-signed, expiring link in the e-mail is the authorization to view it, a decision needs the form’s anti-forgery token bound to the approval id, and each request is decided once (conditional write).',
    });

    const accessLogs = new LogGroup(this, 'AccessLogs', {
      retention: RetentionDays.SIX_MONTHS,
      encryptionKey: props.logKey,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    this.stage = new HttpStage(this, 'Stage', {
      httpApi: this.api,
      stageName: '$default',
      autoDeploy: true,
      throttle: props.throttle ?? { rateLimit: 5, burstLimit: 10 },
      accessLogSettings: {
        destination: new LogGroupLogDestination(accessLogs),
        // The path only, never the query string: it carries the link's signature.
        format: AccessLogFormat.custom(
          JSON.stringify({
            requestId: '$context.requestId',
            time: '$context.requestTime',
            ip: '$context.identity.sourceIp',
            userAgent: '$context.identity.userAgent',
            method: '$context.httpMethod',
            path: '$context.path',
            status: '$context.status',
            responseLength: '$context.responseLength',
            latencyMs: '$context.responseLatency',
            integrationError: '$context.integrationErrorMessage',
          }),
        ),
      },
    });
    this.reviewUrl = props.approvalPageUrl ?? `${this.stage.url}review`;
  }

  /**
   * The approvers' one-time codes: a topic of their own (the notification list never sees a code), encrypted
   * with the stack's key, with one e-mail subscription per approver whose filter policy accepts only messages
   * whose `approver` attribute is that address (SNS matches attribute values exactly, and a message without
   * the attribute reaches no one). The page publishes there.
   */
  private approverCodes(approvers: string[], key: IKey): Topic {
    const topic = new Topic(this, 'ApproverCodes', { displayName: 'DMS migration approval codes', masterKey: key, enforceSSL: true });
    for (const approver of approvers) {
      topic.addSubscription(new EmailSubscription(approver, { filterPolicy: { [APPROVER_ATTRIBUTE]: SubscriptionFilter.stringFilter({ allowlist: [approver] }) } }));
    }
    this.pageFunction.addEnvironment(ENVIRONMENT.approverCodesTopicArn, topic.topicArn);
    grantPublish(this.pageFunction, topic);
    return topic;
  }
}

/** A migration's approval page (ApprovalPage) and its reminder, wired to the function that asks for approval. */
export class ApprovalApi extends ApprovalPage {
  readonly reminderFunction: PhaseFunction;
  readonly reminderSchedules: ScheduleGroup;

  constructor(scope: Construct, id: string, props: ApprovalApiProps) {
    super(scope, id, props);
    const stack = Stack.of(this);
    const tableItems = (actions: string[]) => new PolicyStatement({ effect: Effect.ALLOW, actions, resources: [props.tokenTable.tableArn] });

    // The reminder: a one-time EventBridge Scheduler schedule per request (see request-approval), in a group
    // of this stack's own, so the requester may create schedules there and nowhere else.
    this.reminderFunction = new PhaseFunction(this, 'Reminder', {
      entry: 'approval-reminder/handler',
      description: 'Reminds the approvers once when a cutover approval is still pending',
      logKey: props.logKey,
      environment: {
        [ENVIRONMENT.tokenTableName]: props.tokenTable.tableName,
        [ENVIRONMENT.topicArn]: props.topic.topicArn,
        [ENVIRONMENT.approvalKeySecretArn]: props.signingKey.secretArn,
        [ENVIRONMENT.approvalBaseUrl]: this.reviewUrl,
      },
    });
    this.reminderFunction.addToRolePolicy(tableItems(['dynamodb:GetItem', 'dynamodb:UpdateItem']));
    grantPublish(this.reminderFunction, props.topic);
    props.signingKey.grantRead(this.reminderFunction);

    this.reminderSchedules = new ScheduleGroup(this, 'Reminders', { scheduleGroupName: `${stack.stackName}-approval-reminders`.slice(0, 64) });
    const schedulerRole = new Role(this, 'SchedulerRole', {
      assumedBy: new ServicePrincipal('scheduler.amazonaws.com', { conditions: { StringEquals: { 'aws:SourceAccount': stack.account } } }),
      description: 'EventBridge Scheduler invokes the approval reminder',
    });
    // The exact function ARN only: Scheduler invokes the unqualified function.
    schedulerRole.addToPolicy(new PolicyStatement({ effect: Effect.ALLOW, actions: ['lambda:InvokeFunction'], resources: [this.reminderFunction.functionArn] }));

    const requester = props.requestApproval;
    // request-approval learns who can be reached by a code.
    if (props.approvers?.length) requester.addEnvironment(ENVIRONMENT.subscribedApprovers, props.approvers.join(','));
    requester.addEnvironment(ENVIRONMENT.approvalBaseUrl, this.reviewUrl);
    requester.addEnvironment(ENVIRONMENT.approvalReminderAfterSeconds, String((props.reminderAfter ?? Duration.hours(4)).toSeconds()));
    requester.addEnvironment(ENVIRONMENT.approvalReminderScheduleGroup, this.reminderSchedules.scheduleGroupName);
    requester.addEnvironment(ENVIRONMENT.approvalReminderFunctionArn, this.reminderFunction.functionArn);
    requester.addEnvironment(ENVIRONMENT.approvalReminderRoleArn, schedulerRole.roleArn);
    // Spelled in the state machine's partition, region and account, so the ARN is a plain string.
    const [, partition, , region, account] = props.stateMachineArn.split(':');
    const reminderSchedules = `arn:${partition}:scheduler:${region}:${account}:schedule/${this.reminderSchedules.scheduleGroupName}/approval-reminder-*`;
    requester.addToRolePolicy(new PolicyStatement({ effect: Effect.ALLOW, actions: ['scheduler:CreateSchedule'], resources: [reminderSchedules] }));
    requester.addToRolePolicy(
      new PolicyStatement({
        effect: Effect.ALLOW,
        actions: ['iam:PassRole'],
        resources: [schedulerRole.roleArn],
        conditions: { StringEquals: { 'iam:PassedToService': 'scheduler.amazonaws.com' } },
      }),
    );
    // The page shows CDC latency read at request time. GetMetricData and DMS Describe* list calls have no
    // resource-level permissions; which Describe* names the metric's dimension depends on the engine.
    requester.addToRolePolicy(
      new PolicyStatement({ effect: Effect.ALLOW, actions: [...latencyLookupActions(props.replicationEngine), 'cloudwatch:GetMetricData'], resources: ['*'] }),
    );
    Validations.of(requester.role!).acknowledge({
      id: `AwsSolutions::AwsSolutions-IAM5[Resource::${reminderSchedules}]`,
      reason: 'Reminder schedules are named after the approval id, known only when approval is requested; the group is this stack’s own.',
    });
  }
}
