import { boundedMessage } from './bounded-text';

/**
 * Errors the state machine reasons about.
 *
 * Lambda reports a thrown error's `name` as the Step Functions error name, and Retry/Catch match on it
 * exactly. Each class therefore sets `name` to a string literal: deriving it from the constructor would
 * break once esbuild minifies class names in the deployed bundle.
 *
 * Transient failures (throttling, AWS service errors) surface as `AwsServiceUnavailable`, the only name the
 * workflow retries besides Lambda's own service errors. Every other class is a real failure: retrying it
 * would only repeat the same answer.
 */
export abstract class MigrationError extends Error {
  abstract override readonly name: ThrownErrorName;

  constructor(message: string, options?: ErrorOptions) {
    // Within the Step Functions cause limit however many tables or problems the message names.
    super(boundedMessage(String(message)), options);
  }
}

/** The names our handlers throw: one per class below. */
const THROWN_ERROR_NAMES = [
  'InvalidInput',
  'ConfigurationError',
  'ConnectionTestFailed',
  'TargetNotReady',
  'ResourceNotFound',
  'TaskInUnexpectedState',
  'TablesErrored',
  'ValidationMismatch',
  'ValidationTimedOut',
  'ValidationNotEnabled',
  'CutoverPreconditionFailed',
  'SwitchIncomplete',
  'DatabaseSecretInvalid',
  'DatabaseUnreachable',
  'ReadinessCheckFailed',
  'DataMismatch',
  'AwsServiceUnavailable',
  'AwsServiceUnreachable',
  'WriteFreezeFailed',
  'CatchUpTimedOut',
  'MigrationLocked',
  'NothingToRollBack',
] as const;
type ThrownErrorName = (typeof THROWN_ERROR_NAMES)[number];

/**
 * Names no handler throws, raised on the workflow's other paths: the approval page fails the parked token
 * with `ApprovalRejected`, and the state machine's own polling loops end in `ConnectionTestTimedOut` and
 * `ReversePathNotReady` when their checks run out.
 */
const WORKFLOW_ONLY_ERROR_NAMES = ['ApprovalRejected', 'ConnectionTestTimedOut', 'ReversePathNotReady', 'WaveIncomplete'] as const;

/** Every error name a migration execution can fail or branch on: the closed set the notifications explain. */
export type WorkflowErrorName = ThrownErrorName | (typeof WORKFLOW_ONLY_ERROR_NAMES)[number];

/**
 * The names as constants, for the places that write one down without a class to throw (Retry and Catch
 * matchers, SendTaskFailure, a Pass state's error): `WorkflowError.ApprovalRejected`.
 */
export const WorkflowError = Object.fromEntries([...THROWN_ERROR_NAMES, ...WORKFLOW_ONLY_ERROR_NAMES].map((name) => [name, name])) as {
  readonly [Name in WorkflowErrorName]: Name;
};

export function isWorkflowErrorName(name: string): name is WorkflowErrorName {
  return Object.hasOwn(WorkflowError, name);
}

/**
 * The operator-facing message in a Step Functions error Cause. Lambda's Cause is a JSON string with
 * errorType/errorMessage/trace, and the message is all an operator needs; Step Functions' own errors (and
 * SendTaskFailure causes) are plain text, returned as they are. A failed execution's cause is the failure's
 * headline lines followed by the failed step's own cause (statemachine/kit.ts): each line is read that way.
 * Undefined when there is no cause at all.
 */
export function causeMessage(cause: unknown): string | undefined {
  if (cause === undefined || cause === null || cause === '') return undefined;
  if (typeof cause !== 'string') return String(cause);
  return lambdaErrorMessage(cause) ?? cause.split('\n').map((line) => lambdaErrorMessage(line) ?? line).join('\n');
}

function lambdaErrorMessage(text: string): string | undefined {
  try {
    const parsed: unknown = JSON.parse(text);
    if (parsed && typeof parsed === 'object' && 'errorMessage' in parsed && typeof parsed.errorMessage === 'string') return parsed.errorMessage;
  } catch {
    // Not JSON: a plain-text cause.
  }
  return undefined;
}

/** The execution input (or a handler's event) does not match the schema. Nothing was changed. */
export class InvalidInput extends MigrationError {
  override readonly name = 'InvalidInput';
  constructor(readonly problems: string[]) {
    super(`Invalid migration input: ${problems.join('; ')}`);
  }
}

/** A Lambda environment variable the handler needs is missing or malformed: a deployment defect. */
export class ConfigurationError extends MigrationError {
  override readonly name = 'ConfigurationError';
}

