import * as z from 'zod/mini';
import { migrationInputSchema, migrationSlug } from './migration-input';
import './zod-messages';

/**
 * A wave's execution input: a named list of migrations, each exactly a migration's input and the state machine
 * of its stack (`<stack name>-migration`), started as one execution. The wave prepares them (each its own child
 * execution, up to "ready for cutover"), asks one person once, then cuts the approved ones over in
 * `cutoverOrder`, `cutoverConcurrency` at a time, each a child execution again: no execution's history or
 * payload grows with the wave.
 */
export const MAX_WAVE_MIGRATIONS = 100;

const stateMachineArn = z
  .string({ error: 'expected a state machine ARN (a string)' })
  .check(z.regex(/^arn:(aws|aws-cn|aws-us-gov):states:[a-z]{2}(-[a-z]+)+-\d:\d{12}:stateMachine:[A-Za-z0-9_-]{1,80}$/, { error: 'expected a state machine ARN: arn:aws:states:<region>:<account-id>:stateMachine:<stack name>-migration' }));

const waveMigration = z.strictObject({
  /** The migration stack's state machine: the wave starts its executions. */
  stateMachineArn,
  /** The migration's execution input, as one migration is started (its mode is the wave's to set). */
  input: z.record(z.string(), z.unknown()),
});

export const WAVE_MODES = ['migrate', 'rollback'] as const;

/** Step Functions runs at most 40 iterations of an inline Map at once (the preparation's and the window's Maps). */
export const INLINE_MAP_MAX_CONCURRENCY = 40;

const waveInputShape = z.strictObject({
  waveName: z.string({ error: 'expected a wave name (a string)' }).check(
    z.regex(/^[A-Za-z0-9][A-Za-z0-9 ._-]{0,63}$/, { error: 'expected a wave name of 1-64 letters, digits, spaces, dots, underscores or hyphens' }),
  ),
  migrations: z.array(waveMigration).check(
    z.minLength(1, { error: 'expected at least one migration' }),
    z.maxLength(MAX_WAVE_MIGRATIONS, { error: `expected at most ${MAX_WAVE_MIGRATIONS} migrations in one wave` }),
  ),
  /** How many migrations are prepared at once (each a child execution with its own DMS task). */
  maxConcurrentMigrations: z._default(z.int().check(z.minimum(1), z.maximum(INLINE_MAP_MAX_CONCURRENCY)), 5),
  /** All or nothing: one migration not ready for cutover ends the wave without cutting any over. */
  requireAll: z._default(z.boolean(), false),
  /** The order of the cutover window, by migration name; the migrations left out follow in the wave's order. */
  cutoverOrder: z.optional(z.array(z.string())),
  /**
   * How many approved migrations cut over at once (and roll back, or dry-run): 1, one after another in
   * cutoverOrder; more, in groups of that many taken in cutoverOrder, each group started together and the next
   * once the whole group has ended. At most 40: an inline Map runs at most 40 iterations at once.
   */
  cutoverConcurrency: z._default(z.int().check(z.minimum(1), z.maximum(INLINE_MAP_MAX_CONCURRENCY)), 1),
  /**
   * The first failed cutover halts the rest, which stay on their source: nothing starts after it, and the
   * cutovers of its group already under way run to their end.
   */
  stopOnFirstCutoverFailure: z._default(z.boolean(), true),
  /** Every migration's cutover checks run (gate, freeze, catch-up proof) without switching anything. */
  dryRun: z._default(z.boolean(), false),
  /** migrate: prepare, approve, cut over; rollback: approve once, then roll each back in reverse cutover order. */
  mode: z._default(z.enum(WAVE_MODES), 'migrate'),
});

export type WaveInput = z.input<typeof waveInputShape>;

/** One migration of a validated wave: what the wave's states pass to its child executions. */
export interface WaveMigration {
  name: string;
  stateMachineArn: string;
  input: Record<string, unknown>;
  /** The base of its child executions' names (`<base>-prepare`, `-cutover`, `-rollback`): unique per state machine for 90 days. */
  executionName: string;
}

