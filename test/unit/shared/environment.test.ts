import { ConfigurationError } from '../../../functions/shared/errors';
import { ENVIRONMENT, requireNumber, requireString } from '../../../functions/shared/environment';

describe('environment readers', () => {
  const saved = { ...process.env };
  afterEach(() => {
    process.env = { ...saved };
  });

  it('reads a variable the stack set', () => {
    process.env[ENVIRONMENT.tokenTableName] = 'orders-migration-tokens';
    expect(requireString(ENVIRONMENT.tokenTableName)).toBe('orders-migration-tokens');
  });

  it('refuses a missing or empty variable, naming it', () => {
    delete process.env[ENVIRONMENT.topicArn];
    expect(() => requireString(ENVIRONMENT.topicArn)).toThrow(new ConfigurationError('Environment variable TOPIC_ARN is not set'));
    process.env[ENVIRONMENT.topicArn] = '';
    expect(() => requireString(ENVIRONMENT.topicArn)).toThrow(ConfigurationError);
  });

  it('reads a number', () => {
    process.env[ENVIRONMENT.approvalTimeoutSeconds] = '86400';
    expect(requireNumber(ENVIRONMENT.approvalTimeoutSeconds)).toBe(86400);
  });

  it.each(['twenty-five', '25%', ' ', 'NaN', 'Infinity'])('refuses %j where a number belongs', (text) => {
    process.env[ENVIRONMENT.progressMilestonePercent] = text;
    expect(() => requireNumber(ENVIRONMENT.progressMilestonePercent)).toThrow(
      new ConfigurationError(`Environment variable PROGRESS_MILESTONE_PERCENT must be a number, got "${text}"`),
    );
  });
});
