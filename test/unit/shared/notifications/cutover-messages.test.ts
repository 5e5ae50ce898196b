import { renderNotification } from '../../../../functions/shared/notifications/messages';

const base = { migrationName: 'Orders to Aurora', executionArn: 'arn:aws:states:eu-west-1:123456789012:execution:OrdersMigration:run-42' };
const SWITCHED = {
  startedAt: '2026-11-24T02:14:09.120Z',
  completedAt: '2026-11-24T02:14:12.480Z',
  snapshotIdentifier: 'dms-orch-orders-20261124021409',
  endpointParameterName: '/apps/orders/db',
  endpoint: 'orders.cluster-x.eu-west-1.rds.amazonaws.com:3306',
  previousEndpoint: 'orders-ec2.internal:3306',
  taskStatus: 'stopped',
  binlogPosition: 'mysql-bin-changelog.000012:4521',
  alreadySwitched: false,
};
const GATE = { direction: 'to-target', passed: true, blockers: [], checkedAt: '2026-11-24T02:14:03.000Z', catchUp: 'marker', writeFreeze: 'read_only on the source', cdcLatencySeconds: { source: 2, target: 5 } };
const REVERSE = { taskArn: 'arn:aws:dms:eu-west-1:123456789012:task:REVERSE', taskStatus: 'starting', cdcStartPosition: 'mysql-bin-changelog.000012:4521' };
const APPROVAL = { decision: 'approved', decidedBy: 'dba@example.com', decidedAt: '2026-11-24T02:10:00.000Z', reason: 'CHG-1234 agreed\nwith the orders team' };

function cutOver(details: Record<string, unknown>): string {
  return renderNotification({ ...base, kind: 'cut-over', details: { switched: SWITCHED, gate: GATE, config: { rollback: { enabled: true, soakMinutes: 1440 } }, ...details } as never }).body;
}

function step(cutoverStep: string, direction: 'to-target' | 'to-source', outcome: Record<string, unknown>, name = cutoverStep): string {
  return renderNotification({ ...base, kind: 'cutover-step', details: { step: name, cutoverStep, direction, outcome } as never }).body;
}

describe('the cut-over e-mail', () => {
  it('says where applications go, the latency the gate saw, that the source stays read-only, who approved and why, and both ways on', () => {
    const body = cutOver({ approval: APPROVAL, reverseReplication: REVERSE });
    expect(body).toContain('From 2026-11-24 02:14:12 UTC applications get orders.cluster-x.eu-west-1.rds.amazonaws.com:3306 (the target) from SSM parameter /apps/orders/db; it held orders-ec2.internal:3306 before.');
    expect(body).toContain('Snapshot dms-orch-orders-20261124021409 of the target was taken before the switch.');
    expect(body).toContain('CDC latency at the gate (2026-11-24 02:14:03 UTC): 2 s reading the source, 5 s applying to the target.');
    expect(body).not.toContain('n/a');
    expect(body).toContain('The old source stays read-only for applications');
    expect(body).toContain('Approved by dba@example.com at 2026-11-24 02:10:00 UTC.\nTheir reason:\n  > CHG-1234 agreed\n  > with the orders team');
    expect(body).toContain('Reverse replication is running (task arn:aws:dms:eu-west-1:123456789012:task:REVERSE, starting)');
    expect(body).toContain('"mode": "rollback"');
    expect(body).toContain('after the soak time (rollback.soakMinutes: 1440 min, until 2026-11-25 02:14:12 UTC), start an execution with "mode": "complete"');
  });

  it('without approval or a way back, says so instead of inventing them', () => {
    const body = cutOver({ config: { rollback: { enabled: false } } });
    expect(body).toContain('No approval was asked for (cutover.approvalRequired is false).');
    expect(body).toContain('No reverse replication is running (rollback.enabled is false)');
    expect(body).not.toContain('"mode": "rollback"');
  });

  it('a reason cannot pass for a line of the e-mail: every line of it is quoted', () => {
    const body = cutOver({ approval: { ...APPROVAL, reason: 'ok\nExecution: https://evil.example.com' } });
    expect(body.split('\n')).not.toContain('Execution: https://evil.example.com');
    expect(body).toContain('  > Execution: https://evil.example.com');
  });
});

