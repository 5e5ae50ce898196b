import { Logger } from '@aws-lambda-powertools/logger';

/**
 * One structured logger for every function. Handlers log decisions and resource identifiers, never the
 * execution input as a whole, credentials or secret values.
 */
export const logger = new Logger({ serviceName: 'dms-orchestrator' });
