import type { Decision } from './evaluate';

/**
 * What a denied call answers, for the emulator's protocol layer to render (`AwsServiceError(code, message,
 * statusCode)`).
 *
 * The message follows the IAM User Guide, "Troubleshooting access denied error messages": `User: <principal>
 * is not authorized to perform: <action> on resource: <resource> because no identity-based policy allows the
 * <action> action` for an implicit deny, `... with an explicit deny in an identity-based policy` for an
 * explicit one. An action without a resource type names no resource (as in the RDS answer `... is not
 * authorized to perform: rds:DescribeDBEngineVersions because no identity-based policy allows ...`).
 *
 * The error code depends on the service:
 * - JSON protocols (DMS, DynamoDB, Secrets Manager, SSM, Step Functions, CloudWatch) and EventBridge
 *   Scheduler: `AccessDeniedException`, HTTP 400 (each API Reference's "Common Errors");
 * - SNS: `AuthorizationError`, HTTP 403 (the SNS service model's AuthorizationErrorException, whose SDK name
 *   is `AuthorizationErrorException`);
 * - S3: `AccessDenied`, HTTP 403 (the S3 service model);
 * - RDS: `AccessDenied` (the code RDS answers IAM denials with, as its clients report them); HTTP 403 is
 *   assumed, the SDK names the error by its code alone.
 */
export interface AccessDeniedAnswer {
  code: string;
  statusCode: number;
  message: string;
}

const ERROR_BY_SERVICE: Record<string, { code: string; statusCode: number }> = {
  sns: { code: 'AuthorizationError', statusCode: 403 },
  s3: { code: 'AccessDenied', statusCode: 403 },
  rds: { code: 'AccessDenied', statusCode: 403 },
};
const JSON_PROTOCOL_ERROR = { code: 'AccessDeniedException', statusCode: 400 };

/** The principal a Lambda function or a state machine acts as: `arn:aws:sts::<account>:assumed-role/<role>/<session>`. */
export function assumedRoleArn(partition: string, accountId: string, roleName: string, sessionName: string): string {
  return `arn:${partition}:sts::${accountId}:assumed-role/${roleName}/${sessionName}`;
}

export function accessDeniedAnswer(principalArn: string, action: string, decision: Exclude<Decision, { outcome: 'Allow' }>): AccessDeniedAnswer {
  const service = action.split(':')[0].toLowerCase();
  const onResource = decision.deniedResource === '*' ? '' : ` on resource: ${decision.deniedResource}`;
  const because = decision.outcome === 'ExplicitDeny' ? 'with an explicit deny in an identity-based policy' : `because no identity-based policy allows the ${action} action`;
  return { ...(ERROR_BY_SERVICE[service] ?? JSON_PROTOCOL_ERROR), message: `User: ${principalArn} is not authorized to perform: ${action}${onResource} ${because}` };
}
