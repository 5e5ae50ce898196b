import * as path from 'node:path';
import { App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { loadDeploymentConfig } from './config';
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
const config = loadDeploymentConfig(configPath);

new MigrationStack(app, config.stackName, {
  config,
  env: { account: config.account, region: config.region },
  description: `dms-orchestrator: ${config.migration.migrationName}`,
});
Validations.of(app).addPlugins(new AwsSolutionsChecks(app, { verbose: true }));
app.synth();
