/**
 * IAM policy documents as the evaluator reads them: every element that may be a string or a list is held as a
 * list, and a statement names either Action or NotAction, either Resource or NotResource (IAM JSON policy
 * element reference). Principal is not modelled: these are identity-based policies, whose principal is the
 * role they are attached to.
 */

export type Effect = 'Allow' | 'Deny';

/** `{ "<operator>": { "<key>": value | [values] } }`, values kept as the strings IAM compares. */
export type ConditionBlock = Record<string, Record<string, string[]>>;

export interface PolicyStatement {
  sid?: string;
  effect: Effect;
  /** Exactly one of `actions` and `notActions` is set. */
  actions?: string[];
  notActions?: string[];
  /** Exactly one of `resources` and `notResources` is set. */
  resources?: string[];
  notResources?: string[];
  condition: ConditionBlock;
}

export interface PolicyDocument {
  /** Where the document came from (the template's logical id, a managed policy's ARN), for messages. */
  source: string;
  statements: PolicyStatement[];
}

export class InvalidPolicyError extends Error {
  constructor(source: string, problem: string) {
    super(`Policy ${source}: ${problem}`);
    this.name = 'InvalidPolicyError';
  }
}

/**
 * Policy variables (`${aws:username}`) would need the principal's request context substituted into the policy
 * before matching. No policy of this stack uses one, so a document that does is refused rather than matched
 * literally (which would silently deny, or allow, the wrong requests).
 */
const POLICY_VARIABLE = /\$\{[^}]*\}/;

/** Reads a JSON policy document whose intrinsics are already resolved to strings. */
export function parsePolicyDocument(source: string, document: unknown): PolicyDocument {
  const statementJson = (document as { Statement?: unknown } | null)?.Statement;
  if (statementJson === undefined) throw new InvalidPolicyError(source, 'has no Statement');
  return { source, statements: [statementJson].flat().map((statement, index) => parseStatement(source, index, statement)) };
}

function parseStatement(source: string, index: number, json: unknown): PolicyStatement {
  const where = `statement ${index}`;
  if (!json || typeof json !== 'object') throw new InvalidPolicyError(source, `${where} is not an object`);
  const element = json as Record<string, unknown>;
  const effect = element.Effect;
  if (effect !== 'Allow' && effect !== 'Deny') throw new InvalidPolicyError(source, `${where} has Effect ${JSON.stringify(effect)}, not Allow or Deny`);
  const statement: PolicyStatement = { effect, condition: parseCondition(source, where, element.Condition) };
  if (typeof element.Sid === 'string') statement.sid = element.Sid;
  for (const [json, field] of [
    ['Action', 'actions'],
    ['NotAction', 'notActions'],
    ['Resource', 'resources'],
    ['NotResource', 'notResources'],
  ] as const) {
    if (element[json] !== undefined) statement[field] = stringList(source, `${where} ${json}`, element[json]);
  }
  if (!statement.actions === !statement.notActions) throw new InvalidPolicyError(source, `${where} must have exactly one of Action and NotAction`);
  if (!statement.resources === !statement.notResources) throw new InvalidPolicyError(source, `${where} must have exactly one of Resource and NotResource`);
  return statement;
}

function parseCondition(source: string, where: string, json: unknown): ConditionBlock {
  if (json === undefined) return {};
  if (!json || typeof json !== 'object') throw new InvalidPolicyError(source, `${where} has a Condition that is not an object`);
  const block: ConditionBlock = {};
  for (const [operator, keys] of Object.entries(json)) {
    if (!keys || typeof keys !== 'object') throw new InvalidPolicyError(source, `${where} condition ${operator} is not an object`);
    block[operator] = {};
    for (const [key, values] of Object.entries(keys)) {
      block[operator][key] = stringList(source, `${where} condition ${operator} ${key}`, values);
    }
  }
  return block;
}

/** IAM accepts a value or a list; booleans and numbers in conditions compare as their string form. */
function stringList(source: string, where: string, json: unknown): string[] {
  const list = [json].flat();
  return list.map((value) => {
    if (typeof value !== 'string' && typeof value !== 'number' && typeof value !== 'boolean') {
      throw new InvalidPolicyError(source, `${where} holds ${JSON.stringify(value)}, not a string (unresolved intrinsic?)`);
    }
    const text = String(value);
    if (POLICY_VARIABLE.test(text)) throw new InvalidPolicyError(source, `${where} uses the policy variable ${text.match(POLICY_VARIABLE)?.[0]}, which the local evaluator does not substitute`);
    return text;
  });
}
