import { matchesArn, matchesWildcard } from './wildcards';
import type { ConditionBlock } from './policy';

/**
 * The request context a condition reads: key -> value, a list for multivalued keys (`aws:TagKeys`,
 * `dynamodb:LeadingKeys`). Keys are matched case-insensitively, as IAM does for condition key names.
 */
export type RequestContext = Record<string, string | string[]>;

export class UnsupportedConditionOperatorError extends Error {
  constructor(readonly operator: string) {
    super(`Condition operator ${operator} is not supported by the local IAM evaluator`);
    this.name = 'UnsupportedConditionOperatorError';
  }
}

interface Comparison {
  /** A negated operator holds when the request value matches none of the policy's values (logical NOR). */
  negated: boolean;
  matches(requestValue: string, policyValue: string): boolean;
}

const caseSensitive = { ignoreCase: false };
const stringEquals = (requestValue: string, policyValue: string) => requestValue === policyValue;
const stringEqualsIgnoringCase = (requestValue: string, policyValue: string) => requestValue.toLowerCase() === policyValue.toLowerCase();
const stringLike = (requestValue: string, policyValue: string) => matchesWildcard(policyValue, requestValue, caseSensitive);

/** A number compares only with a number: a value that does not parse never matches (nor its negation's NOR). */
function numeric(compare: (request: number, policy: number) => boolean) {
  return (requestValue: string, policyValue: string) => {
    const request = Number(requestValue);
    const policy = Number(policyValue);
    return !Number.isNaN(request) && !Number.isNaN(policy) && compare(request, policy);
  };
}

/** Dates are ISO 8601 or epoch seconds (IAM condition operators: Date). */
function parseDate(value: string): number {
  return /^\d+$/.test(value) ? Number(value) * 1000 : Date.parse(value);
}
function date(compare: (request: number, policy: number) => boolean) {
  return (requestValue: string, policyValue: string) => {
    const request = parseDate(requestValue);
    const policy = parseDate(policyValue);
    return !Number.isNaN(request) && !Number.isNaN(policy) && compare(request, policy);
  };
}

const positive = (matches: Comparison['matches']): Comparison => ({ negated: false, matches });
const negated = (matches: Comparison['matches']): Comparison => ({ negated: true, matches });

/**
 * The operators of the IAM User Guide's "Condition operators" page, except IpAddress/NotIpAddress (no policy
 * of this stack reads an address). ArnEquals and ArnLike behave alike: both compare the six ARN components
 * with wildcards, case-sensitively.
 */
const COMPARISONS: Record<string, Comparison> = {
  StringEquals: positive(stringEquals),
  StringNotEquals: negated(stringEquals),
  StringEqualsIgnoreCase: positive(stringEqualsIgnoringCase),
  StringNotEqualsIgnoreCase: negated(stringEqualsIgnoringCase),
  StringLike: positive(stringLike),
  StringNotLike: negated(stringLike),
  NumericEquals: positive(numeric((a, b) => a === b)),
  NumericNotEquals: negated(numeric((a, b) => a === b)),
  NumericLessThan: positive(numeric((a, b) => a < b)),
  NumericLessThanEquals: positive(numeric((a, b) => a <= b)),
  NumericGreaterThan: positive(numeric((a, b) => a > b)),
  NumericGreaterThanEquals: positive(numeric((a, b) => a >= b)),
  DateEquals: positive(date((a, b) => a === b)),
  DateNotEquals: negated(date((a, b) => a === b)),
  DateLessThan: positive(date((a, b) => a < b)),
  DateLessThanEquals: positive(date((a, b) => a <= b)),
  DateGreaterThan: positive(date((a, b) => a > b)),
  DateGreaterThanEquals: positive(date((a, b) => a >= b)),
  Bool: positive(stringEqualsIgnoringCase),
  BinaryEquals: positive(stringEquals),
  ArnEquals: positive((requestValue, policyValue) => matchesArn(policyValue, requestValue)),
  ArnLike: positive((requestValue, policyValue) => matchesArn(policyValue, requestValue)),
  ArnNotEquals: negated((requestValue, policyValue) => matchesArn(policyValue, requestValue)),
  ArnNotLike: negated((requestValue, policyValue) => matchesArn(policyValue, requestValue)),
};

