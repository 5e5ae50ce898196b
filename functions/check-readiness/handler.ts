import { DatabaseMigrationServiceClient } from '@aws-sdk/client-database-migration-service';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { phaseHandler } from '../shared/handler';
import { InvalidInput } from '../shared/errors';
import { configEventSchema } from '../shared/migration-input';
import { checkReadiness } from './check-readiness';
import { databaseNetworkClient } from '../shared/network-clients';

const clients = { secretsManager: databaseNetworkClient(SecretsManagerClient), dms: databaseNetworkClient(DatabaseMigrationServiceClient) };

export const handler = phaseHandler('check-readiness', configEventSchema, ({ config }) => {
  const { database } = config;
  if (!database) throw new InvalidInput(['database: the readiness checks need the database block (secret ARNs and schemas)']);
  return checkReadiness(clients, { ...config, database });
});
