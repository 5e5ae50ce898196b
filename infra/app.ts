import * as path from 'node:path';
import { App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { DeploymentConfigError, loadDeploymentConfig, type DeploymentConfig } from './config';
import { MigrationStack } from './migration-stack';

/**
 * CDK entry point. The config file comes from `-c config=FILE` (or DMS_ORCHESTRATOR_CONFIG); without one the
 * example migration is synthesized, so `npm run synth` works offline on a fresh clone. Account and region come
 * from the config, never from lookups.
 */
const app = new App();
const configPath =
  app.node.tryGetContext('config') ??
  process.env.DMS_ORCHESTRATOR_CONFIG ??
  path.join(__dirname, '..', 'examples', 'orders-to-aurora.json');
let config: DeploymentConfig;
try {
  config = loadDeploymentConfig(configPath);
} catch (error) {
  if (!(error instanceof DeploymentConfigError)) throw error;
  // The message is the whole story (file, fields, what to write): a stack trace around it would only bury it.
  process.stderr.write(`${error.message}\n`);
  process.exit(1);
}

new MigrationStack(app, config.stackName, {
  config,
  env: { account: config.account, region: config.region },
  description: `dms-orchestrator: ${config.migration.migrationName}`,
});
Validations.of(app).addPlugins(new AwsSolutionsChecks(app, { verbose: true }));
app.synth();