type SetQualifier = 'ForAllValues' | 'ForAnyValue' | undefined;

interface ParsedOperator {
  setQualifier: SetQualifier;
  /** `Null`, or a comparison. */
  comparison: Comparison | 'Null';
  ifExists: boolean;
}

export function parseConditionOperator(operator: string): ParsedOperator {
  const [qualifier, name] = operator.includes(':') ? operator.split(':', 2) : [undefined, operator];
  if (qualifier !== undefined && qualifier !== 'ForAllValues' && qualifier !== 'ForAnyValue') throw new UnsupportedConditionOperatorError(operator);
  if (name === 'Null') {
    if (qualifier) throw new UnsupportedConditionOperatorError(operator);
    return { setQualifier: undefined, comparison: 'Null', ifExists: false };
  }
  const ifExists = name.endsWith('IfExists');
  const comparison = COMPARISONS[ifExists ? name.slice(0, -'IfExists'.length) : name];
  if (!comparison) throw new UnsupportedConditionOperatorError(operator);
  return { setQualifier: qualifier as SetQualifier, comparison, ifExists };
}

function lookUp(context: RequestContext, key: string): string[] | undefined {
  const wanted = key.toLowerCase();
  for (const [contextKey, value] of Object.entries(context)) {
    if (contextKey.toLowerCase() === wanted) return [value].flat();
  }
  return undefined;
}

function anyPolicyValueMatches(comparison: Comparison, requestValue: string, policyValues: string[]): boolean {
  return policyValues.some((policyValue) => comparison.matches(requestValue, policyValue));
}

/** One request value against the key's policy values: OR for an operator, NOR for a negated one. */
function valueHolds(comparison: Comparison, requestValue: string, policyValues: string[]): boolean {
  const matched = anyPolicyValueMatches(comparison, requestValue, policyValues);
  return comparison.negated ? !matched : matched;
}

/**
 * One key of one operator, per the IAM User Guide ("Condition operators", "Conditions with multiple context
 * keys or values", "Single-valued vs. multivalued context keys"):
 * - a key missing from the request fails the condition, except for a negated operator (which then holds),
 *   ...IfExists (holds), `Null: true` (holds) and ForAllValues (holds: no value fails it);
 * - ForAllValues holds when every request value matches; ForAnyValue when at least one does;
 * - without a set qualifier a multivalued key holds when any of its values does — for a negated operator,
 *   when none of them matches. (Policies should use a set qualifier on such keys; IAM's documentation
 *   defines no other outcome, and this one errs towards the negation's intent.)
 */
function keyHolds(operator: ParsedOperator, requestValues: string[] | undefined, policyValues: string[]): boolean {
  const { comparison, setQualifier, ifExists } = operator;
  if (comparison === 'Null') {
    const wantsAbsent = policyValues.some((value) => value.toLowerCase() === 'true');
    return (requestValues === undefined) === wantsAbsent;
  }
  if (setQualifier === 'ForAllValues') {
    return (requestValues ?? []).every((value) => valueHolds(comparison, value, policyValues));
  }
  if (requestValues === undefined) return ifExists || (setQualifier === undefined && comparison.negated);
  if (setQualifier === 'ForAnyValue') return requestValues.some((value) => valueHolds(comparison, value, policyValues));
  if (comparison.negated) return !requestValues.some((value) => anyPolicyValueMatches(comparison, value, policyValues));
  return requestValues.some((value) => anyPolicyValueMatches(comparison, value, policyValues));
}

/** The whole Condition element: every operator, and every key under it, must hold (logical AND). */
export function conditionHolds(condition: ConditionBlock, context: RequestContext): boolean {
  return Object.entries(condition).every(([operatorName, keys]) => {
    const operator = parseConditionOperator(operatorName);
    return Object.entries(keys).every(([key, policyValues]) => keyHolds(operator, lookUp(context, key), policyValues));
  });
}
