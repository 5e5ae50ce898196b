import fc from 'fast-check';
import { handler } from '../../../functions/validate-input/handler';
import { validateMigrationInput } from '../../../functions/validate-input/validate-input';
import { ENGINE_COMBINATIONS, migrationInputSchema, tlsModeOf, TLS_MODES, type MigrationInput } from '../../../functions/shared/migration-input';
import { migrationInput, serverlessMigrationInput, REPLICATION_CONFIG_ARN, REPLICATION_INSTANCE_ARN, TASK_ARN, DATABASE_ACCESS as DATABASE, WAY_BACK as REVERSE } from '../../support/migration';

function problemsOf(input: unknown): string {
  try {
    validateMigrationInput(input);
  } catch (error) {
    expect(error).toMatchObject({ name: 'InvalidInput' });
    return (error as Error).message;
  }
  throw new Error('expected the input to be rejected');
}


describe('validate-input', () => {
  it('applies every default', () => {
    expect(validateMigrationInput(migrationInput())).toEqual({
      ...migrationInput(),
      startPolicy: 'auto',
      confirmReloadTarget: false,
      validation: { requireDmsValidation: true, maxWaitMinutes: 1440 },
      cutover: {
        dryRun: false,
        writeFreeze: { enabled: true, catchUpTimeoutSeconds: 300 },
        maxPendingValidationRecords: 0,
        maxCdcLatencySeconds: 30,
        latencyWindowMinutes: 5,
        approvalRequired: true,
        snapshotBeforeCutover: true,
        endpointParameterName: '/dms-orchestrator/orders-to-aurora/endpoint',
      },
      rollback: { enabled: false, soakMinutes: 1440, emergencySkipApproval: false },
      mode: 'migrate',
    });
  });

  it('keeps what the operator set', () => {
    const config = validateMigrationInput(
      migrationInput({ startPolicy: 'resume', cutover: { maxCdcLatencySeconds: 5, endpointParameterName: 'orders-endpoint' } }),
    );
    expect(config.startPolicy).toBe('resume');
    expect(config.cutover).toMatchObject({ maxCdcLatencySeconds: 5, endpointParameterName: 'orders-endpoint', approvalRequired: true });
  });

  it.each<[string, Partial<MigrationInput> | Record<string, unknown>, string]>([
    ['a task ARN of the wrong resource type', { replicationTaskArn: 'arn:aws:dms:eu-west-1:123456789012:endpoint:ABC' }, 'replicationTaskArn: expected a DMS replication task ARN'],
    ['an endpoint ARN from another service', { sourceEndpointArn: 'arn:aws:rds:eu-west-1:123456789012:db:orders' }, 'sourceEndpointArn: expected a DMS source endpoint ARN'],
    ['a replication instance ARN in another account', { replicationInstanceArn: 'arn:aws:dms:eu-west-1:999999999999:rep:ABC' }, 'replicationInstanceArn: expected the same partition, region and account as the replication task (aws:eu-west-1:123456789012)'],
    ['the same endpoint twice', { targetEndpointArn: migrationInput().sourceEndpointArn }, 'targetEndpointArn: the target endpoint must differ from the source endpoint'],
    ['an unknown start policy', { startPolicy: 'force' as never }, 'startPolicy: expected one of: auto, resume, reload'],
    ['reload without confirmation', { startPolicy: 'reload' }, 'confirmReloadTarget: startPolicy "reload" truncates every target table'],
    ['an RDS identifier with two hyphens', { target: { type: 'aurora-cluster', identifier: 'orders--aurora' } }, 'target.identifier: expected an RDS identifier'],
    ['an RDS identifier ending with a hyphen', { target: { type: 'rds-instance', identifier: 'orders-' } }, 'target.identifier: an RDS identifier cannot end with a hyphen'],
    ['an unknown target type', { target: { type: 'dynamodb', identifier: 'x' } as never }, 'target.type: expected one of: aurora-cluster, rds-instance'],
    ['a negative latency', { cutover: { maxCdcLatencySeconds: -1 } }, 'cutover.maxCdcLatencySeconds: expected the maximum CDC latency in seconds (a whole number from 0 to 3600)'],
    ['a reserved SSM name', { cutover: { endpointParameterName: '/aws/orders' } }, 'cutover.endpointParameterName: SSM parameter names cannot start with "aws" or "ssm"'],
    ['an SSM name with spaces', { cutover: { endpointParameterName: '/apps/orders db' } }, 'cutover.endpointParameterName: expected an SSM parameter name'],
    ['a misspelt setting', { startpolicy: 'auto' }, '(input): Unrecognized key: "startpolicy"'],
    ['a database secret that is not a Secrets Manager ARN', { database: { sourceSecretArn: 'orders/source', targetSecretArn: 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:orders/target-AbCdEf', schemas: ['orders'] } }, 'database.sourceSecretArn: expected the complete source database secret ARN'],
    ['a partial secret ARN, without the suffix Secrets Manager adds', { database: { ...DATABASE, targetSecretArn: 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:orders/target' } }, 'database.targetSecretArn: expected the complete target database secret ARN, ending in "-" and the 6 characters Secrets Manager adds'],
    ['one secret for both databases', { database: { ...DATABASE, targetSecretArn: DATABASE.sourceSecretArn } }, 'database.targetSecretArn: the target secret is the source secret'],
    ['a target secret in another region', { database: { ...DATABASE, targetSecretArn: 'arn:aws:secretsmanager:us-east-1:123456789012:secret:orders/target-AbCdEf' } }, "database.targetSecretArn: expected a secret in the replication task's partition, region and account (aws:eu-west-1:123456789012), not aws:us-east-1:123456789012"],
    ['a source secret in another account', { database: { ...DATABASE, sourceSecretArn: 'arn:aws:secretsmanager:eu-west-1:999999999999:secret:orders/source-AbCdEf' } }, "database.sourceSecretArn: expected a secret in the replication task's partition, region and account (aws:eu-west-1:123456789012), not aws:eu-west-1:999999999999"],
    ['database access without schemas', { database: { sourceSecretArn: 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:orders/source-AbCdEf', targetSecretArn: 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:orders/target-AbCdEf', schemas: [] } }, 'database.schemas: expected at least one schema name'],
    ['a schema name with a quote', { database: { sourceSecretArn: 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:orders/source-AbCdEf', targetSecretArn: 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:orders/target-AbCdEf', schemas: ["orders`; DROP"] } }, 'database.schemas.0: expected a MySQL schema name'],
    ['an unknown TLS mode', { database: { sourceSecretArn: 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:orders/source-AbCdEf', targetSecretArn: 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:orders/target-AbCdEf', schemas: ['orders'], tls: 'verify-ca' as never } }, 'database.tls: expected one of: verify-rds-ca, required, disabled, or { "source": ..., "target": ... } with those values'],
    ['a TLS mode for an unknown side', { database: { sourceSecretArn: 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:orders/source-AbCdEf', targetSecretArn: 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:orders/target-AbCdEf', schemas: ['orders'], tls: { replica: 'disabled' } as never } }, 'database.tls: Unrecognized key: "replica"'],
    ['an unknown mode', { mode: 'switch' as never }, 'mode: expected one of: migrate, rollback, complete'],
    ['a rollback run without a way back', { mode: 'rollback' }, 'mode: mode "rollback" needs rollback.enabled: true'],
    ['rollback without its reverse endpoints', { database: DATABASE, rollback: { enabled: true } }, 'rollback.reverseSourceEndpointArn: required when rollback.enabled is true'],
    ['rollback without database access', { rollback: REVERSE }, "database: rollback needs database access: the reverse task starts at the target's binlog position"],
    ['a reverse endpoint in another account', { database: DATABASE, rollback: { ...REVERSE, reverseTargetEndpointArn: 'arn:aws:dms:eu-west-1:999999999999:endpoint:BACK' } }, 'rollback.reverseTargetEndpointArn: expected the same partition, region and account'],
    ['one endpoint for both ends of the way back', { database: DATABASE, rollback: { ...REVERSE, reverseTargetEndpointArn: REVERSE.reverseSourceEndpointArn } }, 'rollback.reverseTargetEndpointArn: the reverse target endpoint (the old source as a DMS target) must differ from the reverse source endpoint'],
    ['the forward target endpoint as the reverse source', { database: DATABASE, rollback: { ...REVERSE, reverseSourceEndpointArn: migrationInput().targetEndpointArn } }, 'rollback.reverseSourceEndpointArn: the way back needs endpoints of its own: reverseSourceEndpointArn is the forward targetEndpointArn'],
    ['the forward source endpoint as the reverse target', { database: DATABASE, rollback: { ...REVERSE, reverseTargetEndpointArn: migrationInput().sourceEndpointArn } }, 'rollback.reverseTargetEndpointArn: the way back needs endpoints of its own: reverseTargetEndpointArn is the forward sourceEndpointArn'],
    ['an emergency approval skip outside a rollback', { database: DATABASE, rollback: { ...REVERSE, emergencySkipApproval: true } }, 'rollback.emergencySkipApproval: skips a rollback\'s approval, so it is allowed only with mode "rollback" (this input\'s mode is "migrate"): remove it'],
    ['the forward source endpoint as the reverse source', { database: DATABASE, rollback: { ...REVERSE, reverseSourceEndpointArn: migrationInput().sourceEndpointArn } }, 'rollback.reverseSourceEndpointArn: the way back needs endpoints of its own: reverseSourceEndpointArn is the forward sourceEndpointArn'],
    ['a catch-up wait over 10 minutes', { cutover: { writeFreeze: { catchUpTimeoutSeconds: 900 } } }, 'cutover.writeFreeze.catchUpTimeoutSeconds: expected the catch-up wait in seconds (a whole number from 5 to 600)'],
    ['a dry run flag that is not a boolean', { cutover: { dryRun: 'yes' as never } }, 'cutover.dryRun: expected whether this is a dry run (true or false)'],
    ['a migration name with a newline', { migrationName: 'orders\nmigration' }, 'migrationName: expected a migration name of 1-64 letters'],
    ['an approver that is not an e-mail address', { approval: { approvers: ['ana'] } }, 'approval.approvers.0: expected an e-mail address'],
    ['an empty list of approvers', { approval: { approvers: [] } }, 'approval.approvers: expected at least one approver, or leave approvers out'],
    ['more approvers than the topic takes', { approval: { approvers: Array.from({ length: 21 }, (_, index) => `approver${index}@example.com`) } }, 'approval.approvers: expected at most 20 approvers'],
    ['one approver twice, in another case', { approval: { approvers: ['ana@example.com', 'Ana@Example.com'] } }, 'approval.approvers.1: Ana@Example.com is listed twice'],
    ['two approvals without approvers', { approval: { approvals: 2 } }, 'approval.approvers: approvals 2 needs at least two approvers'],
    ['two approvals from one approver', { approval: { approvers: ['ana@example.com'], approvals: 2 } }, 'approval.approvers: approvals 2 needs at least two different approvers'],
    ['three approvals', { approval: { approvers: ['ana@example.com', 'ben@example.com', 'cho@example.com'], approvals: 3 as never } }, 'approval.approvals: expected 1 or 2 (the approvals a decision needs)'],
  ])('rejects %s', (_, change, expected) => {
    expect(problemsOf({ ...migrationInput(), ...change })).toContain(expected);
  });

  it('requires TLS on both database sessions unless told otherwise, with one mode for both sides or one per side', () => {
    const database = { sourceSecretArn: 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:orders/source-AbCdEf', targetSecretArn: 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:orders/target-AbCdEf', schemas: ['orders'] };
    const tlsOf = (tls?: unknown) => {
      const config = validateMigrationInput({ ...migrationInput(), database: { ...database, ...(tls === undefined ? {} : { tls }) } });
      return [tlsModeOf(config.database!, 'source'), tlsModeOf(config.database!, 'target')];
    };
    expect(tlsOf()).toEqual(['required', 'required']);
    expect(tlsOf('disabled')).toEqual(['disabled', 'disabled']);
    expect(tlsOf({ target: 'verify-rds-ca' })).toEqual(['required', 'verify-rds-ca']);
    expect(tlsOf({ source: 'disabled', target: 'verify-rds-ca' })).toEqual(['disabled', 'verify-rds-ca']);
  });

  it('takes an allow-list of approvers, one approval unless two are asked for; without the block, anyone with the link decides', () => {
    expect(validateMigrationInput(migrationInput({ approval: { approvers: ['ana@example.com'] } })).approval).toEqual({ approvers: ['ana@example.com'], approvals: 1 });
    expect(validateMigrationInput(migrationInput({ approval: { approvers: ['ana@example.com', 'ben@example.com'], approvals: 2 } })).approval).toEqual({
      approvers: ['ana@example.com', 'ben@example.com'],
      approvals: 2,
    });
    expect(validateMigrationInput(migrationInput())).not.toHaveProperty('approval');
  });

  it('accepts a way back with its endpoints and database access, and the rollback and complete modes', () => {
    for (const mode of ['migrate', 'rollback', 'complete'] as const) {
      expect(validateMigrationInput(migrationInput({ database: DATABASE, rollback: REVERSE, mode }))).toMatchObject({ mode, rollback: { ...REVERSE, soakMinutes: 1440, emergencySkipApproval: false } });
    }
  });

  it('accepts the emergency skip of the rollback approval with mode "rollback"', () => {
    expect(validateMigrationInput(migrationInput({ database: DATABASE, rollback: { ...REVERSE, emergencySkipApproval: true }, mode: 'rollback' }))).toMatchObject({ rollback: { emergencySkipApproval: true } });
  });

  it('lists every bad field in one error', () => {
    const message = problemsOf({ ...migrationInput(), replicationTaskArn: 'nope', startPolicy: 'reload', cutover: { latencyWindowMinutes: 0 } });
    expect(message).toContain('replicationTaskArn:');
    expect(message).toContain('confirmReloadTarget:');
    expect(message).toContain('cutover.latencyWindowMinutes:');
    expect(message).not.toContain('same partition');
  });

  it('says "required" for a field that is missing, and only for one that is missing', () => {
    const { replicationTaskArn: _task, ...withoutTask } = migrationInput();
    expect(problemsOf({ ...withoutTask, target: { identifier: 'orders-aurora' } })).toBe(
      'Invalid migration input: target.type: required: expected one of: aurora-cluster, rds-instance; ' +
        `replicationTaskArn: required: expected a DMS replication task ARN (a string), or a replication config ARN: ${ENGINE_COMBINATIONS}`,
    );
    expect(problemsOf({ ...migrationInput(), replicationTaskArn: 42 })).toContain('replicationTaskArn: expected a DMS replication task ARN (a string)');
  });

  describe('the replication engine', () => {
    it('accepts a DMS Serverless replication config with its endpoints', () => {
      expect(validateMigrationInput(serverlessMigrationInput())).toMatchObject({ replicationConfigArn: REPLICATION_CONFIG_ARN });
    });

    it.each([
      ['a task and a replication config', { ...migrationInput(), replicationConfigArn: REPLICATION_CONFIG_ARN }, `replicationConfigArn: give one replication, not both: ${ENGINE_COMBINATIONS}`],
      ['a replication config with a replication instance', serverlessMigrationInput({ replicationInstanceArn: REPLICATION_INSTANCE_ARN }), 'replicationInstanceArn: not used with replicationConfigArn (DMS Serverless provisions its own capacity): remove it'],
      ['a task without its replication instance', { ...serverlessMigrationInput(), replicationConfigArn: undefined, replicationTaskArn: TASK_ARN }, 'replicationInstanceArn: required: expected a DMS replication instance ARN (a string) with replicationTaskArn'],
      ['a task ARN given as the replication config', serverlessMigrationInput({ replicationConfigArn: TASK_ARN }), 'replicationConfigArn: expected a DMS replication config ARN: arn:aws:dms:<region>:<account-id>:replication-config:<id>'],
      ['an endpoint in another account than the config', serverlessMigrationInput({ targetEndpointArn: 'arn:aws:dms:eu-west-1:999999999999:endpoint:T' }), 'targetEndpointArn: expected the same partition, region and account as the replication config (aws:eu-west-1:123456789012)'],
      ['a secret in another region than the config', serverlessMigrationInput({ database: { ...DATABASE, targetSecretArn: 'arn:aws:secretsmanager:us-east-1:123456789012:secret:orders/target-AbCdEf' } }), "database.targetSecretArn: expected a secret in the replication config's partition, region and account"],
    ])('refuses %s, naming the allowed combinations', (_case, input, message) => {
      expect(problemsOf(input)).toContain(message);
    });

    it('keeps every other field of a serverless input as it would for a task', () => {
      const { replicationTaskArn: _task, replicationInstanceArn: _instance, ...taskConfig } = validateMigrationInput(migrationInput({ database: DATABASE }));
      const { replicationConfigArn: _config, ...serverlessConfig } = validateMigrationInput(serverlessMigrationInput({ database: DATABASE }));
      expect(serverlessConfig).toEqual(taskConfig);
    });
  });

  it('rejects what is not an object at all', () => {
    expect(problemsOf(null)).toContain('(input):');
    expect(problemsOf('{"migrationName":"x"}')).toContain('(input):');
  });

  it('handler returns the config and fails with InvalidInput', async () => {
    await expect(handler(migrationInput())).resolves.toMatchObject({ startPolicy: 'auto' });
    await expect(handler({})).rejects.toMatchObject({ name: 'InvalidInput', problems: expect.arrayContaining([expect.stringMatching(/^migrationName:/)]) });
  });
});

describe('validate-input properties', () => {
  const id = fc.stringMatching(/^[A-Z0-9]{26}$/);
  const scope = fc.record({
    partition: fc.constantFrom('aws', 'aws-cn', 'aws-us-gov'),
    region: fc.constantFrom('eu-west-1', 'us-east-1', 'ap-southeast-2', 'us-gov-west-1'),
    account: fc.stringMatching(/^\d{12}$/),
  });
  // Arbitraries are built once: building them inside chain() would recompile their patterns on every run.
  const migrationName = fc.stringMatching(/^[A-Za-z0-9][A-Za-z0-9 ._-]{0,63}$/);
  const target = fc.record({ type: fc.constantFrom('aurora-cluster' as const, 'rds-instance' as const), identifier: fc.stringMatching(/^[a-z](-?[a-z0-9]){0,30}$/) });
  const validation = fc.record({ requireDmsValidation: fc.boolean(), maxWaitMinutes: fc.integer({ min: 1, max: 10080 }) }, { requiredKeys: [] });
  const cutover = fc.record(
    {
      maxCdcLatencySeconds: fc.integer({ min: 0, max: 3600 }),
      latencyWindowMinutes: fc.integer({ min: 1, max: 60 }),
      approvalRequired: fc.boolean(),
      snapshotBeforeCutover: fc.boolean(),
      endpointParameterName: fc.stringMatching(/^\/apps\/[a-z0-9_.-]{1,30}(\/[a-z0-9_.-]{1,20}){0,2}$/),
    },
    { requiredKeys: [] },
  );
  const secretName = fc.stringMatching(/^[a-z][a-z0-9/_-]{0,20}-[A-Za-z0-9]{6}$/);
  const schemas = fc.array(fc.stringMatching(/^[a-z_][a-z0-9_]{0,20}$/), { minLength: 1, maxLength: 4 });
  const tlsMode = fc.constantFrom(...TLS_MODES);
  const approvers = fc.uniqueArray(fc.stringMatching(/^[a-z]([a-z0-9]|[._-][a-z0-9]){0,10}@(example\.com|corp\.example\.org)$/), { minLength: 2, maxLength: 6, selector: (address) => address.toLowerCase() });
  const approval = fc.record({ approvers, approvals: fc.constantFrom(1 as const, 2 as const) }, { requiredKeys: ['approvers'] });
  const validInput = scope.chain(({ partition, region, account }) => {
    const arn = (type: string) => id.map((resourceId) => `arn:${partition}:dms:${region}:${account}:${type}:${resourceId}`);
    const secretArn = secretName.map((name) => `arn:${partition}:secretsmanager:${region}:${account}:secret:${name}`);
    return fc.record(
      {
        migrationName,
        replicationTaskArn: arn('task'),
        sourceEndpointArn: arn('endpoint').map((value) => `${value}S`),
        targetEndpointArn: arn('endpoint').map((value) => `${value}T`),
        replicationInstanceArn: arn('rep'),
        target,
        startPolicy: fc.constantFrom('auto' as const, 'resume' as const),
        database: fc.record(
          { sourceSecretArn: secretArn, targetSecretArn: secretArn, schemas, tls: fc.oneof(tlsMode, fc.record({ source: tlsMode, target: tlsMode }, { requiredKeys: [] })) },
          { requiredKeys: ['sourceSecretArn', 'targetSecretArn', 'schemas'] },
        ),
        validation,
        cutover,
        approval,
      },
      { requiredKeys: ['migrationName', 'replicationTaskArn', 'sourceEndpointArn', 'targetEndpointArn', 'replicationInstanceArn', 'target'] },
    );
  });

  it('accepts generated valid inputs, keeps their values, and the result validates again unchanged', () => {
    fc.assert(
      fc.property(validInput, (input) => {
        const config = validateMigrationInput(input);
        expect(migrationInputSchema.parse(config)).toEqual(config);
        expect(config).toMatchObject(input);
      }),
      { numRuns: 200 },
    );
  });

  /** One way to break one field, and the path the error must name. */
  const mutation = fc.oneof(
    fc.record({ path: fc.constantFrom('replicationTaskArn', 'sourceEndpointArn', 'targetEndpointArn', 'replicationInstanceArn', 'migrationName'), value: fc.oneof(fc.integer(), fc.constant(null), fc.boolean(), fc.constant(''), fc.constant('arn:aws:s3:::bucket')) }),
    fc.record({ path: fc.constantFrom('replicationTaskArn'), value: id.map((resourceId) => `arn:aws:dms:eu-west-1:123456789012:rep:${resourceId}`) }),
    fc.record({ path: fc.constantFrom('startPolicy'), value: fc.oneof(fc.string().filter((text) => !['auto', 'resume', 'reload'].includes(text)), fc.integer()) }),
    fc.record({ path: fc.constantFrom('target.identifier'), value: fc.oneof(fc.constant('1starts-with-digit'), fc.constant('has_underscore'), fc.constant('x'.repeat(64)), fc.integer()) }),
    fc.record({ path: fc.constantFrom('cutover.maxCdcLatencySeconds'), value: fc.oneof(fc.integer({ max: -1 }), fc.integer({ min: 3601 }), fc.double({ min: 0.1, max: 0.9, noNaN: true }), fc.string()) }),
    fc.record({ path: fc.constantFrom('cutover.latencyWindowMinutes'), value: fc.oneof(fc.integer({ max: 0 }), fc.integer({ min: 61 })) }),
    fc.record({ path: fc.constantFrom('validation.maxWaitMinutes'), value: fc.oneof(fc.integer({ max: 0 }), fc.integer({ min: 10081 })) }),
    fc.record({ path: fc.constantFrom('cutover.approvalRequired', 'validation.requireDmsValidation', 'confirmReloadTarget'), value: fc.oneof(fc.string(), fc.integer(), fc.constant(null)) }),
    fc.record({ path: fc.constantFrom('cutover.endpointParameterName'), value: fc.oneof(fc.constant('has space'), fc.constant('/ssm/x'), fc.constant('trailing/'), fc.constant('')) }),
    fc.record({ path: fc.constantFrom('database.sourceSecretArn', 'database.targetSecretArn'), value: fc.oneof(fc.constant('plain-name'), fc.constant('arn:aws:ssm:eu-west-1:123456789012:parameter/x'), fc.integer()) }),
    fc.record({ path: fc.constantFrom('database.schemas'), value: fc.oneof(fc.constant([]), fc.constant('orders'), fc.constant(null)) }),
    fc.record({ path: fc.constantFrom('database.tls'), value: fc.oneof(fc.constantFrom('verify-ca', 'REQUIRED', 'none', ''), fc.boolean(), fc.constant({ source: 'off' }), fc.constant({ replica: 'required' })) }),
    fc.record({ path: fc.constantFrom('approval.approvers'), value: fc.oneof(fc.constant([]), fc.constant('ana@example.com'), fc.constant(null)) }),
    fc.record({ path: fc.constantFrom('approval.approvals'), value: fc.oneof(fc.constant(0), fc.constant(3), fc.constant('2')) }),
    fc.record({ path: fc.constantFrom('startpolicy', 'cutover.maxLatency', 'target.kind', 'database.password', 'approval.approver'), value: fc.constant('unexpected') }),
  );

  function applyMutation(input: Record<string, unknown>, path: string, value: unknown): Record<string, unknown> {
    const copy = structuredClone(input);
    const keys = path.split('.');
    let node = copy;
    for (const key of keys.slice(0, -1)) node = (node[key] ??= {}) as Record<string, unknown>;
    node[keys[keys.length - 1]] = value;
    return copy;
  }

  it('rejects generated malformed inputs with a message naming the broken field', () => {
    fc.assert(
      fc.property(validInput, fc.array(mutation, { minLength: 1, maxLength: 3 }), (input, mutations) => {
        const broken = mutations.reduce((current, { path, value }) => applyMutation(current, path, value), input as Record<string, unknown>);
        const message = problemsOf(broken);
        for (const { path } of mutations) {
          const parent = path.split('.').slice(0, -1).join('.');
          const key = path.split('.').pop() as string;
          // An unknown key is reported on its parent object, naming the key; a bad value on its own path.
          expect(message.includes(`${path}:`) || message.includes(`${parent || '(input)'}: Unrecognized key: "${key}"`)).toBe(true);
        }
      }),
      { numRuns: 300 },
    );
  });
});