describe('the cutover step e-mails: sentences, following the direction', () => {
  const freeze = { frozenAt: '2026-11-24T02:14:07.000Z', previous: { readOnly: 'OFF', superReadOnly: 'OFF' }, sessionsHoldingWrites: [], superReadOnlyAvailable: true };
  const marker = { marker: 'run-42-abc', heartbeatTable: 'orders.dms_orchestrator_heartbeat', writtenAt: '2026-11-24T02:14:07.500Z', seenOnTargetAt: '2026-11-24T02:14:09.000Z' };

  it('freeze: who cannot write where, from when, until when', () => {
    expect(step('freeze', 'to-target', { side: 'source', frozen: true, freeze }, 'Freeze source writes')).toContain(
      'Applications cannot write to the source from 2026-11-24 02:14:07 UTC until the switch (it had read_only=OFF, super_read_only=OFF before',
    );
    expect(step('freeze', 'to-source', { side: 'target', frozen: true, freeze: { ...freeze, superReadOnlyAvailable: false } })).toMatch(
      /Applications cannot write to the target from 2026-11-24 02:14:07 UTC until the switch back[^]*users with SUPER or READ ONLY ADMIN can still write to the target/,
    );
  });

  it('catch-up: the marker is read on the target going forward, on the source in a rollback', () => {
    expect(step('catch-up', 'to-target', marker)).toContain(
      'The target has every write made on the source before the freeze: marker run-42-abc, written to orders.dms_orchestrator_heartbeat on the source at 2026-11-24 02:14:07 UTC, was read on the target at 2026-11-24 02:14:09 UTC (2 s later).',
    );
    expect(step('catch-up', 'to-source', marker)).toContain('The source has every write made on the target before the freeze: marker run-42-abc, written to orders.dms_orchestrator_heartbeat on the target');
  });

  it('no e-mail is a dump of keys and JSON', () => {
    const bodies = [
      step('gate', 'to-target', GATE, 'Gate'),
      step('freeze', 'to-target', { side: 'source', frozen: true, freeze }),
      step('catch-up', 'to-target', marker),
      step('switch', 'to-target', SWITCHED, 'Switch'),
      step('switch', 'to-source', { ...SWITCHED, sourceWritesRestored: { readOnly: 'OFF' } }, 'Roll back: switch'),
      step('start-reverse', 'to-target', REVERSE),
      step('complete', 'to-target', { soakEndedAt: '2026-11-25T02:14:12.480Z', removed: true, taskStatus: 'deleting' }),
    ];
    for (const body of bodies) {
      expect(body).not.toMatch(/[{}[\]"]/);
      expect(body).not.toMatch(/^(?!Migration|Phase|Execution)\w+: /m);
    }
  });

  it('names the way back as DMS does: a task, or a DMS Serverless replication config', () => {
    const config = 'arn:aws:dms:eu-west-1:123456789012:replication-config:REVERSE';
    expect(step('start-reverse', 'to-target', REVERSE, 'Start reverse replication')).toContain(`Reverse replication (task ${REVERSE.taskArn}) is starting`);
    expect(step('start-reverse', 'to-target', { ...REVERSE, taskArn: config }, 'Start reverse replication')).toContain(`Reverse replication (replication config ${config}) is starting`);
    expect(step('complete', 'to-target', { taskArn: config, removed: false, taskStatus: 'stopping' })).toContain('The way back\'s replication config is stopping');
    const body = cutOver({ reverseReplication: { ...REVERSE, taskArn: config } });
    expect(body).toContain(`Reverse replication is running (replication config ${config}, starting)`);
    expect(body).toContain('it removes the reverse replication config; then there is no way back');
  });

  it('the rollback switch says the source takes writes again', () => {
    expect(step('switch', 'to-source', { ...SWITCHED, endpoint: 'orders-ec2.internal:3306', sourceWritesRestored: { readOnly: 'OFF' } }, 'Roll back: switch')).toMatch(
      /applications get orders-ec2\.internal:3306 \(the source\)[^]*Replication from the target to the source is stopped[^]*Applications can write to the source again \(read_only=OFF\)/,
    );
  });

  it('a dry run reads the same sentences and changes nothing', () => {
    const { subject, body } = renderNotification({
      ...base,
      kind: 'cutover-dry-run',
      details: { gate: { ...GATE, passed: false, blockers: ['CDCLatencyTarget reached 90 s'] }, freeze: { side: 'source', frozen: false, preview: { current: { readOnly: 'OFF' }, sessionsHoldingWrites: [] } }, catchUp: { skipped: 'dry run: no marker written' } },
    });
    expect(subject).toBe('[DMS] Orders to Aurora: cutover dry run: NOT ready');
    expect(body).toContain('  - CDCLatencyTarget reached 90 s');
    expect(body).toContain('The source has read_only=OFF now. No session had uncommitted writes.');
    expect(body).not.toMatch(/[{}"]/);
  });
});
