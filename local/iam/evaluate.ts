import { conditionHolds, type RequestContext } from './conditions';
import type { PolicyDocument, PolicyStatement } from './policy';
import { matchesAction, matchesArn } from './wildcards';

/**
 * One AWS call as IAM authorizes it: the action (`dms:StartReplicationTask`), the resources it acts on (the
 * ARNs the Service Authorization Reference names for it, or `*` for an action without a resource type) and
 * the request context its conditions read.
 */
export interface AuthorizationRequest {
  action: string;
  resources: string[];
  context: RequestContext;
}

export type Decision =
  | { outcome: 'Allow' }
  | {
      outcome: 'ExplicitDeny' | 'ImplicitDeny';
      /** The first resource that was not allowed: the one AWS names in its AccessDenied message. */
      deniedResource: string;
      /** For an explicit deny: the policy that holds the deny. */
      denyingPolicy?: string;
    };

function statementApplies(statement: PolicyStatement, action: string, resource: string, context: RequestContext): boolean {
  const actionMatches = statement.actions
    ? statement.actions.some((pattern) => matchesAction(pattern, action))
    : !statement.notActions?.some((pattern) => matchesAction(pattern, action));
  if (!actionMatches) return false;
  const resourceMatches = statement.resources
    ? statement.resources.some((pattern) => matchesArn(pattern, resource))
    : !statement.notResources?.some((pattern) => matchesArn(pattern, resource));
  return resourceMatches && conditionHolds(statement.condition, context);
}

/**
 * IAM's evaluation logic for the identity-based policies of one principal in its own account (IAM User Guide,
 * "Policy evaluation logic"): an explicit deny in any policy wins, else an allow in any policy, else the
 * implicit deny. Each resource of the request is decided on its own, and the request is allowed only when
 * every one is. Not modelled, because nothing in this stack has them: service control and resource control
 * policies, permissions boundaries, session policies, and resource-based policies (the functions' calls to
 * their own stack's resources are authorized by their role alone).
 */
export function evaluate(policies: PolicyDocument[], request: AuthorizationRequest): Decision {
  const resources = request.resources.length > 0 ? request.resources : ['*'];
  let firstImplicitDeny: string | undefined;
  for (const resource of resources) {
    let allowed = false;
    for (const policy of policies) {
      for (const statement of policy.statements) {
        if (!statementApplies(statement, request.action, resource, request.context)) continue;
        if (statement.effect === 'Deny') return { outcome: 'ExplicitDeny', deniedResource: resource, denyingPolicy: policy.source };
        allowed = true;
      }
    }
    if (!allowed) firstImplicitDeny ??= resource;
  }
  return firstImplicitDeny === undefined ? { outcome: 'Allow' } : { outcome: 'ImplicitDeny', deniedResource: firstImplicitDeny };
}