export interface WaveConfig {
  waveName: string;
  mode: (typeof WAVE_MODES)[number];
  maxConcurrentMigrations: number;
  requireAll: boolean;
  cutoverConcurrency: number;
  stopOnFirstCutoverFailure: boolean;
  dryRun: boolean;
  /** In the wave's order, for the preparation. */
  migrations: WaveMigration[];
  /** The migrations' names, in the same order; and as the approval lists them when every one is asked about (a rollback). */
  names: string[];
  everyMigration: Array<{ name: string }>;
  rollingBack: boolean;
  /** Indexes into `migrations`, in the order of the cutover window (a rollback goes the other way). */
  cutoverSequence: number[];
}

/**
 * The wave with every migration's input checked as its own execution would check it, so a wave never starts
 * half its migrations before finding a typo in the last. Child execution names are made here: Step Functions
 * names are at most 80 characters of letters, digits, hyphens and underscores.
 */
export function parseWave(input: z.output<typeof waveInputShape>, waveExecutionName: string): { wave: WaveConfig; problems: string[] } {
  const problems: string[] = [];
  const names: string[] = [];
  const stateMachines = new Map<string, string>();
  input.migrations.forEach((migration, index) => {
    const parsed = migrationInputSchema.safeParse(migration.input);
    if (!parsed.success) {
      for (const issue of parsed.error.issues) problems.push(`migrations.${index}.input.${issue.path.join('.')}: ${issue.message}`);
      names.push(String(migration.input.migrationName ?? `#${index + 1}`));
      return;
    }
    const { migrationName, mode } = parsed.data;
    if (mode !== 'migrate') problems.push(`migrations.${index}.input.mode: the wave sets each run's mode; leave it out (got "${mode}")`);
    if (names.includes(migrationName)) problems.push(`migrations.${index}.input.migrationName: "${migrationName}" is in the wave twice`);
    const other = stateMachines.get(migration.stateMachineArn);
    // One stack, one migration: two entries on one state machine would share its run lock and its roles.
    if (other !== undefined) problems.push(`migrations.${index}.stateMachineArn: the state machine of "${other}" too; each migration has its own stack`);
    stateMachines.set(migration.stateMachineArn, migrationName);
    names.push(migrationName);
  });
  const order = input.cutoverOrder ?? [];
  for (const [position, name] of order.entries()) {
    if (!names.includes(name)) problems.push(`cutoverOrder.${position}: "${name}" is not a migration of the wave`);
    if (order.indexOf(name) !== position) problems.push(`cutoverOrder.${position}: "${name}" is listed twice`);
  }
  const ordered = [...order.filter((name) => names.includes(name)), ...names.filter((name) => !order.includes(name))];
  const prefix = childNamePart(waveExecutionName, 40);
  const migrations = input.migrations.map((migration, index): WaveMigration => {
    // A dry run of the wave is each migration's dry run: its cutover checks, nothing switched.
    const cutover = { ...(migration.input.cutover as Record<string, unknown> | undefined), ...(input.dryRun ? { dryRun: true } : {}) };
    return {
      name: names[index],
      stateMachineArn: migration.stateMachineArn,
      input: { ...migration.input, cutover },
      executionName: `${prefix}-${index + 1}-${childNamePart(migrationSlug(names[index]), 24)}`,
    };
  });
  return {
    wave: {
      waveName: input.waveName,
      mode: input.mode,
      maxConcurrentMigrations: input.maxConcurrentMigrations,
      requireAll: input.requireAll,
      cutoverConcurrency: input.cutoverConcurrency,
      stopOnFirstCutoverFailure: input.stopOnFirstCutoverFailure,
      dryRun: input.dryRun,
      migrations,
      names,
      everyMigration: names.map((name) => ({ name })),
      rollingBack: input.mode === 'rollback',
      cutoverSequence: [...new Set(ordered)].map((name) => names.indexOf(name)),
    },
    problems,
  };
}

function childNamePart(text: string, length: number): string {
  return text.replace(/[^A-Za-z0-9_-]+/g, '-').slice(0, length).replace(/-+$/, '') || 'x';
}

export const waveInputSchema = waveInputShape;
