import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import { DYNAMODB_RESERVED_WORDS } from './dynamodb-reserved-words';
import { AwsServiceError, type JsonService } from './protocols';

export type Item = Record<string, AttributeValue>;

/**
 * The DynamoDB item expressions the functions write, evaluated as DynamoDB does; anything else is refused
 * loudly rather than guessed. Conditions: `attribute_exists(a)`, `attribute_not_exists(a)`, comparisons
 * (`a = :v`, `<>`, `<`, `<=`, `>`, `>=`; strings and numbers), joined by AND and OR (AND binding tighter, as in
 * DynamoDB; parentheses are refused); an attribute may be a path into maps (`#vote.#key`). Updates:
 * `SET a = <operand>`, `SET a = <operand> + <operand>` or `-` (numbers), where an operand is a value, an
 * attribute or `if_not_exists(b, :v)`, and `REMOVE a, b`. A failed condition can return the item
 * (ReturnValuesOnConditionCheckFailure ALL_OLD), as DynamoDB does. Before any of that, the checks DynamoDB
 * makes of every request's expressions (validateExpressions): reserved words, undefined and unused placeholders.
 */
export interface ExpressionContext {
  names?: Record<string, string>;
  values?: Record<string, AttributeValue>;
}

const PATH = '[#\\w]+(?:\\.[#\\w]+)*';

export function conditionHolds(item: Item | undefined, condition: string | undefined, context: ExpressionContext = {}): boolean {
  if (!condition) return true;
  return condition.split(/\s+OR\s+/i).some((alternative) => alternative.split(/\s+AND\s+/i).every((clause) => clauseHolds(item, clause.trim(), context)));
}

function clauseHolds(item: Item | undefined, clause: string, context: ExpressionContext): boolean {
  const existence = new RegExp(`^attribute_(not_)?exists\\(\\s*(${PATH})\\s*\\)$`).exec(clause);
  if (existence) {
    const present = valueAt(item, existence[2], context) !== undefined;
    return existence[1] ? !present : present;
  }
  const comparison = new RegExp(`^(${PATH})\\s*(=|<>|<=|>=|<|>)\\s*(:\\w+)$`).exec(clause);
  if (!comparison) throw new AwsServiceError('ValidationException', `The emulator cannot evaluate the condition "${clause}"`);
  const [, attribute, operator, placeholder] = comparison;
  const stored = valueAt(item, attribute, context);
  const given = context.values?.[placeholder];
  if (stored === undefined || given === undefined) return false;
  if (operator === '=') return JSON.stringify(stored) === JSON.stringify(given);
  if (operator === '<>') return JSON.stringify(stored) !== JSON.stringify(given);
  const order = compare(stored, given);
  if (order === undefined) return false;
  return operator === '<' ? order < 0 : operator === '<=' ? order <= 0 : operator === '>' ? order > 0 : order >= 0;
}

/** DynamoDB orders strings by UTF-8 bytes and numbers numerically; other types (or a mix) do not compare. */
function compare(stored: AttributeValue, given: AttributeValue): number | undefined {
  if (stored.S !== undefined && given.S !== undefined) return Buffer.compare(Buffer.from(stored.S), Buffer.from(given.S));
  if (stored.N !== undefined && given.N !== undefined) return Math.sign(Number(stored.N) - Number(given.N));
  return undefined;
}

export function applyUpdate(item: Item, updateExpression: string, context: ExpressionContext = {}): Item {
  const updated: Item = { ...item };
  for (const [, action, body] of updateExpression.matchAll(/(SET|REMOVE)\s+(.+?)(?=\s+(?:SET|REMOVE)\s+|$)/gi)) {
    for (const assignment of body.split(/,(?![^(]*\))/).map((part) => part.trim())) {
      if (action.toUpperCase() === 'REMOVE') {
        delete updated[attributeName(assignment, context)];
        continue;
      }
      const [attribute, expression] = assignment.split(/\s*=\s*/);
      if (attribute.includes('.')) throw new AwsServiceError('ValidationException', `The emulator cannot set the nested attribute "${attribute}"`);
      updated[attributeName(attribute, context)] = updateValue(updated, expression, context);
    }
  }
  return updated;
}

