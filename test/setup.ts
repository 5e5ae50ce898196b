import 'aws-sdk-client-mock-jest';

// Handlers log through Powertools; tests read results, not log lines.
process.env.POWERTOOLS_LOG_LEVEL ??= 'SILENT';
