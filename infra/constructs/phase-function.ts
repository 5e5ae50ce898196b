import * as path from 'node:path';
import { Duration, RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import { Effect, PolicyStatement, Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import type { ISecurityGroup, ISubnet, IVpc } from 'aws-cdk-lib/aws-ec2';
import { Architecture, Runtime, Tracing } from 'aws-cdk-lib/aws-lambda';
import { LogLevel, NodejsFunction, OutputFormat } from 'aws-cdk-lib/aws-lambda-nodejs';
import { CfnLogGroup, LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { IKey } from 'aws-cdk-lib/aws-kms';
import type { Construct } from 'constructs';
import type { FunctionEnvironment } from '../../functions/shared/environment';
import { BUNDLE_ESBUILD_ARGS } from '../bundling';

const PROJECT_ROOT = path.join(__dirname, '..', '..');

export interface PhaseFunctionProps {
  /** The handler module under functions/, without `.ts` (`check-target/handler`). */
  readonly entry: string;
  readonly description: string;
  /** Encrypts the function's log group. */
  readonly logKey: IKey;
  readonly environment?: FunctionEnvironment;
  /** @default 30 seconds: every phase is a handful of API calls. */
  readonly timeout?: Duration;
  /** @default 256 MB */
  readonly memorySize?: number;
  /** Runs the function in these subnets, for functions that reach databases inside a VPC. @default no VPC */
  readonly network?: PhaseNetwork;
}

/** The subnets and security groups a function that reaches the databases runs in. */
export interface PhaseNetwork {
  readonly vpc: IVpc;
  readonly subnets: ISubnet[];
  readonly securityGroups: ISecurityGroup[];
}

/**
 * What AWSLambdaVPCAccessExecutionRole grants, which CDK attaches only to roles it creates itself: Lambda
 * refuses CreateFunction for a VPC function whose role cannot manage its network interfaces ("The provided
 * execution role does not have permissions to call CreateNetworkInterface on EC2"). These EC2 actions take no
 * resource-level permissions for Describe*, and the interfaces are created on demand, so the resource is "*".
 */
function networkInterfaceManagement(): PolicyStatement {
  return new PolicyStatement({
    effect: Effect.ALLOW,
    actions: [
      'ec2:CreateNetworkInterface',
      'ec2:DescribeNetworkInterfaces',
      'ec2:DescribeSubnets',
      'ec2:DeleteNetworkInterface',
      'ec2:AssignPrivateIpAddresses',
      'ec2:UnassignPrivateIpAddresses',
    ],
    resources: ['*'],
  });
}

/**
 * One phase of the migration as a Lambda function, with the defaults every phase shares: ARM64, the current
 * Node.js runtime, a minified esbuild bundle with source maps, X-Ray tracing and an encrypted log group with
 * a retention period.
 */
export class PhaseFunction extends NodejsFunction {
  constructor(scope: Construct, id: string, props: PhaseFunctionProps) {
    const logGroup = new LogGroup(scope, `${id}Logs`, {
      retention: RetentionDays.THREE_MONTHS,
      encryptionKey: props.logKey,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    // Our own role instead of AWSLambdaBasicExecutionRole: it may write to this function's log group only.
    const role = new Role(scope, `${id}Role`, {
      assumedBy: new ServicePrincipal('lambda.amazonaws.com'),
      description: `dms-orchestrator ${path.dirname(props.entry)}`,
    });
    logGroup.grantWrite(role);
    if (props.network) role.addToPolicy(networkInterfaceManagement());
    super(scope, id, {
      role,
      entry: path.join(PROJECT_ROOT, 'functions', `${props.entry}.ts`),
      handler: 'handler',
      projectRoot: PROJECT_ROOT,
      depsLockFilePath: path.join(PROJECT_ROOT, 'package-lock.json'),
      description: props.description,
      runtime: Runtime.NODEJS_24_X,
      architecture: Architecture.ARM_64,
      memorySize: props.memorySize ?? 256,
      timeout: props.timeout ?? Duration.seconds(30),
      ...(props.network ? { vpc: props.network.vpc, vpcSubnets: { subnets: props.network.subnets }, securityGroups: props.network.securityGroups } : {}),
      tracing: Tracing.ACTIVE,
      logGroup,
      environment: {
        NODE_OPTIONS: '--enable-source-maps',
        POWERTOOLS_SERVICE_NAME: 'dms-orchestrator',
        ...props.environment,
      },
      bundling: {
        minify: true,
        sourceMap: true,
        format: OutputFormat.CJS,
        // The Lambda runtime ships AWS SDK v3; bundling it would take each function from ~70 KB to 0.5-1 MB
        // and slow its cold start (see npm run bench:bundles).
        externalModules: ['@aws-sdk/*'],
        esbuildArgs: { ...BUNDLE_ESBUILD_ARGS },
        // Warnings and errors only. NodejsFunction documents WARNING as its default but passes no --log-level
        // unless told, and esbuild's CLI then prints every bundle's files, sizes and time into `cdk synth
        // --quiet` (npm run bench:bundles measures the sizes).
        logLevel: LogLevel.WARNING,
      },
    });
    Validations.of(role).acknowledge(
      {
        id: 'AwsSolutions::AwsSolutions-IAM5[Resource::*]',
        reason:
          'Only actions without resource-level permissions: X-Ray PutTraceSegments/PutTelemetryRecords, DMS Describe* list calls, CloudWatch GetMetricData, Step Functions SendTaskSuccess/SendTaskFailure, the network-interface management of a VPC function. Other mutating calls are scoped to ARNs.',
      },
      {
        id: `AwsSolutions::AwsSolutions-IAM5[Resource::<${Stack.of(this).getLogicalId(logGroup.node.defaultChild as CfnLogGroup)}.Arn>:*]`,
        reason: 'Log streams inside this function’s own log group.',
      },
    );
  }
}