/** `operand`, or `operand + operand` / `operand - operand` on numbers, read from the item as it stands. */
function updateValue(item: Item, expression: string, context: ExpressionContext): AttributeValue {
  const arithmetic = /^(.+?)\s+([+-])\s+(.+)$/.exec(expression);
  if (!arithmetic) return operandValue(item, expression, context);
  const [left, right] = [operandValue(item, arithmetic[1], context), operandValue(item, arithmetic[3], context)];
  if (left.N === undefined || right.N === undefined) throw new AwsServiceError('ValidationException', 'An operand in the update expression has an incorrect data type');
  return { N: String(arithmetic[2] === '+' ? Number(left.N) + Number(right.N) : Number(left.N) - Number(right.N)) };
}

function operandValue(item: Item, operand: string, context: ExpressionContext): AttributeValue {
  const ifNotExists = new RegExp(`^if_not_exists\\(\\s*(${PATH})\\s*,\\s*(:\\w+)\\s*\\)$`).exec(operand);
  const value = ifNotExists
    ? (valueAt(item, ifNotExists[1], context) ?? context.values?.[ifNotExists[2]])
    : /^:\w+$/.test(operand)
      ? context.values?.[operand]
      : new RegExp(`^${PATH}$`).test(operand)
        ? valueAt(item, operand, context)
        : undefined;
  if (value === undefined) {
    throw new AwsServiceError('ValidationException', `The emulator cannot evaluate "${operand}": the provided expression refers to an attribute that does not exist in the item, or to no value`);
  }
  return value;
}

/** The value at an attribute or a path into maps (`#a.#b`), undefined where any part is missing. */
function valueAt(item: Item | undefined, path: string, context: ExpressionContext): AttributeValue | undefined {
  const [first, ...rest] = path.split('.').map((part) => attributeName(part, context));
  return rest.reduce<AttributeValue | undefined>((value, name) => value?.M?.[name], item?.[first]);
}

/** The words of the expression grammar itself (and its functions): never attribute names. */
const EXPRESSION_GRAMMAR = new Set(['SET', 'REMOVE', 'ADD', 'DELETE', 'AND', 'OR', 'NOT', 'BETWEEN', 'IN']);
const EXPRESSION_FUNCTIONS = new Set(['attribute_exists', 'attribute_not_exists', 'attribute_type', 'begins_with', 'contains', 'size', 'if_not_exists', 'list_append']);

/**
 * What DynamoDB checks in a request's expressions before it evaluates any of them, with its own messages: no
 * attribute name that is a reserved word (DYNAMODB_RESERVED_WORDS; `#name` stands in for one), every `#name` and
 * `:value` used defined, and every one defined used, by some expression of the request.
 */
