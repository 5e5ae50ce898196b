/**
 * The AWS managed policies a Lambda function's role may carry, as the AWS Managed Policy Reference Guide
 * prints their default versions (AWSLambdaBasicExecutionRole v1, edited 2015-04-09;
 * AWSLambdaVPCAccessExecutionRole v3, edited 2024-01-05). CDK attaches them to the roles it creates for a
 * function; a role that names any other managed policy is refused by `principalPolicies`, so that a policy
 * nobody encoded is never silently treated as empty.
 */
const LOG_WRITES = ['logs:CreateLogGroup', 'logs:CreateLogStream', 'logs:PutLogEvents'];

export const AWS_MANAGED_POLICIES: Record<string, { Statement: unknown[] }> = {
  'service-role/AWSLambdaBasicExecutionRole': {
    Statement: [{ Effect: 'Allow', Action: LOG_WRITES, Resource: '*' }],
  },
  'service-role/AWSLambdaVPCAccessExecutionRole': {
    Statement: [
      {
        Sid: 'AWSLambdaVPCAccessExecutionPermissions',
        Effect: 'Allow',
        Action: [
          ...LOG_WRITES,
          'ec2:CreateNetworkInterface',
          'ec2:DescribeNetworkInterfaces',
          'ec2:DescribeSubnets',
          'ec2:DeleteNetworkInterface',
          'ec2:AssignPrivateIpAddresses',
          'ec2:UnassignPrivateIpAddresses',
        ],
        Resource: '*',
      },
    ],
  },
};

/** `arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole` -> its document, in any partition. */
export function awsManagedPolicy(arn: string): { Statement: unknown[] } | undefined {
  const match = /^arn:[^:]+:iam::aws:policy\/(.+)$/.exec(arn);
  return match ? AWS_MANAGED_POLICIES[match[1]] : undefined;
}
