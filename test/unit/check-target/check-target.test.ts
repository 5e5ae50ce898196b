import {
  DBClusterNotFoundFault,
  DBInstanceNotFoundFault,
  DescribeDBClustersCommand,
  DescribeDBInstancesCommand,
  RDSClient,
  type DBCluster,
  type DBInstance,
} from '@aws-sdk/client-rds';
import { mockClient } from 'aws-sdk-client-mock';
import { handler } from '../../../functions/check-target/handler';
import { migrationConfig } from '../../support/migration';

const rds = mockClient(RDSClient);
const clusterConfig = migrationConfig();
const instanceConfig = migrationConfig({ target: { type: 'rds-instance', identifier: 'orders-mysql' } });

/** DescribeDBClusters entry as RDS returns it (abridged to the fields RDS always sets). */
function cluster(overrides: Partial<DBCluster> = {}): DBCluster {
  return {
    DBClusterIdentifier: 'orders-aurora',
    DBClusterArn: 'arn:aws:rds:eu-west-1:123456789012:cluster:orders-aurora',
    Status: 'available',
    Endpoint: 'orders-aurora.cluster-c1a2b3c4d5e6.eu-west-1.rds.amazonaws.com',
    ReaderEndpoint: 'orders-aurora.cluster-ro-c1a2b3c4d5e6.eu-west-1.rds.amazonaws.com',
    Engine: 'aurora-mysql',
    EngineVersion: '8.0.mysql_aurora.3.08.0',
    Port: 3306,
    MultiAZ: true,
    ...overrides,
  };
}

function instance(overrides: Partial<DBInstance> = {}): DBInstance {
  return {
    DBInstanceIdentifier: 'orders-mysql',
    DBInstanceArn: 'arn:aws:rds:eu-west-1:123456789012:db:orders-mysql',
    DBInstanceClass: 'db.r6g.large',
    Engine: 'mysql',
    EngineVersion: '8.0.39',
    DBInstanceStatus: 'available',
    Endpoint: { Address: 'orders-mysql.c1a2b3c4d5e6.eu-west-1.rds.amazonaws.com', Port: 3306, HostedZoneId: 'Z29XKXDKYMONMX' },
    ...overrides,
  };
}

beforeEach(() => rds.reset());

describe('check-target', () => {
  it('returns the writer endpoint of an available Aurora MySQL cluster', async () => {
    rds.on(DescribeDBClustersCommand).resolves({ DBClusters: [cluster()] });
    await expect(handler({ config: clusterConfig })).resolves.toEqual({
      type: 'aurora-cluster',
      identifier: 'orders-aurora',
      engine: 'aurora-mysql',
      engineVersion: '8.0.mysql_aurora.3.08.0',
      status: 'available',
      writerEndpoint: 'orders-aurora.cluster-c1a2b3c4d5e6.eu-west-1.rds.amazonaws.com',
      port: 3306,
    });
    expect(rds).toHaveReceivedCommandWith(DescribeDBClustersCommand, { DBClusterIdentifier: 'orders-aurora' });
  });

  it('returns the endpoint of an available RDS for MySQL instance', async () => {
    rds.on(DescribeDBInstancesCommand).resolves({ DBInstances: [instance()] });
    await expect(handler({ config: instanceConfig })).resolves.toMatchObject({
      type: 'rds-instance',
      writerEndpoint: 'orders-mysql.c1a2b3c4d5e6.eu-west-1.rds.amazonaws.com',
      port: 3306,
    });
    expect(rds).toHaveReceivedCommandWith(DescribeDBInstancesCommand, { DBInstanceIdentifier: 'orders-mysql' });
  });

  it('refuses a target that is not available, saying what it is', async () => {
    rds.on(DescribeDBClustersCommand).resolves({ DBClusters: [cluster({ Status: 'backing-up' })] });
    await expect(handler({ config: clusterConfig })).rejects.toMatchObject({
      name: 'TargetNotReady',
      message: expect.stringContaining('Aurora cluster orders-aurora is "backing-up", not "available"'),
    });
  });

  it('refuses a target that is not MySQL-compatible', async () => {
    rds.on(DescribeDBClustersCommand).resolves({ DBClusters: [cluster({ Engine: 'aurora-postgresql' })] });
    await expect(handler({ config: clusterConfig })).rejects.toMatchObject({
      name: 'TargetNotReady',
      message: expect.stringContaining('runs aurora-postgresql, which is not MySQL-compatible'),
    });
  });

  it('refuses a target without an endpoint yet', async () => {
    rds.on(DescribeDBInstancesCommand).resolves({ DBInstances: [instance({ Endpoint: undefined })] });
    await expect(handler({ config: instanceConfig })).rejects.toMatchObject({ name: 'TargetNotReady', message: expect.stringContaining('has no endpoint yet') });
  });

  it('explains a missing cluster or instance', async () => {
    rds.on(DescribeDBClustersCommand).rejects(new DBClusterNotFoundFault({ message: 'DBCluster orders-aurora not found.', $metadata: {} }));
    await expect(handler({ config: clusterConfig })).rejects.toMatchObject({
      name: 'TargetNotReady',
      message: 'Aurora cluster orders-aurora was not found in this account and region: check target.identifier.',
    });
    rds.on(DescribeDBInstancesCommand).rejects(new DBInstanceNotFoundFault({ message: 'DBInstance orders-mysql not found.', $metadata: {} }));
    await expect(handler({ config: instanceConfig })).rejects.toMatchObject({ name: 'TargetNotReady', message: expect.stringContaining('RDS instance orders-mysql was not found') });
    rds.on(DescribeDBInstancesCommand).resolves({ DBInstances: [] });
    await expect(handler({ config: instanceConfig })).rejects.toMatchObject({ name: 'TargetNotReady' });
  });

  it('points an Aurora member instance at its cluster', async () => {
    rds.on(DescribeDBInstancesCommand).resolves({ DBInstances: [instance({ Engine: 'aurora-mysql', DBClusterIdentifier: 'orders-aurora' })] });
    await expect(handler({ config: instanceConfig })).rejects.toMatchObject({
      name: 'TargetNotReady',
      message: expect.stringContaining('set target.type to "aurora-cluster" and target.identifier to "orders-aurora"'),
    });
  });

  it('passes other RDS errors through', async () => {
    rds.on(DescribeDBClustersCommand).rejects(Object.assign(new Error('not authorized'), { name: 'AccessDenied' }));
    await expect(handler({ config: clusterConfig })).rejects.toMatchObject({ name: 'AccessDenied' });
  });
});
