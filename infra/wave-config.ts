import { RegionInfo } from 'aws-cdk-lib/region-info';
import * as z from 'zod/mini';
import { parseWave, waveInputSchema } from '../functions/shared/wave-input';
import { KEEP_ISSUE_INPUT, problemMessage } from '../functions/shared/zod-messages';
import { loadDeploymentFile, stackFields, stackName } from './config';
import { migrationStateMachineName } from './constructs/migration-orchestrator';
import { scheduleSchema } from './deployment-options';

/**
 * A wave deployment: the wave stack's own file (`-c wave=FILE`), beside the migration stacks' configs. It names
 * the migration stacks its waves may start and who gets its e-mails, and may start one wave on a schedule.
 */
const waveDeploymentFields = z.strictObject({
  ...stackFields,
  /** The migration stacks a wave may start (their state machines `<stack name>-migration`), and no other. */
  migrationStackNames: z.array(stackName).check(z.minLength(1, { error: 'expected at least one migration stack name' })),
  approvalTimeoutHours: z._default(
    z.int({ error: 'expected the wave approval timeout in hours (a whole number from 1 to 168)' }).check(
      z.minimum(1, { error: 'expected at least 1 hour for the wave approval' }),
      z.maximum(168, { error: 'expected at most 168 hours (a week) for the wave approval' }),
    ),
    24,
  ),
  /**
   * Start a wave on a schedule (EventBridge Scheduler): when, and the wave's execution input, exactly as
   * `dms-orchestrator start --wave` takes it. @default none: started by hand
   */
  schedule: z.optional(z.extend(scheduleSchema, { wave: z.unknown() })),
});

/**
 * The scheduled wave is checked as its execution would check it (its input schema, then every migration's
 * input), and each migration must be a state machine of the listed stacks in this account and region: the
 * wave's role may start no other, so anything else would fail at the scheduled hour instead of at synth.
 */
function scheduledWaveProblems(fields: z.output<typeof waveDeploymentFields>): Array<{ path: PropertyKey[]; message: string }> {
  if (typeof fields.schedule !== 'object' || fields.schedule === null) return [];
  const at = (path: PropertyKey[]) => ['schedule', 'wave', ...path];
  const input = waveInputSchema.safeParse(fields.schedule.wave, KEEP_ISSUE_INPUT);
  if (!input.success) return input.error.issues.map((issue) => ({ path: at(issue.path), message: problemMessage(issue) }));
  // parseWave's problems carry their own path within the wave ("migrations.0.input.mode: ..."). The execution
  // name only prefixes the child executions' names; Step Functions names each scheduled run itself.
  const problems = parseWave(input.data, 'scheduled').problems.map((problem) => ({ path: at([]), message: problem }));
  // Fields that failed their own schema arrive as they were written, and are reported on their own.
  const where = z.safeParse(z.object({ account: stackFields.account, region: stackFields.region, migrationStackNames: waveDeploymentFields.shape.migrationStackNames }), fields);
  if (!where.success) return problems;
  const { account, region } = where.data;
  const allowed = where.data.migrationStackNames.map(migrationStateMachineName);
  const partition = RegionInfo.get(region).partition;
  input.data.migrations.forEach(({ stateMachineArn }, index) => {
    const [, arnPartition, arnRegion, arnAccount, name] = /^arn:([^:]+):states:([^:]+):([^:]+):stateMachine:(.+)$/.exec(stateMachineArn) ?? [];
    if ((partition === undefined || arnPartition === partition) && arnRegion === region && arnAccount === account && allowed.includes(name)) return;
    problems.push({
      path: at(['migrations', index, 'stateMachineArn']),
      message: `not a state machine this wave may start: expected arn:${partition ?? '<partition>'}:states:${region}:${account}:stateMachine:<one of ${allowed.join(', ')}> (the stacks in migrationStackNames)`,
    });
  });
  return problems;
}

export const waveDeploymentSchema = z.pipe(
  waveDeploymentFields.check(
    z.superRefine(
      (fields, context) => {
        for (const { path, message } of scheduledWaveProblems(fields)) context.addIssue({ code: 'custom', path, message });
      },
      // zod skips an object's checks once a field has the wrong type (or is missing) unless told otherwise.
      { when: () => true },
    ),
  ),
  // Reached only when every check passed: the scheduled wave is a valid wave input.
  z.transform((fields) => ({ ...fields, schedule: fields.schedule && { ...fields.schedule, wave: z.parse(waveInputSchema, fields.schedule.wave) } })),
);
export type WaveDeployment = z.output<typeof waveDeploymentSchema>;

export function loadWaveDeployment(path: string): WaveDeployment {
  return loadDeploymentFile(path, 'wave deployment', waveDeploymentSchema);
}
