import type { DmsReplicationConfigDefinition, DmsTaskDefinition } from '../../local/emulator/dms/definitions';
import type { EmulatorOptions } from '../../local/emulator/server';
import { REPLICATION_CONFIG_ARN, REPLICATION_INSTANCE_ARN, SOURCE_ENDPOINT_ARN, TARGET_ENDPOINT_ARN, TASK_ARN } from './migration';

/**
 * The emulated DMS task and replication instance of the fixtures' ARNs (test/support/migration.ts): a
 * full-load-and-cdc task with validation, named after `name`. Tests add the endpoints their scenario needs, and
 * change what their task does differently (its migration type, table mappings).
 */
export function emulatedDms(name: string, endpoints: EmulatorOptions['dms']['endpoints'] = [], task: Partial<DmsTaskDefinition> = {}): EmulatorOptions['dms'] {
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
      ...task,
    },
    instance: { replicationInstanceArn: REPLICATION_INSTANCE_ARN, replicationInstanceIdentifier: `${name}-replication` },
  };
}

/**
 * The DMS Serverless counterpart of the fixtures' task: a full-load-and-cdc replication config with validation,
 * between the same endpoints, of at most 4 DCU (2 at least).
 */
export function emulatedReplicationConfig(name: string, config: Partial<DmsReplicationConfigDefinition> = {}): DmsReplicationConfigDefinition {
  return {
    replicationConfigArn: REPLICATION_CONFIG_ARN,
    replicationConfigIdentifier: `${name}-replication`,
    migrationType: 'full-load-and-cdc',
    sourceEndpointArn: SOURCE_ENDPOINT_ARN,
    targetEndpointArn: TARGET_ENDPOINT_ARN,
    tableMappings: { rules: [] },
    validationEnabled: true,
    computeConfig: { MaxCapacityUnits: 4, MinCapacityUnits: 2 },
    ...config,
  };
}

/** The task's source and target endpoints, each reading its connection from the given secret. */
export function emulatedEndpoints(name: string, secrets: { source: string; target: string }): EmulatorOptions['dms']['endpoints'] {
  return [
    { endpointArn: SOURCE_ENDPOINT_ARN, endpointIdentifier: `${name}-source`, endpointType: 'source', secretArn: secrets.source },
    { endpointArn: TARGET_ENDPOINT_ARN, endpointIdentifier: `${name}-target`, endpointType: 'target', secretArn: secrets.target },
  ];
}

/**
 * Points the SDK clients the code under test builds (they take no endpoint option) at the emulator, through the
 * standard AWS_ENDPOINT_URL variable; the returned function puts the variable back as it was.
 */
export function pointClientsAt(url: string): () => void {
  const previous = process.env.AWS_ENDPOINT_URL;
  process.env.AWS_ENDPOINT_URL = url;
  return () => {
    if (previous === undefined) delete process.env.AWS_ENDPOINT_URL;
    else process.env.AWS_ENDPOINT_URL = previous;
  };
}
