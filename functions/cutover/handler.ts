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
import { CUTOVER_STEPS } from '../shared/cutover-vocabulary';
import { catchUpStep, completeStep, cutoverRun, freezeStep, frozenSideOf, gateStep, prepareWayBackStep, startReverseStep, switchStep, unfreezeStep } from './cutover';
import type { FreezeStep } from './effects';
import type { GateReport, IndependentValidation } from './gate';
import type { SwitchRecord } from './switch';
import { databaseNetworkClient } from '../shared/network-clients';

const clients = {
  dms: databaseNetworkClient(DatabaseMigrationServiceClient),
  cloudWatch: databaseNetworkClient(CloudWatchClient),
  rds: databaseNetworkClient(RDSClient),
  ssm: databaseNetworkClient(SSMClient),
  secretsManager: databaseNetworkClient(SecretsManagerClient),
  dynamoDb: databaseNetworkClient(DynamoDBClient),
};
const settings = { tokenTableName: requireString(ENVIRONMENT.tokenTableName) };

const record = z.record(z.string(), z.unknown());

const eventSchema = z.extend(configEventSchema, {
  step: z.enum(CUTOVER_STEPS),
  /** The execution's name: the marker starts with it, so a marker row says which run wrote it. */
  executionName: z._default(z.string(), 'cutover'),
  target: z.optional(z.object({ writerEndpoint: z.string().check(z.minLength(1)), port: z.int().check(z.minimum(1), z.maximum(65535)) })),
  freeze: z.optional(record),
  /** The gate's report: what the side to freeze had before, for the freeze and for giving it back when the freeze failed. */
  gate: z.optional(record),
  switched: z.optional(record),
  /** null when no independent validation ran (the workflow passes what it has). */
  independentValidation: z.optional(z.nullable(z.looseObject({ outcome: z.string() }))),
});

export const handler = phaseHandler('cutover', eventSchema, async (event): Promise<unknown> => {
  const run = cutoverRun(clients, event.config);
  // The gate, freeze and switch records are this function's own earlier output, passed back by the workflow.
  const gate = event.gate as unknown as GateReport | undefined;
  const freezeRecord = event.freeze as unknown as FreezeStep | undefined;
  const freeze = freezeRecord ?? { side: 'source', frozen: false, skipped: 'not run' };
  switch (event.step) {
    case 'gate':
      return gateStep(run, (event.independentValidation ?? undefined) as IndependentValidation | undefined);
    case 'prepare-way-back':
    case 'check-way-back':
      return prepareWayBackStep(run, event.step === 'prepare-way-back');
    case 'freeze':
      return freezeStep(run, gate?.beforeFreeze);
    case 'catch-up':
      return catchUpStep(run, freeze, event.executionName);
    case 'unfreeze':
      return unfreezeStep(run, settings, event.target, frozenSideOf(freezeRecord, gate));
    case 'switch':
      return switchStep(run, settings, event.target, freeze);
    case 'start-reverse':
      return startReverseStep(run, event.switched as unknown as SwitchRecord, freeze);
    case 'check-soak':
    case 'complete':
      return completeStep(run, settings, event.step === 'check-soak');
  }
});
