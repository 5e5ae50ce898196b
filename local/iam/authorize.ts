import { accessDeniedAnswer, assumedRoleArn, type AccessDeniedAnswer } from './access-denied';
import type { RequestContext } from './conditions';
import { evaluate, type Decision } from './evaluate';
import { actionReference, ArnFormatError, fillArnFormat, iamActionForOperation, type ActionResourceType } from './reference';
import {
  conventionalPhysicalResources,
  functionPolicies,
  stateMachinePolicies,
  type CfnTemplate,
  type DeploymentEnvironment,
  type PhysicalResources,
  type PrincipalPolicies,
} from './template';
import { matchesArn } from './wildcards';

/**
 * One AWS call as a local run sees it, authorized as IAM would authorize it for the calling role: the IAM
 * action of the operation, the resources it acts on (from the request and the action's ARN formats in the
 * Service Authorization Reference) and the condition keys the stack's policies read.
 */
export interface AwsCall {
  /** The SigV4 signing name or IAM prefix of the service: `dms`, `monitoring`, `states`, `s3`. */
  service: string;
  operation: string;
  /**
   * The request's members: a JSON protocol's body, a query protocol's flat parameters (`Tags.Tag.1.Key`),
   * S3's `Bucket` and `Key`.
   */
  input: Record<string, unknown>;
}

/** What IAM reads from the resources a call names, known to whoever holds them (the emulator, a fake). */
export interface ResourceFacts {
  /** A resource's tags, for `aws:ResourceTag/<key>`. */
  tagsOf(arn: string): Record<string, string>;
  /**
   * Secrets Manager takes a secret's name or partial ARN as SecretId and IAM matches the secret's full ARN
   * (with the 6-character suffix): the full ARN of a known secret, else undefined.
   */
  secretArn(secretId: string): string | undefined;
}

export const NO_RESOURCE_FACTS: ResourceFacts = { tagsOf: () => ({}), secretArn: () => undefined };

export interface AuthorizedCall {
  /** The caller's logical id in the template. */
  principal: string;
  action: string;
  resources: string[];
  decision: Decision;
  /** For a denied call: what the service answers, exactly as AWS does. */
  denial?: AccessDeniedAnswer;
}

export class UnknownPrincipalError extends Error {
  constructor(principal: string) {
    super(`${principal} is neither a function nor a state machine of the synthesized template`);
    this.name = 'UnknownPrincipalError';
  }
}

export class UnresolvedResourceError extends Error {
  constructor(action: string, resourceType: string) {
    super(`Cannot tell which ${resourceType} the call to ${action} acts on from its request: the local IAM evaluator needs to learn this request shape`);
    this.name = 'UnresolvedResourceError';
  }
}

/**
 * Request members that fill the ARN formats' named placeholders, by IAM service prefix. Resources the
 * request names by ARN (DMS tasks, endpoints and instances, SNS topics, executions, roles) are found by
 * their ARN instead; a secret by the ResourceFacts.
 */
