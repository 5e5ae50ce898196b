import { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { DatabaseMigrationServiceClient } from '@aws-sdk/client-database-migration-service';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { RDSClient } from '@aws-sdk/client-rds';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { SSMClient } from '@aws-sdk/client-ssm';
import * as z from 'zod/mini';
import { ENVIRONMENT, requireString } from '../shared/environment';
import { phaseHandler } from '../shared/handler';
import { configEventSchema } from '../shared/migration-input';
import type { SwitchRecord } from './cutover';
import type { IndependentValidation } from './gate';
import { prepareReversePath } from './reverse-replication';
import { catchUpStep, completeStep, freezeStep, gateStep, startReverseStep, switchStep, unfreezeStep, type FreezeStep } from './steps';

const clients = {
  dms: new DatabaseMigrationServiceClient({}),
  cloudWatch: new CloudWatchClient({}),
  rds: new RDSClient({}),
  ssm: new SSMClient({}),
  secretsManager: new SecretsManagerClient({}),
  dynamoDb: new DynamoDBClient({}),
};
const settings = { tokenTableName: requireString(ENVIRONMENT.tokenTableName) };

const STEPS = ['gate', 'prepare-way-back', 'check-way-back', 'freeze', 'catch-up', 'unfreeze', 'switch', 'start-reverse', 'check-soak', 'complete'] as const;
const record = z.record(z.string(), z.unknown());

const eventSchema = z.extend(configEventSchema, {
  step: z.enum(STEPS),
  /** The execution's name: the marker starts with it, so a marker row says which run wrote it. */
  executionName: z._default(z.string(), 'cutover'),
  target: z.optional(z.object({ writerEndpoint: z.string().check(z.minLength(1)), port: z.int().check(z.minimum(1), z.maximum(65535)) })),
  freeze: z.optional(record),
  switched: z.optional(record),
  /** null when no independent validation ran (the workflow passes what it has). */
  independentValidation: z.optional(z.nullable(z.looseObject({ outcome: z.string() }))),
});

export const handler = phaseHandler('cutover', eventSchema, async (event): Promise<unknown> => {
  const { config } = event;
  // The freeze and switch records are this function's own earlier output, passed back by the workflow.
  const freeze = (event.freeze ?? { side: 'source', frozen: false, skipped: 'not run' }) as unknown as FreezeStep;
  switch (event.step) {
    case 'gate':
      return gateStep(clients, config, (event.independentValidation ?? undefined) as IndependentValidation | undefined);
    case 'prepare-way-back':
    case 'check-way-back':
      return prepareReversePath(clients.dms, config, event.step === 'prepare-way-back');
    case 'freeze':
      return freezeStep(clients, config);
    case 'catch-up':
      return catchUpStep(clients, config, freeze, event.executionName);
    case 'unfreeze':
      return unfreezeStep(clients, config, freeze);
    case 'switch':
      return switchStep(clients, settings, config, event.target, freeze);
    case 'start-reverse':
      return startReverseStep(clients, config, event.switched as unknown as SwitchRecord, freeze);
    case 'check-soak':
    case 'complete':
      return completeStep(clients, settings, config, event.step === 'check-soak');
  }
});
