import { conditionHolds, UnsupportedConditionOperatorError, type ConditionBlock } from '../../../../local/iam';

const holds = (condition: Record<string, Record<string, string | string[]>>, context: Record<string, string | string[]>) =>
  conditionHolds(Object.fromEntries(Object.entries(condition).map(([operator, keys]) => [operator, Object.fromEntries(Object.entries(keys).map(([key, values]) => [key, [values].flat()]))])) as ConditionBlock, context);

describe('IAM condition operators', () => {
  // IAM User Guide, "Conditions with multiple context keys or values": operators and keys AND, values OR,
  // a negated operator's values NOR.
  it('ANDs operators and keys, ORs one key’s values', () => {
    const condition = { StringEquals: { 'aws:PrincipalTag/department': ['finance', 'hr', 'legal'], 'aws:PrincipalTag/role': ['audit', 'security'] } };
    expect(holds(condition, { 'aws:PrincipalTag/department': 'hr', 'aws:PrincipalTag/role': 'audit' })).toBe(true);
    expect(holds(condition, { 'aws:PrincipalTag/department': 'hr', 'aws:PrincipalTag/role': 'developer' })).toBe(false);
    expect(holds(condition, { 'aws:PrincipalTag/department': 'hr' })).toBe(false);
  });

  it('NORs a negated operator’s values, and holds a negated operator when the key is missing', () => {
    const condition = { StringNotEquals: { 'aws:PrincipalTag/role': ['audit', 'security'] } };
    expect(holds(condition, { 'aws:PrincipalTag/role': 'audit' })).toBe(false);
    expect(holds(condition, { 'aws:PrincipalTag/role': 'developer' })).toBe(true);
    expect(holds(condition, {})).toBe(true);
  });

  it('fails a non-negated operator whose key is missing, unless it is ...IfExists', () => {
    expect(holds({ StringEquals: { 'aws:ResourceTag/env': 'prod' } }, {})).toBe(false);
    expect(holds({ StringEqualsIfExists: { 'aws:ResourceTag/env': 'prod' } }, {})).toBe(true);
    expect(holds({ StringEqualsIfExists: { 'aws:ResourceTag/env': 'prod' } }, { 'aws:ResourceTag/env': 'dev' })).toBe(false);
  });

  it('tests presence with Null', () => {
    expect(holds({ Null: { 'aws:TokenIssueTime': 'true' } }, {})).toBe(true);
    expect(holds({ Null: { 'aws:TokenIssueTime': 'true' } }, { 'aws:TokenIssueTime': '2026-11-24T09:00:00Z' })).toBe(false);
    expect(holds({ Null: { 'aws:TokenIssueTime': 'false' } }, { 'aws:TokenIssueTime': '2026-11-24T09:00:00Z' })).toBe(true);
  });

  it('compares strings exactly, ignoring case, or with wildcards', () => {
    expect(holds({ StringEquals: { 'aws:ResourceTag/env': 'Prod' } }, { 'aws:ResourceTag/env': 'prod' })).toBe(false);
    expect(holds({ StringEqualsIgnoreCase: { 'aws:ResourceTag/env': 'Prod' } }, { 'aws:ResourceTag/env': 'prod' })).toBe(true);
    expect(holds({ StringNotEqualsIgnoreCase: { 'aws:ResourceTag/env': 'Prod' } }, { 'aws:ResourceTag/env': 'prod' })).toBe(false);
    expect(holds({ StringLike: { 's3:prefix': ['home/', 'home/David/*'] } }, { 's3:prefix': 'home/David/photos' })).toBe(true);
    expect(holds({ StringLike: { 's3:prefix': 'home/?/x' } }, { 's3:prefix': 'home/ab/x' })).toBe(false);
    expect(holds({ StringNotLike: { 's3:prefix': 'home/*' } }, { 's3:prefix': 'tmp/file' })).toBe(true);
  });

  it('reads condition key names case-insensitively', () => {
    expect(holds({ StringEquals: { 'AWS:RESOURCETAG/Env': 'prod' } }, { 'aws:ResourceTag/env': 'prod' })).toBe(true);
  });

  it('compares numbers, dates and booleans by their value', () => {
    expect(holds({ NumericLessThanEquals: { 's3:max-keys': '10' } }, { 's3:max-keys': '10' })).toBe(true);
    expect(holds({ NumericLessThan: { 's3:max-keys': '10' } }, { 's3:max-keys': '10' })).toBe(false);
    expect(holds({ NumericGreaterThan: { 's3:max-keys': '10' } }, { 's3:max-keys': 'ten' })).toBe(false);
    expect(holds({ DateGreaterThan: { 'aws:CurrentTime': '2026-01-01T00:00:00Z' } }, { 'aws:CurrentTime': '2026-11-24T09:00:00Z' })).toBe(true);
    expect(holds({ DateLessThan: { 'aws:EpochTime': '1767225600' } }, { 'aws:EpochTime': '2025-06-01T00:00:00Z' })).toBe(true);
    expect(holds({ Bool: { 'aws:SecureTransport': 'true' } }, { 'aws:SecureTransport': 'TRUE' })).toBe(true);
    expect(holds({ Bool: { 'aws:SecureTransport': 'false' } }, { 'aws:SecureTransport': 'true' })).toBe(false);
  });

  it('compares ARNs component by component with ArnLike and ArnEquals', () => {
    const condition = { ArnLike: { 'aws:SourceArn': 'arn:aws:sns:*:123456789012:*' } };
    expect(holds(condition, { 'aws:SourceArn': 'arn:aws:sns:eu-west-1:123456789012:alarms' })).toBe(true);
    expect(holds(condition, { 'aws:SourceArn': 'arn:aws:sns:eu-west-1:210987654321:alarms' })).toBe(false);
    expect(holds({ ArnNotEquals: { 'aws:SourceArn': 'arn:aws:sns:*:123456789012:*' } }, { 'aws:SourceArn': 'arn:aws:sns:eu-west-1:210987654321:x' })).toBe(true);
  });

  describe('on multivalued keys', () => {
    // IAM User Guide, "Set operators for multivalued context keys": ForAllValues with aws:TagKeys.
    const onlyTheseTagKeys = { 'ForAllValues:StringEquals': { 'aws:TagKeys': ['environment', 'cost-center'] } };

    it('ForAllValues holds when every request value is among the policy’s values, and when there are none', () => {
      expect(holds(onlyTheseTagKeys, { 'aws:TagKeys': ['environment'] })).toBe(true);
      expect(holds(onlyTheseTagKeys, { 'aws:TagKeys': ['environment', 'owner'] })).toBe(false);
      expect(holds(onlyTheseTagKeys, { 'aws:TagKeys': [] })).toBe(true);
      expect(holds(onlyTheseTagKeys, {})).toBe(true);
    });

    it('ForAnyValue holds when one request value matches, never when the key is missing', () => {
      const anyOf = { 'ForAnyValue:StringEquals': { 'aws:TagKeys': ['environment', 'cost-center'] } };
      expect(holds(anyOf, { 'aws:TagKeys': ['owner', 'cost-center'] })).toBe(true);
      expect(holds(anyOf, { 'aws:TagKeys': ['owner'] })).toBe(false);
      expect(holds(anyOf, {})).toBe(false);
    });

    it('ForAllValues with a negated operator holds when no request value matches', () => {
      const noneOf = { 'ForAllValues:StringNotLike': { 'aws:TagKeys': ['aws:*'] } };
      expect(holds(noneOf, { 'aws:TagKeys': ['env', 'team'] })).toBe(true);
      expect(holds(noneOf, { 'aws:TagKeys': ['env', 'aws:cloudformation:stack-id'] })).toBe(false);
    });

    // DynamoDB Developer Guide, "Using IAM policy conditions for fine-grained access control": items whose
    // partition key is the caller's own id (a literal here, where the guide substitutes a policy variable).
    it('limits DynamoDB items by their partition key with dynamodb:LeadingKeys', () => {
      const ownItems = { 'ForAllValues:StringEquals': { 'dynamodb:LeadingKeys': ['user-123'] } };
      expect(holds(ownItems, { 'dynamodb:LeadingKeys': ['user-123'] })).toBe(true);
      expect(holds(ownItems, { 'dynamodb:LeadingKeys': ['user-456'] })).toBe(false);
      expect(holds({ 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': ['lock#*'] } }, { 'dynamodb:LeadingKeys': ['lock#orders'] })).toBe(true);
    });
  });

  it('tags: aws:ResourceTag reads the resource’s tags, aws:RequestTag the tags the request sets', () => {
    const tagged = { StringEquals: { 'aws:ResourceTag/dms-orchestrator:migration': 'Orders' } };
    expect(holds(tagged, { 'aws:ResourceTag/dms-orchestrator:migration': 'Orders' })).toBe(true);
    expect(holds(tagged, { 'aws:ResourceTag/dms-orchestrator:migration': 'Invoices' })).toBe(false);
    expect(holds(tagged, { 'aws:RequestTag/dms-orchestrator:migration': 'Orders' })).toBe(false);
  });

  it('refuses an operator it does not implement instead of guessing', () => {
    expect(() => holds({ IpAddress: { 'aws:SourceIp': '203.0.113.0/24' } }, {})).toThrow(UnsupportedConditionOperatorError);
    expect(() => holds({ 'ForSomeValues:StringEquals': { 'aws:TagKeys': 'x' } }, {})).toThrow(UnsupportedConditionOperatorError);
    expect(() => holds({ 'ForAllValues:Null': { 'aws:TagKeys': 'true' } }, {})).toThrow(UnsupportedConditionOperatorError);
  });
});