const PLACEHOLDER_MEMBERS: Record<string, Record<string, (input: Record<string, unknown>) => unknown>> = {
  dynamodb: { TableName: (input) => input.TableName },
  rds: {
    DbClusterInstanceName: (input) => input.DBClusterIdentifier,
    DbInstanceName: (input) => input.DBInstanceIdentifier,
    ClusterSnapshotName: (input) => input.DBClusterSnapshotIdentifier,
    SnapshotName: (input) => input.DBSnapshotIdentifier,
  },
  ssm: { ParameterNameWithoutLeadingSlash: (input) => (typeof input.Name === 'string' ? input.Name.replace(/^\//, '') : undefined) },
  events: { RuleName: (input) => input.Name, EventBusName: (input) => input.EventBusName },
  scheduler: { GroupName: (input) => input.GroupName ?? 'default', ScheduleName: (input) => input.Name },
  s3: { BucketName: (input) => input.Bucket, ObjectName: (input) => input.Key },
  lambda: { FunctionName: (input) => input.FunctionName },
};

/**
 * Calls that pass a role to a service, which IAM authorizes as `iam:PassRole` on the role besides the call
 * itself (IAM User Guide, "Grant a user permissions to pass a role to an AWS service"), with
 * `iam:PassedToService` naming the service that receives it.
 */
const PASSED_ROLES: Record<string, { roleArn(input: Record<string, unknown>): unknown; passedToService: string }> = {
  'scheduler:CreateSchedule': { roleArn: (input) => (input.Target as { RoleArn?: unknown } | undefined)?.RoleArn, passedToService: 'scheduler.amazonaws.com' },
};

/**
 * Every call a local run makes, evaluated against the calling role's policies from the synthesized template.
 * Keeps the count of calls evaluated and every denial, for the run's summary.
 */
export class StackAuthorizer {
  private readonly principals: Record<string, PrincipalPolicies>;
  /** The partition key attribute of each table, by table ARN, for `dynamodb:LeadingKeys`. */
  private readonly partitionKeys = new Map<string, string>();
  private readonly functionNames: Record<string, string> = {};
  evaluatedCalls = 0;
  readonly deniedCalls: AuthorizedCall[] = [];

  constructor(
    template: CfnTemplate,
    private readonly environment: DeploymentEnvironment,
    private readonly resources: PhysicalResources = conventionalPhysicalResources(template, environment),
  ) {
    this.principals = { ...functionPolicies(template, environment, resources), ...stateMachinePolicies(template, environment, resources) };
    for (const [logicalId, resource] of Object.entries(template.Resources)) {
      if (resource.Type === 'AWS::Lambda::Function') this.functionNames[logicalId] = resources[logicalId].ref;
      if (resource.Type !== 'AWS::DynamoDB::Table') continue;
      const keySchema = (resource.Properties?.KeySchema ?? []) as Array<{ AttributeName: string; KeyType: string }>;
      const hashKey = keySchema.find((key) => key.KeyType === 'HASH')?.AttributeName;
      if (hashKey) this.partitionKeys.set(resources[logicalId].attributes.Arn, hashKey);
    }
  }

  /** The ARN a template resource has in this run (a function the state machine invokes, the token table). */
  arnOf(logicalId: string): string {
    const arn = this.resources[logicalId]?.attributes.Arn;
    if (!arn) throw new UnknownPrincipalError(logicalId);
    return arn;
  }

  async authorize(principal: string, call: AwsCall, facts: ResourceFacts = NO_RESOURCE_FACTS): Promise<AuthorizedCall> {
    const action = await this.cached(`${call.service} ${call.operation}`, () => iamActionForOperation(call.service, call.operation));
    const { resourceTypes } = await this.cached(action, () => actionReference(action));
    const authorized = await this.decide(principal, action, await this.resourcesOf(action, call, facts), (resource) => this.contextOf(action, call, resource, facts, resourceTypes));
    const passedRole = PASSED_ROLES[action];
    const roleArn = passedRole?.roleArn(call.input);
    if (authorized.denial || typeof roleArn !== 'string') return authorized;
    return this.decide(principal, 'iam:PassRole', [roleArn], () => ({ 'iam:PassedToService': passedRole.passedToService }));
  }

  /** The reference data is read from files per lookup; a run asks about the same few actions thousands of times. */
  private readonly lookups = new Map<string, Promise<unknown>>();
  private cached<T>(key: string, lookUp: () => Promise<T>): Promise<T> {
    let found = this.lookups.get(key) as Promise<T> | undefined;
    if (!found) this.lookups.set(key, (found = lookUp()));
    return found;
  }

  private policiesOf(principal: string): PrincipalPolicies {
    const policies = this.principals[principal];
    if (!policies) throw new UnknownPrincipalError(principal);
    return policies;
  }

  /** Each resource is decided with its own context (its own tags); the call is allowed only if all are. */
  private async decide(principal: string, action: string, resources: string[], contextOf: (resource: string) => RequestContext): Promise<AuthorizedCall> {
    const { policies, roleName } = this.policiesOf(principal);
    this.evaluatedCalls += 1;
    let decision: Decision = { outcome: 'Allow' };
    for (const resource of resources) {
      decision = evaluate(policies, { action, resources: [resource], context: contextOf(resource) });
      if (decision.outcome !== 'Allow') break;
    }
    if (decision.outcome === 'Allow') return { principal, action, resources, decision };
    const { partition, accountId } = this.environment;
    // Lambda's role session is named after the function; the state machine's is the service's own.
    const sessionName = this.functionNames[principal] ?? principal;
    const denied: AuthorizedCall = { principal, action, resources, decision, denial: accessDeniedAnswer(assumedRoleArn(partition, accountId, roleName, sessionName), action, decision) };
    this.deniedCalls.push(denied);
    return denied;
  }

  /**
   * The ARN of every resource type the action names, from the request: an ARN the request carries that fits
   * the type's format, or the format filled from the request's members. An optional resource type the
   * request does not name is skipped; an action without resource types acts on `*`.
   */
  private async resourcesOf(action: string, call: AwsCall, facts: ResourceFacts): Promise<string[]> {
    const { resourceTypes } = await this.cached(action, () => actionReference(action));
    const [prefix] = action.split(':');
    // A SecretId may be a partial ARN, which IAM never sees: the secret is matched by its full ARN below.
    const arnsInRequest = prefix === 'secretsmanager' ? [] : arnsIn(call.input);
    const members = Object.fromEntries(
      Object.entries(PLACEHOLDER_MEMBERS[prefix] ?? {})
        .map(([placeholder, member]) => [placeholder, member(call.input)])
        .filter((entry): entry is [string, string] => typeof entry[1] === 'string'),
    );
    if (prefix === 'secretsmanager' && typeof call.input.SecretId === 'string') members.SecretId = secretName(call.input.SecretId, facts);
    const resources: string[] = [];
    const unresolvedRequired: string[] = [];
    for (const type of resourceTypes) {
      const named = arnsInRequest.filter((arn) => matchesArn(arnPatternOf(type), arn));
      if (named.length > 0) {
        resources.push(...named);
        continue;
      }
      try {
        resources.push(fillArnFormat(type.arnFormat, { Partition: this.environment.partition, Region: this.environment.region, Account: this.environment.accountId, ...members }));
      } catch (error) {
        if (!(error instanceof ArnFormatError)) throw error;
        if (type.required) unresolvedRequired.push(type.name);
      }
    }
    // Required types may be alternatives (states:DescribeExecution acts on an execution or an express one):
    // a call must name at least one of them.
    if (resources.length === 0 && unresolvedRequired.length > 0) throw new UnresolvedResourceError(action, unresolvedRequired.join(' or '));
    return resources.length > 0 ? resources : ['*'];
  }

  /**
   * The request context of one resource: its tags as `aws:ResourceTag/<key>` and as the service's own key of
   * its resource type (a DMS replication config's `dms:replication-config-tag/<key>`, a task's
   * `dms:task-tag/<key>`: the reference lists them with the type), the tags the request sets, the item's key.
   */
  private contextOf(action: string, call: AwsCall, resource: string, facts: ResourceFacts, resourceTypes: ActionResourceType[]): RequestContext {
    const context: RequestContext = {};
    const tags = resource === '*' ? {} : facts.tagsOf(resource);
    const type = resourceTypes.find((candidate) => matchesArn(arnPatternOf(candidate), resource));
    const serviceTagKeys = (type?.conditionKeys ?? []).filter((key) => key.endsWith('/${TagKey}') && !key.startsWith('aws:'));
    for (const [key, value] of Object.entries(tags)) {
      context[`aws:ResourceTag/${key}`] = value;
      for (const serviceKey of serviceTagKeys) context[serviceKey.replace('${TagKey}', key)] = value;
    }
    const requestTags = tagsIn(call.input);
    for (const [key, value] of Object.entries(requestTags)) context[`aws:RequestTag/${key}`] = value;
    if (Object.keys(requestTags).length > 0) context['aws:TagKeys'] = Object.keys(requestTags);
    const partitionKey = this.partitionKeys.get(resource);
    if (action.startsWith('dynamodb:') && partitionKey) {
      const item = (call.input.Key ?? call.input.Item) as Record<string, Record<string, string>> | undefined;
      const value = item?.[partitionKey];
      if (value) context['dynamodb:LeadingKeys'] = [Object.values(value)[0]];
    }
    return context;
  }
}

/** A resource type's ARN format as a wildcard pattern: every `${Placeholder}` matches anything. */
function arnPatternOf(type: ActionResourceType): string {
  return type.arnFormat.replace(/\$\{[^}]+\}/g, '*');
}

/** The secret's full ARN (the suffix included) when the facts know it, else what the request names. */
function secretName(secretId: string, facts: ResourceFacts): string {
  const arn = facts.secretArn(secretId) ?? secretId;
  return arn.includes(':secret:') ? arn.slice(arn.indexOf(':secret:') + ':secret:'.length) : arn;
}

/** Every string in the request that is an ARN, however deep (DMS filters, a schedule's target). */
function arnsIn(value: unknown): string[] {
  if (typeof value === 'string') return value.startsWith('arn:') ? [value] : [];
  if (Array.isArray(value)) return value.flatMap(arnsIn);
  if (value && typeof value === 'object') return Object.values(value).flatMap(arnsIn);
  return [];
}

/**
 * The tags a request sets: `Tags: [{Key, Value}]` in JSON protocols, `Tags.Tag.<n>.Key` / `Tags.member.<n>.Key`
 * in query protocols (RDS names the list member Tag, SNS member).
 */
function tagsIn(input: Record<string, unknown>): Record<string, string> {
  const tags: Record<string, string> = {};
  if (Array.isArray(input.Tags)) {
    for (const tag of input.Tags as Array<{ Key?: string; Value?: string }>) if (tag.Key !== undefined) tags[tag.Key] = tag.Value ?? '';
    return tags;
  }
  for (const [name, key] of Object.entries(input)) {
    const match = /^Tags\.(?:Tag|member)\.(\d+)\.Key$/.exec(name);
    if (match && typeof key === 'string') tags[key] = String(input[`Tags.${name.split('.')[1]}.${match[1]}.Value`] ?? '');
  }
  return tags;
}
