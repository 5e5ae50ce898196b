import { S3Client } from '@aws-sdk/client-s3';
import * as z from 'zod/mini';
import { runIdSchema } from '../shared/data-comparison/comparison-run';
import { ENVIRONMENT, requireString } from '../shared/environment';
import { phaseHandler } from '../shared/handler';
import { configEventSchema, independentValidationSettings } from '../shared/migration-input';
import { reportDataComparison } from './report-data-comparison';
import { databaseNetworkClient } from '../shared/network-clients';

const s3 = databaseNetworkClient(S3Client);
const bucket = requireString(ENVIRONMENT.plansBucket);
const eventSchema = z.extend(configEventSchema, { runId: runIdSchema, tableCount: z.int().check(z.minimum(0)) });

export const handler = phaseHandler('report-data-comparison', eventSchema, ({ config, runId, tableCount }) => {
  const { maxReportedKeys } = z.parse(independentValidationSettings, config.independentValidation ?? {});
  return reportDataComparison(s3, bucket, { runId, tableCount, maxReportedKeys });
});
