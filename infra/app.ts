import * as path from 'node:path';
import { App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { DeploymentConfigError, loadDeploymentConfig, type DeploymentConfig } from './config';
import { MigrationStack } from './migration-stack';
import { loadWaveDeployment, type WaveDeployment } from './wave-config';
import { WaveStack } from './wave-stack';

/**
 * CDK entry point. A migration's config comes from `-c config=FILE` (or DMS_ORCHESTRATOR_CONFIG), a wave
 * deployment from `-c wave=FILE` (or DMS_ORCHESTRATOR_WAVE); given both, both stacks are synthesized (deploy
 * them with `--all` or by name). Without either, the example migration is synthesized, so `npm run synth` works
 * offline on a fresh clone; with only a wave, only the wave stack. Account and region come from the files,
 * never from lookups.
 */
const app = new App();
const wavePath: string | undefined = app.node.tryGetContext('wave') ?? process.env.DMS_ORCHESTRATOR_WAVE;
const configPath: string | undefined =
  app.node.tryGetContext('config') ?? process.env.DMS_ORCHESTRATOR_CONFIG ?? (wavePath ? undefined : path.join(__dirname, '..', 'examples', 'orders-to-aurora.json'));

// Both files are read before either is refused, so one run names every problem.
const problems: string[] = [];
function load<T>(file: string | undefined, loader: (file: string) => T): T | undefined {
  if (file === undefined) return undefined;
  try {
    return loader(file);
  } catch (error) {
    if (!(error instanceof DeploymentConfigError)) throw error;
    problems.push(error.message);
    return undefined;
  }
}
const config: DeploymentConfig | undefined = load(configPath, loadDeploymentConfig);
const wave: WaveDeployment | undefined = load(wavePath, loadWaveDeployment);
if (config && wave && config.stackName === wave.stackName) {
  problems.push(`The wave deployment ${wavePath} names stack "${wave.stackName}", as the deployment config ${configPath} does: give the wave stack a name of its own`);
}
if (problems.length > 0) {
  // The messages are the whole story (file, fields, what to write): a stack trace around them would only bury them.
  process.stderr.write(`${problems.join('\n')}\n`);
  process.exit(1);
}

if (config) {
  new MigrationStack(app, config.stackName, {
    config,
    env: { account: config.account, region: config.region },
    description: `dms-orchestrator: ${config.migration.migrationName}`,
  });
}
if (wave) {
  new WaveStack(app, wave.stackName, {
    deployment: wave,
    env: { account: wave.account, region: wave.region },
    description: `dms-orchestrator: waves over ${wave.migrationStackNames.length} migration stacks`,
  });
}
Validations.of(app).addPlugins(new AwsSolutionsChecks(app, { verbose: true }));
app.synth();
