import type { EmulatorOptions } from '../../local/emulator/server';
import { REPLICATION_INSTANCE_ARN, SOURCE_ENDPOINT_ARN, TARGET_ENDPOINT_ARN, TASK_ARN } from './migration';

/**
 * The emulated DMS task and replication instance of the fixtures' ARNs (test/support/migration.ts): a
 * full-load-and-cdc task with validation, named after `name`. Tests add the endpoints their scenario needs.
 */
export function emulatedDms(name: string, endpoints: EmulatorOptions['dms']['endpoints'] = []): EmulatorOptions['dms'] {
  return {
    endpoints,
    task: {
      replicationTaskArn: TASK_ARN,
      replicationTaskIdentifier: `${name}-task`,
      migrationType: 'full-load-and-cdc',
      sourceEndpointArn: SOURCE_ENDPOINT_ARN,
      targetEndpointArn: TARGET_ENDPOINT_ARN,
      replicationInstanceArn: REPLICATION_INSTANCE_ARN,
      tableMappings: { rules: [] },
      validationEnabled: true,
    },
    instance: { replicationInstanceArn: REPLICATION_INSTANCE_ARN, replicationInstanceIdentifier: `${name}-replication` },
  };
}
