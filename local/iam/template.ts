import { awsManagedPolicy } from './managed-policies';
import { parsePolicyDocument, type PolicyDocument } from './policy';

/**
 * From a synthesized CloudFormation template to the policies IAM would evaluate for each principal: the
 * template's intrinsic functions resolved to the names and ARNs the stack's resources have (supplied by the
 * caller, e.g. the emulator's), and each role's inline policies, attached AWS::IAM::Policy and
 * AWS::IAM::ManagedPolicy resources, and AWS managed policies gathered.
 */

export interface CfnResource {
  Type: string;
  Properties?: Record<string, unknown>;
}
export interface CfnTemplate {
  Resources: Record<string, CfnResource>;
}

export interface DeploymentEnvironment {
  partition: string;
  region: string;
  accountId: string;
}

/** What CloudFormation would answer for one resource: `Ref`, and `Fn::GetAtt` by attribute name. */
export interface PhysicalResource {
  ref: string;
  attributes: Record<string, string>;
}
export type PhysicalResources = Record<string, PhysicalResource>;

export class UnresolvableTemplateError extends Error {
  constructor(problem: string) {
    super(`Cannot resolve the template's IAM policies: ${problem}`);
    this.name = 'UnresolvableTemplateError';
  }
}

type Resolved = string | Resolved[];

/**
 * The intrinsics CDK writes into policies: Ref (resources and the AWS:: pseudo parameters), Fn::GetAtt,
 * Fn::Join, Fn::Sub, Fn::Select and Fn::Split. Anything else is an error, never passed through.
 */
export function resolveIntrinsic(value: unknown, environment: DeploymentEnvironment, resources: PhysicalResources): Resolved {
  const resolve = (inner: unknown): Resolved => resolveIntrinsic(inner, environment, resources);
  const resolveString = (inner: unknown, where: string): string => {
    const resolved = resolve(inner);
    if (typeof resolved !== 'string') throw new UnresolvableTemplateError(`${where} resolved to a list: ${JSON.stringify(inner)}`);
    return resolved;
  };
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  if (Array.isArray(value)) return value.map(resolve);
  if (!value || typeof value !== 'object') throw new UnresolvableTemplateError(`unexpected value ${JSON.stringify(value)}`);
  const entries = Object.entries(value);
  if (entries.length !== 1) throw new UnresolvableTemplateError(`not an intrinsic function: ${JSON.stringify(value)}`);
  const [[name, argument]] = entries;
  switch (name) {
    case 'Ref':
      return refOf(String(argument), environment, resources);
    case 'Fn::GetAtt': {
      const [logicalId, attribute] = typeof argument === 'string' ? argument.split('.', 2) : (argument as [string, string]);
      const found = resources[logicalId]?.attributes[attribute];
      if (found === undefined) throw new UnresolvableTemplateError(`no ${attribute} attribute for ${logicalId}`);
      return found;
    }
    case 'Fn::Join': {
      const [delimiter, parts] = argument as [string, unknown[]];
      return parts.map((part) => resolveString(part, 'a Fn::Join part')).join(delimiter);
    }
    case 'Fn::Select': {
      const [index, list] = argument as [number | string, unknown];
      const resolved = resolve(list);
      const selected = Array.isArray(resolved) ? resolved[Number(index)] : undefined;
      if (selected === undefined) throw new UnresolvableTemplateError(`Fn::Select ${index} out of ${JSON.stringify(resolved)}`);
      return selected;
    }
    case 'Fn::Split': {
      const [delimiter, source] = argument as [string, unknown];
      return resolveString(source, 'the Fn::Split source').split(delimiter);
    }
    case 'Fn::Sub':
      return substitute(argument, environment, resources, resolveString);
    default:
      throw new UnresolvableTemplateError(`unsupported intrinsic ${name}`);
  }
}

function refOf(logicalId: string, environment: DeploymentEnvironment, resources: PhysicalResources): string {
  const pseudo: Record<string, string> = {
    'AWS::Partition': environment.partition,
    'AWS::Region': environment.region,
    'AWS::AccountId': environment.accountId,
    'AWS::URLSuffix': 'amazonaws.com',
  };
  const found = pseudo[logicalId] ?? resources[logicalId]?.ref;
  if (found === undefined) throw new UnresolvableTemplateError(`no physical resource for Ref ${logicalId}`);
  return found;
}

/** `${Name}` is a Ref (or a variable of the second form), `${Name.Attr}` a GetAtt, `${!Literal}` stays `${Literal}`. */
function substitute(
  argument: unknown,
  environment: DeploymentEnvironment,
  resources: PhysicalResources,
  resolveString: (inner: unknown, where: string) => string,
): string {
  const [template, variables] = typeof argument === 'string' ? [argument, {}] : (argument as [string, Record<string, unknown>]);
  return template.replace(/\$\{(!?)([^}]+)\}/g, (_whole, literal: string, name: string) => {
    if (literal) return `\${${name}}`;
    if (name in variables) return resolveString(variables[name], `Fn::Sub variable ${name}`);
    if (name.includes('.') && !name.startsWith('AWS::')) {
      const [logicalId, attribute] = name.split('.', 2);
      return resolveString({ 'Fn::GetAtt': [logicalId, attribute] }, `Fn::Sub ${name}`);
    }
    return refOf(name, environment, resources);
  });
}

