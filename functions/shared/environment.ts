import { ConfigurationError } from './errors';

/**
 * The environment variables the stack gives the functions, named once: infra/ sets them from these
 * constants and each handler reads them with the readers below, so a renamed variable cannot leave one side
 * behind.
 */
export const ENVIRONMENT = {
  /** The DynamoDB table of task tokens, approvals, the run lock and the cutover record. */
  tokenTableName: 'TOKEN_TABLE_NAME',
  /** The SNS topic notifications go to. */
  topicArn: 'TOPIC_ARN',
  /** Progress e-mails each time the full load crosses a multiple of this percentage. */
  progressMilestonePercent: 'PROGRESS_MILESTONE_PERCENT',
  /** The EventBridge rule that wakes the full-load watcher every minute while a full-load wait is parked. */
  fullLoadCheckRuleName: 'FULL_LOAD_CHECK_RULE_NAME',
  /** The migration's replication task: the one whose DMS events the full-load watcher follows, whose log a failure notification names. */
  replicationTaskArn: 'REPLICATION_TASK_ARN',
  /** The migration's DMS Serverless replication config, set instead of REPLICATION_TASK_ARN when it runs serverless. */
  replicationConfigArn: 'REPLICATION_CONFIG_ARN',
  /** The secret holding the key approval links are signed with. */
  approvalKeySecretArn: 'APPROVAL_KEY_SECRET_ARN',
  /** The approval page's review address, the base of every approval link. */
  approvalBaseUrl: 'APPROVAL_BASE_URL',
  /** How long an approval request stays open, in seconds. */
  approvalTimeoutSeconds: 'APPROVAL_TIMEOUT_SECONDS',
  /** When the one reminder goes out, in seconds after the request. */
  approvalReminderAfterSeconds: 'APPROVAL_REMINDER_AFTER_SECONDS',
  approvalReminderScheduleGroup: 'APPROVAL_REMINDER_SCHEDULE_GROUP',
  approvalReminderFunctionArn: 'APPROVAL_REMINDER_FUNCTION_ARN',
  /** The role EventBridge Scheduler assumes to invoke the reminder. */
  approvalReminderRoleArn: 'APPROVAL_REMINDER_ROLE_ARN',
  /** The bucket of comparison plans, chunk results and reports. */
  plansBucket: 'PLANS_BUCKET',
  /** The topic one-time approval codes go to; set only when the deployment has approvers. */
  approverCodesTopicArn: 'APPROVER_CODES_TOPIC_ARN',
  /** The approvers subscribed to that topic, comma-separated (e-mail addresses hold no commas). */
  subscribedApprovers: 'SUBSCRIBED_APPROVERS',
} as const;

export type EnvironmentVariable = (typeof ENVIRONMENT)[keyof typeof ENVIRONMENT];

/** A function's environment as infra/ sets it: only variables named above. */
export type FunctionEnvironment = Partial<Record<EnvironmentVariable, string>>;

/** Reads a required variable once, at handler module load; the cores never read process.env. */
export function requireString(name: EnvironmentVariable): string {
  const value = process.env[name];
  if (!value) throw new ConfigurationError(`Environment variable ${name} is not set`);
  return value;
}

/** Reads a variable the stack sets only for some deployments (approvers); undefined when unset. */
export function optionalString(name: EnvironmentVariable): string | undefined {
  return process.env[name] || undefined;
}

/** Reads a required numeric variable; a value that is not a finite number is a deployment defect, not a 0 or NaN. */
export function requireNumber(name: EnvironmentVariable): number {
  const text = requireString(name);
  const value = Number(text);
  if (text.trim() === '' || !Number.isFinite(value)) {
    throw new ConfigurationError(`Environment variable ${name} must be a number, got "${text}"`);
  }
  return value;
}
