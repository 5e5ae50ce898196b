import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SFNClient } from '@aws-sdk/client-sfn';
import { decideApproval } from '../../functions/approval-page/decide';
import { readReadOnlySettings } from '../../functions/cutover/write-freeze';
import { appWrite, cutoverInput, REVERSE, startCutoverServers, startReverseReplication, type CutoverServers } from '../support/cutover-rig';
import { runWave, synthesizeWaveDeployment, waveInput, type WaveScenario } from '../support/run-wave';

/**
 * A wave rolled back: one approval for all of it, then each migration's rollback (its way back: freeze the
 * target, prove the source caught up, switch back) in reverse cutover order, against real MariaDB servers. The
 * three migrations take turns on one pair of servers, each set up as its cutover left it.
 */
const inputOf = (name: string) => cutoverInput({ migrationName: name, rollback: REVERSE });
const { wave, stacks } = synthesizeWaveDeployment(inputOf);
let servers: CutoverServers;

beforeAll(async () => {
  servers = await startCutoverServers();
  await appWrite(servers.source);
});

afterAll(async () => {
  await servers?.stop();
});

it('asks once, then rolls the migrations back in reverse cutover order, each with the wave’s approval', async () => {
  const decided: string[] = [];
  const scenario: WaveScenario = {
    decide: async (approvalId) => {
      const result = await decideApproval(
        { dynamoDb: new DynamoDBClient({ region: 'eu-west-1' }), stepFunctions: new SFNClient({ region: 'eu-west-1' }) },
        { tokenTableName: wave.functionEnvironment.TOKEN_TABLE_NAME },
        { approvalId, decision: 'approve', decidedBy: 'dba@example.com', verifiedBy: 'aws-credentials' },
        new Date(),
      );
      decided.push(result.outcome);
    },
    // Required inside the child's own module registry, so the rig's fakes are its simulated AWS's.
    child: (name) => {
      const rig = require('../support/cutover-rig') as typeof import('../support/cutover-rig');
      return rig.cutoverScenario(servers, {
        initialStatus: 'running',
        prepare: (aws) => {
          aws.advanceFullLoad(100);
          rig.afterCutover(aws, name);
        },
      });
    },
    around: async (_name, _mode, run) => {
      // As the migration's cutover left it: the source frozen, the reverse task carrying the target's writes.
      await servers.sourceAdmin.query('SET GLOBAL read_only = ON');
      const reverse = await startReverseReplication(servers);
      try {
        await run();
      } finally {
        await reverse.stop();
        await servers.sourceAdmin.query('SET GLOBAL read_only = OFF');
        await servers.targetAdmin.query('SET GLOBAL read_only = OFF');
        await servers.targetAdmin.query('START SLAVE');
      }
    },
  };
  const run = await runWave(wave, stacks, scenario, waveInput({ mode: 'rollback', cutoverOrder: ['Stock', 'Orders', 'Billing'] }, inputOf));
  expect(decided).toEqual(['decided']);
  expect(run.children.map((child) => child.executionArn.split(':').at(-1))).toEqual(['friday-2-billing-rollback', 'friday-1-orders-rollback', 'friday-3-stock-rollback']);
  for (const { run: child } of run.children) {
    expect(child.status).toBe('SUCCEEDED');
    expect(child.states).toContain('Take the wave’s rollback approval');
    expect(child.states).not.toContain('Ask for rollback approval');
    expect(child.states.at(-1)).toBe('Rollback complete');
  }
  expect(run.status).toBe('SUCCEEDED');
  expect(run.output?.summary).toMatchObject({ onTarget: [], onSource: ['Orders', 'Billing', 'Stock'], complete: true });
  expect(await readReadOnlySettings(servers.sourceAdmin)).toEqual({ readOnly: 'OFF' });
});