/** The property that names each kind of resource the stack's policies refer to, where CDK sets one. */
const NAME_PROPERTIES: Record<string, string> = {
  'AWS::Lambda::Function': 'FunctionName',
  'AWS::IAM::Role': 'RoleName',
  'AWS::SNS::Topic': 'TopicName',
  'AWS::DynamoDB::Table': 'TableName',
  'AWS::SecretsManager::Secret': 'Name',
  'AWS::Logs::LogGroup': 'LogGroupName',
  'AWS::S3::Bucket': 'BucketName',
  'AWS::StepFunctions::StateMachine': 'StateMachineName',
};

/**
 * Names and ARNs as a deployment would give them, for a local run: each resource is named by its name
 * property when the template sets one as a plain string, by its logical id otherwise (lower-cased for a
 * bucket, whose names allow no capitals). ARN formats are those of the Service Authorization Reference; a
 * secret's ARN ends in `-` and six characters, as Secrets Manager appends to every secret's name.
 */
export function conventionalPhysicalResources(template: CfnTemplate, environment: DeploymentEnvironment): PhysicalResources {
  const { partition, region, accountId } = environment;
  const resources: PhysicalResources = {};
  for (const [logicalId, resource] of Object.entries(template.Resources)) {
    const nameProperty = resource.Properties?.[NAME_PROPERTIES[resource.Type] ?? ''];
    const name = typeof nameProperty === 'string' ? nameProperty : resource.Type === 'AWS::S3::Bucket' ? logicalId.toLowerCase() : logicalId;
    const regional = (service: string, resourcePart: string) => `arn:${partition}:${service}:${region}:${accountId}:${resourcePart}`;
    const byArn = (arn: string, ref = name): PhysicalResource => ({ ref, attributes: { Arn: arn } });
    switch (resource.Type) {
      case 'AWS::Lambda::Function':
        resources[logicalId] = byArn(regional('lambda', `function:${name}`));
        break;
      case 'AWS::IAM::Role':
        resources[logicalId] = byArn(`arn:${partition}:iam::${accountId}:role/${name}`);
        break;
      case 'AWS::SNS::Topic': {
        const arn = regional('sns', name);
        resources[logicalId] = byArn(arn, arn);
        break;
      }
      case 'AWS::SecretsManager::Secret': {
        const arn = regional('secretsmanager', `secret:${name}-AbCdEf`);
        resources[logicalId] = byArn(arn, arn);
        break;
      }
      case 'AWS::DynamoDB::Table':
        resources[logicalId] = byArn(regional('dynamodb', `table/${name}`));
        break;
      case 'AWS::Logs::LogGroup':
        // CloudFormation's Arn attribute of a log group ends in `:*` (AWS::Logs::LogGroup return values).
        resources[logicalId] = byArn(regional('logs', `log-group:${name}:*`));
        break;
      case 'AWS::S3::Bucket':
        resources[logicalId] = byArn(`arn:${partition}:s3:::${name}`);
        break;
      case 'AWS::KMS::Key':
        resources[logicalId] = byArn(regional('kms', `key/${name}`));
        break;
      case 'AWS::StepFunctions::StateMachine': {
        const arn = regional('states', `stateMachine:${name}`);
        resources[logicalId] = byArn(arn, arn);
        break;
      }
      default:
        resources[logicalId] = byArn(regional(resource.Type.split('::')[1]?.toLowerCase() ?? 'unknown', name));
    }
  }
  return resources;
}

/** One role and everything attached to it. */
export interface PrincipalPolicies {
  roleLogicalId: string;
  /** The role's name, as the `assumed-role/<name>/<session>` of an AccessDenied message shows it. */
  roleName: string;
  policies: PolicyDocument[];
}

export class UnknownManagedPolicyError extends Error {
  constructor(roleLogicalId: string, arn: string) {
    super(`Role ${roleLogicalId} carries the managed policy ${arn}, which the local IAM evaluator does not know`);
    this.name = 'UnknownManagedPolicyError';
  }
}

const refersTo = (roleLogicalId: string) => (value: unknown) => (value as { Ref?: string } | null)?.Ref === roleLogicalId;

