import type { ExecutionStatus, HistoryEvent } from '@aws-sdk/client-sfn';
import type { AslDefinition } from '../workflow/asl';
import type { ExecutionEvent } from '../workflow/execute';
import { ExecutionHistory } from '../workflow/execution-history';
import type { TaskTokens } from '../workflow/task-tokens';
import { AwsServiceError, type JsonService } from './protocols';

/**
 * Step Functions as the emulator serves it: SendTaskSuccess / SendTaskFailure, relayed to the locally executed
 * state machine's waiting states; and the executions the local runner runs, recorded as the service records
 * them, for the reads an operator (or `dms-orchestrator status`) makes: DescribeExecution, GetExecutionHistory,
 * ListExecutions.
 */
export interface StateMachineRecord {
  stateMachineArn: string;
  definition: AslDefinition;
}

interface ExecutionRecord {
  executionArn: string;
  stateMachineArn: string;
  name: string;
  status: ExecutionStatus;
  startDate: Date;
  stopDate?: Date;
  input: string;
  output?: string;
  error?: string;
  cause?: string;
  history: ExecutionHistory;
}

export class StepFunctionsExecutions {
  private readonly executions: ExecutionRecord[] = [];

  constructor(private readonly stateMachines: StateMachineRecord[]) {}

  /**
   * An execution the local runner starts now: returns what to call with each event of its log, which keeps
   * its status, output and history as the service would.
   */
  begin(stateMachineArn: string, executionArn: string, input: unknown): (event: ExecutionEvent) => void {
    const { definition } = this.stateMachine(stateMachineArn);
    if (!executionArn.startsWith(`${stateMachineArn.replace(':stateMachine:', ':execution:')}:`)) {
      throw new Error(`Execution ${executionArn} is not one of ${stateMachineArn}`);
    }
    if (this.executions.some((execution) => execution.executionArn === executionArn)) throw new Error(`Execution ${executionArn} already exists`);
    const record: ExecutionRecord = {
      executionArn,
      stateMachineArn,
      name: executionArn.slice(executionArn.lastIndexOf(':') + 1),
      status: 'RUNNING',
      startDate: new Date(),
      input: JSON.stringify(input),
      history: new ExecutionHistory(definition, executionArn),
    };
    this.executions.push(record);
    return (event) => {
      record.history.add(event);
      if (event.type === 'ExecutionSucceeded') Object.assign(record, { status: 'SUCCEEDED', stopDate: new Date(event.timestamp), output: JSON.stringify(event.output ?? null) });
      if (event.type === 'ExecutionFailed') {
        const cause = event.Cause;
        Object.assign(record, { status: 'FAILED', stopDate: new Date(event.timestamp), error: String(event.Error), cause: typeof cause === 'string' ? cause : JSON.stringify(cause) });
      }
      if (event.type === 'ExecutionTerminated') Object.assign(record, { status: 'ABORTED', stopDate: new Date(event.timestamp) });
    };
  }

  describe(executionArn: string) {
    const { history: _history, ...execution } = this.execution(executionArn);
    return execution;
  }

  /** GetExecutionHistory: oldest first unless reversed, at most maxResults (default 100) a page. */
  history(input: Record<string, unknown>): { events: HistoryEvent[]; nextToken?: string } {
    const { history } = this.execution(String(input.executionArn));
    const events = input.reverseOrder === true ? [...history.events].reverse() : history.events;
    const page = paginate(events, input);
    if (input.includeExecutionData === false) page.items = page.items.map(withoutExecutionData);
    return { events: page.items, ...(page.nextToken ? { nextToken: page.nextToken } : {}) };
  }

  /** ListExecutions: a state machine's executions, newest first, optionally of one status. */
  list(input: Record<string, unknown>) {
    if (input.stateMachineArn === undefined) throw new AwsServiceError('ValidationException', 'Must provide a StateMachine ARN or MapRun ARN');
    const stateMachineArn = validArn(input.stateMachineArn, 'stateMachine');
    this.stateMachine(stateMachineArn);
    const statusFilter = input.statusFilter as string | undefined;
    if (statusFilter !== undefined && !EXECUTION_STATUSES.includes(statusFilter)) {
      throw new AwsServiceError('ValidationException', `1 validation error detected: Value '${statusFilter}' at 'statusFilter' failed to satisfy constraint: Member must satisfy enum value set: [${EXECUTION_STATUSES.join(', ')}]`);
    }
    const executions = this.executions
      .filter((execution) => execution.stateMachineArn === stateMachineArn && (statusFilter === undefined || execution.status === statusFilter))
      .sort((a, b) => b.startDate.getTime() - a.startDate.getTime())
      .map(({ executionArn, name, status, startDate, stopDate }) => ({ executionArn, stateMachineArn, name, status, startDate, stopDate }));
    const page = paginate(executions, input);
    return { executions: page.items, ...(page.nextToken ? { nextToken: page.nextToken } : {}) };
  }

