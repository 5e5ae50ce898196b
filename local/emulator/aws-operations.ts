import * as cloudWatch from '@aws-sdk/client-cloudwatch';
import * as dms from '@aws-sdk/client-database-migration-service';
import * as dynamoDb from '@aws-sdk/client-dynamodb';
import * as eventBridge from '@aws-sdk/client-eventbridge';
import * as rds from '@aws-sdk/client-rds';
import * as s3 from '@aws-sdk/client-s3';
import * as scheduler from '@aws-sdk/client-scheduler';
import * as secretsManager from '@aws-sdk/client-secrets-manager';
import * as stepFunctions from '@aws-sdk/client-sfn';
import * as sns from '@aws-sdk/client-sns';
import * as ssm from '@aws-sdk/client-ssm';

/** The SDK clients of the services the functions call, the ones the emulator stands in for. */
const CLIENT_MODULES: ReadonlyArray<Record<string, unknown>> = [cloudWatch, dms, dynamoDb, eventBridge, rds, s3, scheduler, secretsManager, stepFunctions, sns, ssm];

/**
 * Whether `name` is an operation of one of those services, by the SDK's own list: every operation has a
 * `<Operation>Command` class. A fault aimed at a name outside it (`--throttle Foo=3`) would never fire.
 */
export function isAwsOperation(name: string): boolean {
  return /^[A-Z][A-Za-z0-9]*$/.test(name) && CLIENT_MODULES.some((module) => typeof module[`${name}Command`] === 'function');
}