/** Every policy attached to the role `roleLogicalId`, with its intrinsics resolved. */
export function principalPolicies(
  template: CfnTemplate,
  roleLogicalId: string,
  environment: DeploymentEnvironment,
  resources: PhysicalResources,
): PrincipalPolicies {
  const role = template.Resources[roleLogicalId];
  if (role?.Type !== 'AWS::IAM::Role') throw new UnresolvableTemplateError(`${roleLogicalId} is not a role of the template`);
  const resolveDocument = (source: string, document: unknown) => parsePolicyDocument(source, resolveDocumentIntrinsics(document, environment, resources));
  const policies: PolicyDocument[] = [];

  const inline = (role.Properties?.Policies ?? []) as Array<{ PolicyName: unknown; PolicyDocument: unknown }>;
  for (const policy of inline) policies.push(resolveDocument(`${roleLogicalId} inline ${String(policy.PolicyName)}`, policy.PolicyDocument));

  const managedArns = (role.Properties?.ManagedPolicyArns ?? []) as unknown[];
  for (const managed of managedArns) {
    const templatePolicy = (managed as { Ref?: string }).Ref;
    if (templatePolicy && template.Resources[templatePolicy]?.Type === 'AWS::IAM::ManagedPolicy') continue; // gathered below via its own reference
    const arn = resolveIntrinsic(managed, environment, resources);
    const document = typeof arn === 'string' ? awsManagedPolicy(arn) : undefined;
    if (!document) throw new UnknownManagedPolicyError(roleLogicalId, JSON.stringify(arn));
    policies.push(resolveDocument(arn as string, document));
  }

  for (const [logicalId, resource] of Object.entries(template.Resources)) {
    const attachedByPolicy = resource.Type === 'AWS::IAM::Policy' || resource.Type === 'AWS::IAM::ManagedPolicy';
    if (!attachedByPolicy) continue;
    const attachedRoles = (resource.Properties?.Roles ?? []) as unknown[];
    const listedOnRole = managedArns.some(refersTo(logicalId));
    if (attachedRoles.some(refersTo(roleLogicalId)) || listedOnRole) policies.push(resolveDocument(logicalId, resource.Properties?.PolicyDocument));
  }
  return { roleLogicalId, roleName: resources[roleLogicalId]?.ref ?? roleLogicalId, policies };
}

/** A policy element resolves to a string or (nested) lists of strings; IAM reads it as one list. */
const flatten = (resolved: Resolved): string[] => (typeof resolved === 'string' ? [resolved] : resolved.flatMap(flatten));

function resolveDocumentIntrinsics(document: unknown, environment: DeploymentEnvironment, resources: PhysicalResources): unknown {
  const statements = [(document as { Statement?: unknown } | null)?.Statement ?? []].flat() as Array<Record<string, unknown>>;
  return {
    Statement: statements.map((statement) => {
      const resolved: Record<string, unknown> = { ...statement };
      for (const field of ['Resource', 'NotResource'] as const) {
        if (statement[field] !== undefined) resolved[field] = flatten(resolveIntrinsic(statement[field], environment, resources));
      }
      if (statement.Condition) {
        resolved.Condition = Object.fromEntries(
          Object.entries(statement.Condition as Record<string, Record<string, unknown>>).map(([operator, keys]) => [
            operator,
            Object.fromEntries(Object.entries(keys).map(([key, values]) => [key, flatten(resolveIntrinsic(values, environment, resources))])),
          ]),
        );
      }
      return resolved;
    }),
  };
}

const roleOf = (template: CfnTemplate, logicalId: string, property: string): string => {
  const role = template.Resources[logicalId].Properties?.[property] as { 'Fn::GetAtt'?: [string, string] } | undefined;
  const roleLogicalId = role?.['Fn::GetAtt']?.[0];
  if (!roleLogicalId) throw new UnresolvableTemplateError(`${logicalId}'s ${property} is not a role of the template: ${JSON.stringify(role)}`);
  return roleLogicalId;
};

/** Per Lambda function (by logical id): the policies of its execution role. */
export function functionPolicies(template: CfnTemplate, environment: DeploymentEnvironment, resources: PhysicalResources): Record<string, PrincipalPolicies> {
  return principalsOfType(template, 'AWS::Lambda::Function', 'Role', environment, resources);
}

/** Per state machine (by logical id): the policies of its role, which authorize its own service integrations. */
export function stateMachinePolicies(template: CfnTemplate, environment: DeploymentEnvironment, resources: PhysicalResources): Record<string, PrincipalPolicies> {
  return principalsOfType(template, 'AWS::StepFunctions::StateMachine', 'RoleArn', environment, resources);
}

function principalsOfType(
  template: CfnTemplate,
  type: string,
  roleProperty: string,
  environment: DeploymentEnvironment,
  resources: PhysicalResources,
): Record<string, PrincipalPolicies> {
  const principals: Record<string, PrincipalPolicies> = {};
  for (const [logicalId, resource] of Object.entries(template.Resources)) {
    if (resource.Type === type) principals[logicalId] = principalPolicies(template, roleOf(template, logicalId, roleProperty), environment, resources);
  }
  return principals;
}
