import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { synthesisContext } from './synthesized-workflow';

export interface AwsSolutionsReport {
  violations: Array<{ ruleName: string; severity: string; violatingConstructs: Array<{ constructPath: string }> }>;
  suppressedViolations: Array<{ ruleName: string; acknowledgedId: string; reason?: string }>;
}

/**
 * Synthesizes the stacks `build` adds the way `cdk synth` does (infra/app.ts): cdk-nag 3 is a validation
 * plugin, so its findings land in the synthesis validation report, errors and warnings alike, next to the
 * acknowledged ones with their reasons. Synthesis fails on an unacknowledged error; the report is written either way.
 */
export function awsSolutionsReport(build: (app: App) => void): AwsSolutionsReport {
  const outdir = mkdtempSync(path.join(tmpdir(), 'dms-nag-'));
  try {
    const app = new App({ outdir, context: synthesisContext() });
    build(app);
    Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
    try {
      app.synth();
    } catch {
      // Read from the report below, which names every finding.
    }
    const report = JSON.parse(readFileSync(path.join(outdir, 'validation-report.json'), 'utf8')) as { pluginReports: Array<AwsSolutionsReport & { pluginName: string }> };
    const [awsSolutions] = report.pluginReports.filter((plugin) => plugin.pluginName === 'AwsSolutions');
    return awsSolutions;
  } finally {
    rmSync(outdir, { recursive: true, force: true });
  }
}

/** Each unacknowledged finding as one line: its severity, rule and the constructs it names. */
export function unacknowledgedFindings(report: AwsSolutionsReport): string[] {
  return report.violations.map((violation) => `${violation.severity} ${violation.ruleName}: ${violation.violatingConstructs.map((construct) => construct.constructPath).join(', ')}`);
}
