import type { EmulatorOptions } from '../../local/emulator/server';
import { REPLICATION_INSTANCE_ARN, SOURCE_ENDPOINT_ARN, TARGET_ENDPOINT_ARN, TASK_ARN } from './migration';

/** The migration's DMS resources as the emulator holds them: its task, endpoints (reading these secrets) and instance. */
export function emulatedMigrationDms(secrets: { source: string; target: string }): EmulatorOptions['dms'] {
  return {
    endpoints: [
      { endpointArn: SOURCE_ENDPOINT_ARN, endpointIdentifier: 'shop-source', endpointType: 'source', secretArn: secrets.source },
      { endpointArn: TARGET_ENDPOINT_ARN, endpointIdentifier: 'shop-target', endpointType: 'target', secretArn: secrets.target },
    ],
    task: {
      replicationTaskArn: TASK_ARN,
      replicationTaskIdentifier: 'shop-task',
      migrationType: 'full-load-and-cdc',
      sourceEndpointArn: SOURCE_ENDPOINT_ARN,
      targetEndpointArn: TARGET_ENDPOINT_ARN,
      replicationInstanceArn: REPLICATION_INSTANCE_ARN,
      tableMappings: { rules: [] },
      validationEnabled: true,
    },
    instance: { replicationInstanceArn: REPLICATION_INSTANCE_ARN, replicationInstanceIdentifier: 'shop-replication' },
  };
}
