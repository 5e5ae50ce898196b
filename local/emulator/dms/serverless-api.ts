import { randomBytes } from 'node:crypto';
import type { TableStatistics } from '@aws-sdk/client-database-migration-service';
import type { DatabaseCredentials } from '../../../functions/shared/mysql';
import { AwsServiceError } from '../protocols';
import type { DmsEndpointDefinition, DmsFaults, DmsMigrationType, DmsReplicationConfigDefinition, DmsReplicationEvent } from './definitions';
import { EmulatedReplication } from './replication';

/**
 * The DMS Serverless operations: replication configs (Create/Describe/DeleteReplicationConfig) and their
 * replications (Start/StopReplication, DescribeReplications, DescribeReplicationTableStatistics). Each config's
 * lifecycle is in `replication.ts`; the data moves through the same run as a task's.
 *
 * The migration's own configs exist from the start and send their state changes to EventBridge (`onEvent`);
 * configs made with CreateReplicationConfig (the way back after a cutover) do not: the stack's rule listens to
 * the migration's own replication only, as it does for tasks.
 */
export interface ServerlessReplicationsOptions {
  /** The operator's replication configs, as the migration input names them. */
  configs: DmsReplicationConfigDefinition[];
  /** `arn:aws:dms:<region>:<account>`: where created configs get their ARN. */
  arnPrefix: string;
  faults: DmsFaults;
  batchRows: number;
  cdcLagMillis: number;
  endpoint(arn: string): DmsEndpointDefinition;
  credentialsOf(endpointArn: string): DatabaseCredentials;
  /** Tags by resource ARN, shared with the tasks' (what IAM reads as aws:ResourceTag). */
  tags: Map<string, Record<string, string>>;
  onEvent(event: DmsReplicationEvent): void;
}

type Operation = (input: Record<string, unknown>) => unknown;

export class ServerlessReplications {
  private readonly replications = new Map<string, EmulatedReplication>();

  constructor(private readonly options: ServerlessReplicationsOptions) {
    for (const definition of options.configs) this.replications.set(definition.replicationConfigArn, this.newReplication(definition, options.onEvent));
  }

  all(): EmulatedReplication[] {
    return [...this.replications.values()];
  }

  /** A config by ARN; DMS answers an unknown one with ResourceNotFoundFault. */
  named(arn: string): EmulatedReplication {
    const replication = this.replications.get(arn);
    if (!replication) throw new AwsServiceError('ResourceNotFoundFault', `Replication config ${arn} not found`);
    return replication;
  }

  operations(): Record<string, Operation> {
    return {
      CreateReplicationConfig: (input) => this.create(input),
      DescribeReplicationConfigs: (input) => ({ ReplicationConfigs: this.matching(input).map((replication) => replication.describeConfig()) }),
      DeleteReplicationConfig: (input) => {
        const arn = String(input.ReplicationConfigArn);
        return this.named(arn).beginDeletion(() => {
          this.replications.delete(arn);
          this.options.tags.delete(arn);
        });
      },
      StartReplication: (input) => this.named(String(input.ReplicationConfigArn)).start(input),
      StopReplication: (input) => this.named(String(input.ReplicationConfigArn)).stop(),
      DescribeReplications: (input) => ({ Replications: this.matching(input).map((replication) => replication.describe()) }),
      DescribeReplicationTableStatistics: (input) => {
        const arn = String(input.ReplicationConfigArn);
        return { ReplicationConfigArn: arn, ReplicationTableStatistics: tablesMatching(this.named(arn).describeTables(), filtersOf(input, TABLE_FILTERS)) };
      },
    };
  }

  private newReplication(definition: DmsReplicationConfigDefinition, onEvent: (event: DmsReplicationEvent) => void): EmulatedReplication {
    const { faults, batchRows, cdcLagMillis, endpoint, credentialsOf } = this.options;
    return new EmulatedReplication({ definition, faults, batchRows, cdcLagMillis, endpoint, credentialsOf, onEvent });
  }

  /**
   * DescribeReplications and DescribeReplicationConfigs: filtered by `replication-config-arn` and
   * `replication-config-id` (DescribeReplicationsMessage's valid filter names); nothing matching is a
   * ResourceNotFoundFault, as DescribeReplicationTasks answers.
   */
  private matching(input: Record<string, unknown>): EmulatedReplication[] {
    const { 'replication-config-arn': arns, 'replication-config-id': identifiers } = filtersOf(input, CONFIG_FILTERS);
    const found = this.all()
      .filter((replication) => !arns || arns.includes(replication.definition.replicationConfigArn))
      .filter((replication) => !identifiers || identifiers.includes(replication.definition.replicationConfigIdentifier));
    if (found.length === 0) throw new AwsServiceError('ResourceNotFoundFault', 'No replication configs found matching provided filters');
    return found;
  }

