import { DatabaseMigrationServiceClient, DescribeTableStatisticsCommand } from '@aws-sdk/client-database-migration-service';
import { GetParameterCommand, SSMClient } from '@aws-sdk/client-ssm';
import { runAsCaller } from '../../../../local/emulator/callers';
import { databaseNetworkOf } from '../../../../local/emulator/network';
import { startAwsEmulator, type AwsEmulator } from '../../../../local/emulator/server';
import { StackAuthorizer, type CfnTemplate } from '../../../../local/iam';
import { synthesizeWorkflow } from '../../../support/synthesized-workflow';
import { emulatedDms, emulatedEndpoints } from '../../../support/emulated-task';
import { TASK_ARN } from '../../../support/migration';
import { WITH_WAY_BACK } from '../../../support/way-back';

const OTHER_TASK = 'arn:aws:dms:eu-west-1:123456789012:task:SOMEONEELSESTASK';
/** The database network, without VPC endpoints or NAT: the deployment declares it creates its endpoints. */
const DATABASE_NETWORK = { vpcId: 'vpc-0a1b2c3d4e5f67890', subnetIds: ['subnet-0a1b2c3d4e5f67890'], securityGroupIds: ['sg-0a1b2c3d4e5f67890'] };

describe('the emulator holding each function to its role and its network', () => {
  const synthesized = synthesizeWorkflow({ ...WITH_WAY_BACK, databaseNetwork: DATABASE_NETWORK });
  const template = synthesized.template.toJSON() as CfnTemplate;
  const { environment, physicalResources, functionLogicalIds } = synthesized;
  const network = databaseNetworkOf(template, environment, physicalResources, 'create');
  let authorizer: StackAuthorizer;
  let emulator: AwsEmulator;
  const clientOptions = () => ({ endpoint: emulator.url, region: 'eu-west-1', credentials: { accessKeyId: 'local', secretAccessKey: 'local' } });

  beforeAll(async () => {
    authorizer = new StackAuthorizer(template, environment, physicalResources);
    emulator = await startAwsEmulator({
      dms: emulatedDms('shop', emulatedEndpoints('shop', { source: 'source', target: 'target' })),
      target: { type: 'aurora-cluster', identifier: 'orders-aurora', host: '127.0.0.1', port: 3307, engineVersion: '8.0.mysql_aurora.3.08.0' },
      secrets: {},
      enforce: { authorizer, network },
    });
  });
  afterAll(() => emulator.close());

  it('evaluates each call as the function running it, and answers a denied one as DMS does', async () => {
    const dms = new DatabaseMigrationServiceClient(clientOptions());
    const statistics = (task: string) => runAsCaller({ principal: functionLogicalIds.checkValidation }, () => dms.send(new DescribeTableStatisticsCommand({ ReplicationTaskArn: task })));
    const before = authorizer.evaluatedCalls;
    await expect(statistics(TASK_ARN)).resolves.toMatchObject({ ReplicationTaskArn: TASK_ARN });
    await expect(statistics(OTHER_TASK)).rejects.toMatchObject({
      name: 'AccessDeniedException',
      $metadata: { httpStatusCode: 400 },
      message: expect.stringContaining(`is not authorized to perform: dms:DescribeTableStatistics on resource: ${OTHER_TASK} because no identity-based policy allows`),
    });
    // A call made outside any function (the rehearsal's own reads) is answered without evaluation.
    await expect(dms.send(new DescribeTableStatisticsCommand({ ReplicationTaskArn: TASK_ARN }))).resolves.toBeDefined();
    expect(authorizer.evaluatedCalls - before).toBe(2);
    expect(authorizer.deniedCalls.map((call) => [call.principal, call.action, call.resources])).toEqual([[functionLogicalIds.checkValidation, 'dms:DescribeTableStatistics', [OTHER_TASK]]]);
  });

  it('leaves a VPC function’s call to a service without an endpoint unanswered, until the client’s own timeout', async () => {
    expect(network.vpcFunctions.has(functionLogicalIds.cutover)).toBe(true);
    expect(network.reachableServices).toEqual(new Set());
    // This SDK only warns when requestTimeout passes, unless told to throw.
    const ssm = new SSMClient({ ...clientOptions(), requestHandler: { requestTimeout: 1_000, throwOnRequestTimeout: true }, maxAttempts: 1 });
    const startedAt = Date.now();
    const read = runAsCaller({ principal: functionLogicalIds.cutover }, () => ssm.send(new GetParameterCommand({ Name: '/apps/orders/database-endpoint' })));
    await expect(read).rejects.toMatchObject({ name: 'TimeoutError' });
    expect(Date.now() - startedAt).toBeGreaterThanOrEqual(1_000);
    // A function outside the VPC reaches the public endpoint (and is then held to its role).
    await expect(runAsCaller({ principal: functionLogicalIds.checkValidation }, () => ssm.send(new GetParameterCommand({ Name: '/apps/orders/database-endpoint' })))).rejects.toMatchObject({
      name: 'AccessDeniedException',
    });
  });
});
