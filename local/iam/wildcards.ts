/**
 * IAM's wildcard matching: `*` is any run of characters (including none), `?` exactly one; everything else is
 * literal. Actions match case-insensitively, resource ARNs case-sensitively (IAM JSON policy elements: Action,
 * Resource). An ARN pattern is compared component by component: partition, service, region and account each
 * on their own, and the resource part (everything after the fifth colon, colons and slashes included) as one,
 * so `arn:aws:dms:*:*:task:*` matches a task in any region and account but never an endpoint.
 */

const compiled = new Map<string, RegExp>();

function wildcardRegExp(pattern: string, ignoreCase: boolean): RegExp {
  const cacheKey = `${ignoreCase ? 'i' : 's'}${pattern}`;
  let regExp = compiled.get(cacheKey);
  if (!regExp) {
    const body = pattern
      .split('')
      .map((character) => (character === '*' ? '.*' : character === '?' ? '.' : character.replace(/[\\^$.|+()[\]{}/-]/g, '\\$&')))
      .join('');
    regExp = new RegExp(`^${body}$`, ignoreCase ? 'is' : 's');
    compiled.set(cacheKey, regExp);
  }
  return regExp;
}

export function matchesWildcard(pattern: string, value: string, options: { ignoreCase: boolean }): boolean {
  return wildcardRegExp(pattern, options.ignoreCase).test(value);
}

/** `dms:Describe*` against `dms:DescribeTableStatistics`; service prefix and action name both ignore case. */
export function matchesAction(pattern: string, action: string): boolean {
  return matchesWildcard(pattern, action, { ignoreCase: true });
}

const ARN_COMPONENTS = 6;

/** Splits at the first five colons: arn, partition, service, region, account, resource. */
function arnComponents(arn: string): string[] | undefined {
  const parts = arn.split(':');
  if (parts.length < ARN_COMPONENTS) return undefined;
  return [...parts.slice(0, ARN_COMPONENTS - 1), parts.slice(ARN_COMPONENTS - 1).join(':')];
}

/**
 * A policy's Resource (or an ArnLike/ArnEquals value) against a request's resource ARN. `*` alone matches
 * every resource, including the `*` of an action that takes no resource type; any other pattern matches only
 * an ARN.
 */
export function matchesArn(pattern: string, arn: string): boolean {
  if (pattern === '*') return true;
  const patternParts = arnComponents(pattern);
  const arnParts = arnComponents(arn);
  if (!patternParts || !arnParts) return false;
  return patternParts.every((part, index) => matchesWildcard(part, arnParts[index], { ignoreCase: false }));
}