  /**
   * CreateReplicationConfig, refusing what DMS refuses: a taken identifier (ResourceAlreadyExistsFault), an
   * endpoint that does not exist (ResourceNotFoundFault), a ReplicationType other than full-load, cdc or
   * full-load-and-cdc, and a ComputeConfig without MaxCapacityUnits, with a value off the DCU list, or with
   * MinCapacityUnits above MaxCapacityUnits (InvalidParameterValueException).
   */
  private create(input: Record<string, unknown>) {
    const identifier = String(input.ReplicationConfigIdentifier);
    if (this.all().some((replication) => replication.definition.replicationConfigIdentifier === identifier)) {
      throw new AwsServiceError('ResourceAlreadyExistsFault', `Replication config ${identifier} already exists`);
    }
    const sourceEndpointArn = this.options.endpoint(String(input.SourceEndpointArn)).endpointArn;
    const targetEndpointArn = this.options.endpoint(String(input.TargetEndpointArn)).endpointArn;
    const migrationType = String(input.ReplicationType) as DmsMigrationType;
    if (!['full-load', 'cdc', 'full-load-and-cdc'].includes(migrationType)) throw new AwsServiceError('InvalidParameterValueException', `Invalid ReplicationType: ${migrationType}`);
    const computeConfig = computeConfigOf(input.ComputeConfig);
    const settings = JSON.parse(String(input.ReplicationSettings ?? '{}')) as { Logging?: { EnableLogging?: unknown }; ValidationSettings?: { EnableValidation?: unknown } };
    const resourceId = typeof input.ResourceIdentifier === 'string' ? input.ResourceIdentifier : randomBytes(13).toString('hex').toUpperCase();
    const replicationConfigArn = `${this.options.arnPrefix}:replication-config:${resourceId}`;
    if (this.replications.has(replicationConfigArn)) throw new AwsServiceError('ResourceAlreadyExistsFault', `Replication config ${replicationConfigArn} already exists`);
    const replication = this.newReplication(
      {
        replicationConfigArn,
        replicationConfigIdentifier: identifier,
        migrationType,
        sourceEndpointArn,
        targetEndpointArn,
        tableMappings: JSON.parse(String(input.TableMappings)) as DmsReplicationConfigDefinition['tableMappings'],
        validationEnabled: settings.ValidationSettings?.EnableValidation === true,
        loggingEnabled: settings.Logging?.EnableLogging === true,
        computeConfig,
      },
      () => undefined,
    );
    this.replications.set(replicationConfigArn, replication);
    const tags = (input.Tags ?? []) as Array<{ Key: string; Value?: string }>;
    this.options.tags.set(replicationConfigArn, Object.fromEntries(tags.map((tag) => [tag.Key, tag.Value ?? ''])));
    return { ReplicationConfig: replication.describeConfig() };
  }
}

/** ComputeConfig's valid DMS capacity unit (DCU) values (ComputeConfig.MaxCapacityUnits in the SDK model). */
const CAPACITY_UNITS = [1, 2, 4, 8, 16, 32, 64, 128, 192, 256, 384];

export function computeConfigOf(value: unknown): DmsReplicationConfigDefinition['computeConfig'] {
  const { MaxCapacityUnits: max, MinCapacityUnits: min } = (value ?? {}) as { MaxCapacityUnits?: unknown; MinCapacityUnits?: unknown };
  const isCapacity = (units: unknown): units is number => (CAPACITY_UNITS as readonly unknown[]).includes(units);
  if (!isCapacity(max)) throw new AwsServiceError('InvalidParameterValueException', `ComputeConfig.MaxCapacityUnits must be one of ${CAPACITY_UNITS.join(', ')}`);
  if (min !== undefined && (!isCapacity(min) || min > max)) {
    throw new AwsServiceError('InvalidParameterValueException', `ComputeConfig.MinCapacityUnits must be one of ${CAPACITY_UNITS.join(', ')} and at most MaxCapacityUnits (${max})`);
  }
  return { MaxCapacityUnits: max, ...(min === undefined ? {} : { MinCapacityUnits: min }) };
}

const CONFIG_FILTERS = ['replication-config-arn', 'replication-config-id'];
/** DescribeTableStatistics' filter names (schema-name, table-name, table-state), which the serverless call takes too. */
const TABLE_FILTERS = ['schema-name', 'table-name', 'table-state'];

/** `[{ Name, Values }]` -> `{ name: values }`, refusing a filter name the operation does not know. */
function filtersOf(input: Record<string, unknown>, known: string[]): Record<string, string[] | undefined> {
  const list = (input.Filters as Array<{ Name: string; Values: string[] }> | undefined) ?? [];
  for (const filter of list) {
    if (!known.includes(filter.Name)) throw new AwsServiceError('InvalidParameterValueException', `Invalid filter name ${filter.Name}: valid names are ${known.join(', ')}`);
  }
  return Object.fromEntries(list.map((filter) => [filter.Name, filter.Values]));
}

function tablesMatching(tables: TableStatistics[], filter: Record<string, string[] | undefined>): TableStatistics[] {
  return tables
    .filter((table) => !filter['schema-name'] || filter['schema-name'].includes(String(table.SchemaName)))
    .filter((table) => !filter['table-name'] || filter['table-name'].includes(String(table.TableName)))
    .filter((table) => !filter['table-state'] || filter['table-state'].includes(String(table.TableState)));
}