/** DMS TestConnection ended in `failed` for an endpoint. */
export class ConnectionTestFailed extends MigrationError {
  override readonly name = 'ConnectionTestFailed';
}

/** The target Aurora cluster / RDS instance is missing, not available, or not MySQL-compatible. */
export class TargetNotReady extends MigrationError {
  override readonly name = 'TargetNotReady';
}

/** A DMS resource named in the input does not exist (DMS answered ResourceNotFoundFault or an empty list). */
export class ResourceNotFound extends MigrationError {
  override readonly name = 'ResourceNotFound';
}

/** The replication task is in a state from which the requested step cannot safely proceed. */
export class TaskInUnexpectedState extends MigrationError {
  override readonly name = 'TaskInUnexpectedState';
}

/** One or more tables are in DMS's "Table error" state during the full load. */
export class TablesErrored extends MigrationError {
  override readonly name = 'TablesErrored';
  constructor(
    message: string,
    readonly tables: string[],
  ) {
    super(message);
  }
}

/** DMS data validation found mismatched, failed or suspended records, or could not validate a table. */
export class ValidationMismatch extends MigrationError {
  override readonly name = 'ValidationMismatch';
}

/** DMS validation was still pending when the migration's validation wait ran out. */
export class ValidationTimedOut extends MigrationError {
  override readonly name = 'ValidationTimedOut';
}

/** The requested check needs DMS data validation, but the task does not have it enabled. */
export class ValidationNotEnabled extends MigrationError {
  override readonly name = 'ValidationNotEnabled';
}

/** A cutover precondition does not hold; the message lists every one that failed. */
export class CutoverPreconditionFailed extends MigrationError {
  override readonly name = 'CutoverPreconditionFailed';
  constructor(readonly failedPreconditions: string[]) {
    super(`Cutover refused: ${failedPreconditions.join('; ')}`);
  }
}

/**
 * The switch published the new endpoint, then a later part of it failed: applications already use the new
 * side, so the frozen side must not be made writable again. Everything before the publication (snapshot,
 * stopping the task, the cutover record) fails with its own error instead, and the workflow unfreezes.
 */
export class SwitchIncomplete extends MigrationError {
  override readonly name = 'SwitchIncomplete';
}

/** A database secret in Secrets Manager is not the JSON shape `{host, port, username, password}`. */
export class DatabaseSecretInvalid extends MigrationError {
  override readonly name = 'DatabaseSecretInvalid';
}

/** The source or target MySQL server refused or timed out a direct connection. */
export class DatabaseUnreachable extends MigrationError {
  override readonly name = 'DatabaseUnreachable';
}

/** A readiness check of the source or target database failed; the message lists every failed check. */
export class ReadinessCheckFailed extends MigrationError {
  override readonly name = 'ReadinessCheckFailed';
  constructor(readonly failedChecks: string[]) {
    super(`Not ready to migrate: ${failedChecks.join('; ')}`);
  }
}

/** The independent comparison found tables whose rows differ between source and target. */
export class DataMismatch extends MigrationError {
  override readonly name = 'DataMismatch';
}

/** An AWS API answered with throttling or a server-side fault; safe to retry with backoff. */
export class AwsServiceUnavailable extends MigrationError {
  override readonly name = 'AwsServiceUnavailable';
}

/**
 * An AWS API did not answer a function in the database network within its timeouts, after the SDK's retries:
 * the network has no route to it. Not retried: a missing route stays missing until someone adds one.
 */
export class AwsServiceUnreachable extends MigrationError {
  override readonly name = 'AwsServiceUnreachable';
  constructor(service: string, cause?: Error) {
    super(`cannot reach ${service} from the database network: add a VPC endpoint or NAT${cause ? ` (${cause.message})` : ''}`, { cause });
  }
}

/** The source could not be put into read_only (a statement or table lock outlasted lock_wait_timeout, or no privilege). */
export class WriteFreezeFailed extends MigrationError {
  override readonly name = 'WriteFreezeFailed';
}

/** The catch-up marker did not reach the side catching up in time; the frozen side's writes were restored, nothing was switched. */
export class CatchUpTimedOut extends MigrationError {
  override readonly name = 'CatchUpTimedOut';
}

/** Another execution holds this migration's run lock; the message names it. */
export class MigrationLocked extends MigrationError {
  override readonly name = 'MigrationLocked';
  constructor(readonly holder: string) {
    super(`Another execution is already running this migration: ${holder}. This one stopped before changing anything.`);
  }
}

/** A rollback or complete was asked for, but there is no cutover (or no reverse replication) to act on. */
export class NothingToRollBack extends MigrationError {
  override readonly name = 'NothingToRollBack';
}