export function validateExpressions(input: {
  ConditionExpression?: unknown;
  UpdateExpression?: unknown;
  ExpressionAttributeNames?: unknown;
  ExpressionAttributeValues?: unknown;
}): void {
  const expressions = (['ConditionExpression', 'UpdateExpression'] as const).filter((field) => typeof input[field] === 'string');
  const names = Object.keys(input.ExpressionAttributeNames ?? {});
  const values = Object.keys(input.ExpressionAttributeValues ?? {});
  const used = new Set<string>();
  for (const field of expressions) {
    const expression = String(input[field]);
    for (const placeholder of expression.match(/[#:][A-Za-z0-9_]+/g) ?? []) {
      used.add(placeholder);
      const defined = placeholder.startsWith('#') ? names : values;
      if (!defined.includes(placeholder)) {
        throw new AwsServiceError(
          'ValidationException',
          placeholder.startsWith('#')
            ? `Invalid ${field}: An expression attribute name used in the document path is not defined; attribute name: ${placeholder}`
            : `Invalid ${field}: An expression attribute value used in expression is not defined; attribute value: ${placeholder}`,
        );
      }
    }
    const bare = expression.replace(/[#:][A-Za-z0-9_]+/g, ' ').replace(/\b(\w+)\s*\(/g, (call, name: string) => (EXPRESSION_FUNCTIONS.has(name) ? '(' : call));
    for (const word of bare.match(/\b[A-Za-z_]\w*\b/g) ?? []) {
      if (!EXPRESSION_GRAMMAR.has(word.toUpperCase()) && DYNAMODB_RESERVED_WORDS.has(word.toUpperCase())) {
        throw new AwsServiceError('ValidationException', `Invalid ${field}: Attribute name is a reserved keyword; reserved keyword: ${word}`);
      }
    }
  }
  for (const [kind, defined] of [['ExpressionAttributeValues', values], ['ExpressionAttributeNames', names]] as const) {
    const unused = defined.filter((placeholder) => !used.has(placeholder));
    if (unused.length > 0) throw new AwsServiceError('ValidationException', `Value provided in ${kind} unused in expressions: keys: {${unused.join(', ')}}`);
  }
}

function attributeName(token: string, context: ExpressionContext): string {
  return token.startsWith('#') ? (context.names?.[token] ?? token) : token;
}

const CONDITION_FAILED = (input: Record<string, unknown>, current: Item | undefined) =>
  new AwsServiceError(
    'ConditionalCheckFailedException',
    'The conditional request failed',
    400,
    input.ReturnValuesOnConditionCheckFailure === 'ALL_OLD' && current ? { Item: current } : {},
  );

/**
 * Tables keyed by their partition key only (the token table's `pk`), as the stack creates them; items by that
 * key's value. Only the tables in `tables` exist: any other name answers ResourceNotFoundException, as DynamoDB
 * does for "a nonexistent table" (the SDK model's words), so a mistyped table name fails here as on AWS.
 */
export function dynamoDbService(tables: Map<string, Map<string, Item>>, partitionKey = 'pk'): JsonService {
  const table = (input: Record<string, unknown>) => {
    const items = tables.get(String(input.TableName));
    if (!items) throw new AwsServiceError('ResourceNotFoundException', 'Requested resource not found');
    return items;
  };
  // A table's partition key has one type (S or N), so its value alone names the item.
  const keyOf = (key: unknown) => {
    const value = (key as Item)[partitionKey];
    return value.S ?? value.N ?? JSON.stringify(value);
  };
  const context = (input: Record<string, unknown>): ExpressionContext => ({
    names: input.ExpressionAttributeNames as Record<string, string> | undefined,
    values: input.ExpressionAttributeValues as Record<string, AttributeValue> | undefined,
  });
  return {
    protocol: 'json',
    jsonVersion: '1.0',
    targetPrefix: 'DynamoDB_20120810',
    operations: {
      GetItem: (input) => {
        const item = table(input).get(keyOf(input.Key));
        return item ? { Item: item } : {};
      },
      PutItem: (input) => {
        validateExpressions(input);
        const items = table(input);
        const key = keyOf(input.Item);
        const current = items.get(key);
        if (!conditionHolds(current, input.ConditionExpression as string | undefined, context(input))) throw CONDITION_FAILED(input, current);
        items.set(key, input.Item as Item);
        return {};
      },
      UpdateItem: (input) => {
        validateExpressions(input);
        const items = table(input);
        const key = keyOf(input.Key);
        const current = items.get(key);
        if (!conditionHolds(current, input.ConditionExpression as string | undefined, context(input))) throw CONDITION_FAILED(input, current);
        const updated = applyUpdate(current ?? { ...(input.Key as Item) }, String(input.UpdateExpression ?? ''), context(input));
        items.set(key, updated);
        return input.ReturnValues === 'ALL_NEW' ? { Attributes: updated } : {};
      },
      DeleteItem: (input) => {
        validateExpressions(input);
        const items = table(input);
        const key = keyOf(input.Key);
        const current = items.get(key);
        if (!conditionHolds(current, input.ConditionExpression as string | undefined, context(input))) throw CONDITION_FAILED(input, current);
        items.delete(key);
        return input.ReturnValues === 'ALL_OLD' && current ? { Attributes: current } : {};
      },
    },
  };
}