  private stateMachine(stateMachineArn: string): StateMachineRecord {
    const stateMachine = this.stateMachines.find((candidate) => candidate.stateMachineArn === stateMachineArn);
    if (!stateMachine) throw new AwsServiceError('StateMachineDoesNotExist', `State Machine Does Not Exist: '${stateMachineArn}'`);
    return stateMachine;
  }

  private execution(executionArn: unknown): ExecutionRecord {
    const arn = validArn(executionArn, 'execution');
    const execution = this.executions.find((candidate) => candidate.executionArn === arn);
    if (!execution) throw new AwsServiceError('ExecutionDoesNotExist', `Execution Does Not Exist: '${arn}'`);
    return execution;
  }
}

const EXECUTION_STATUSES: readonly string[] = ['RUNNING', 'SUCCEEDED', 'FAILED', 'TIMED_OUT', 'ABORTED', 'PENDING_REDRIVE'];

function validArn(value: unknown, resourceType: 'stateMachine' | 'execution'): string {
  const arn = String(value);
  if (!new RegExp(`^arn:aws[a-z-]*:states:[a-z0-9-]+:\\d{12}:${resourceType}:[^:]+${resourceType === 'execution' ? ':[^:]+' : ''}$`).test(arn)) {
    throw new AwsServiceError('InvalidArn', `Invalid Arn: 'Resource type not valid in this context: ${arn}'`);
  }
  return arn;
}

/** maxResults is 0 to 1000, 0 meaning the default of 100; nextToken is the opaque token of the previous page. */
function paginate<T>(items: T[], input: Record<string, unknown>): { items: T[]; nextToken?: string } {
  const maxResults = input.maxResults === undefined ? 0 : Number(input.maxResults);
  if (!Number.isInteger(maxResults) || maxResults < 0 || maxResults > 1000) {
    throw new AwsServiceError('ValidationException', `1 validation error detected: Value '${String(input.maxResults)}' at 'maxResults' failed to satisfy constraint: Member must have value less than or equal to 1000`);
  }
  const pageSize = maxResults === 0 ? 100 : maxResults;
  let start = 0;
  if (input.nextToken !== undefined) {
    const match = /^emulated-page-(\d+)$/.exec(String(input.nextToken));
    if (!match || Number(match[1]) > items.length) throw new AwsServiceError('InvalidToken', `Invalid Token: '${String(input.nextToken)}'`);
    start = Number(match[1]);
  }
  const end = start + pageSize;
  return { items: items.slice(start, end), ...(end < items.length ? { nextToken: `emulated-page-${end}` } : {}) };
}

/** `includeExecutionData: false` leaves out every input and output. */
function withoutExecutionData(event: HistoryEvent): HistoryEvent {
  const stripped: Record<string, unknown> = { ...event };
  for (const [name, details] of Object.entries(event)) {
    if (!name.endsWith('EventDetails') || !details || typeof details !== 'object') continue;
    const { input: _input, output: _output, ...rest } = details as Record<string, unknown>;
    stripped[name] = rest;
  }
  return stripped as unknown as HistoryEvent;
}

export function stepFunctionsService(tokens: TaskTokens, executions: StepFunctionsExecutions): JsonService {
  const relay = (settle: () => void) => {
    try {
      settle();
    } catch (error) {
      throw new AwsServiceError('TaskTimedOut', (error as Error).message);
    }
    return {};
  };
  return {
    protocol: 'json',
    jsonVersion: '1.0',
    targetPrefix: 'AWSStepFunctions',
    operations: {
      SendTaskSuccess: (input) => relay(() => tokens.succeed(String(input.taskToken), String(input.output))),
      SendTaskFailure: (input) => relay(() => tokens.fail(String(input.taskToken), input.error as string | undefined, input.cause as string | undefined)),
      DescribeExecution: (input) => executions.describe(String(input.executionArn)),
      GetExecutionHistory: (input) => executions.history(input),
      ListExecutions: (input) => executions.list(input),
    },
  };
}
