import 'aws-sdk-client-mock-jest';

// Handlers log through Powertools; tests read results, not log lines.
process.env.POWERTOOLS_LOG_LEVEL ??= 'SILENT';
// This machine runs Node.js 20; the deployed functions run Node.js 24. The SDK's upgrade notice is noise here.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';
// Fakes answer every call; the SDK must never look for real credentials or a region.
process.env.AWS_REGION ??= 'eu-west-1';
process.env.AWS_ACCESS_KEY_ID ??= 'test';
process.env.AWS_SECRET_ACCESS_KEY ??= 'test';
