import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { Template } from 'aws-cdk-lib/assertions';
import type { SynthesizedWorkflow } from '../../local/workflow/synthesize';

/**
 * Synthesizing the stack costs a test file seconds of CPU, most of them CDK's built-in CloudFormation validation,
 * whose engine each test file loads afresh; and several test files execute the same deployment (both runs of each
 * engine's paths, the wave's stacks, the cutover's). The sources cannot change during one jest run, so each
 * deployment is synthesized, and validated, once per run: the first test file to need it writes it to the run's
 * directory, the others read it back. jest's globalSetup makes the directory and its globalTeardown removes it
 * (jest.config.js); without one (a test run by other means), every call synthesizes.
 */
const MEMO_DIRECTORY_VARIABLE = 'DMS_ORCHESTRATOR_TEST_SYNTHESES';

type StoredWorkflow = Omit<SynthesizedWorkflow, 'template'> & { template: Record<string, unknown> };

export function synthesizedOncePerRun(deployment: unknown, synthesize: (deployment: unknown) => SynthesizedWorkflow): SynthesizedWorkflow {
  const directory = process.env[MEMO_DIRECTORY_VARIABLE];
  if (!directory) return synthesize(deployment);
  const file = path.join(directory, `${createHash('sha256').update(JSON.stringify(deployment)).digest('hex')}.json`);
  if (existsSync(file)) {
    const { template, ...workflow } = JSON.parse(readFileSync(file, 'utf8')) as StoredWorkflow;
    return { ...workflow, template: Template.fromJSON(template) };
  }
  const synthesized = synthesize(deployment);
  const stored: StoredWorkflow = { ...synthesized, template: synthesized.template.toJSON() };
  // Two test files may synthesize the same deployment at once: each writes whole, the rename makes one of them the file.
  const partial = `${file}.${process.pid}`;
  writeFileSync(partial, JSON.stringify(stored));
  renameSync(partial, file);
  return synthesized;
}

/** jest's globalSetup: the run's directory, named to the test files (jest starts its workers after this). */
export function startRunMemo(): void {
  process.env[MEMO_DIRECTORY_VARIABLE] = mkdtempSync(path.join(tmpdir(), 'dms-orchestrator-syntheses-'));
}

/** jest's globalTeardown. */
export function removeRunMemo(): void {
  const directory = process.env[MEMO_DIRECTORY_VARIABLE];
  if (directory) rmSync(directory, { recursive: true, force: true });
}
