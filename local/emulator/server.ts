import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { DatabaseCredentials } from '../../functions/shared/mysql';
import { NO_RESOURCE_FACTS, type ResourceFacts, type StackAuthorizer } from '../iam';
import { TaskTokens } from '../workflow/task-tokens';
import { callerOfConnection } from './callers';
import { EmulatedDms } from './dms/api';
import type { DmsEndpointDefinition, DmsEvent, DmsFaults, DmsInstanceDefinition, DmsReplicationConfigDefinition, DmsTaskDefinition } from './dms/definitions';
import { dynamoDbService, type Item } from './dynamodb';
import type { DatabaseNetwork } from './network';
import { AwsServiceError, handleAwsRequest, signingNameOf, throttlingError, type BeforeOperation, type EmulatedService } from './protocols';
import { s3Service } from './s3';
import { StepFunctionsExecutions, stepFunctionsService, type StateMachineRecord } from './step-functions';
import {
  cloudWatchService,
  eventBridgeService,
  rdsService,
  schedulerService,
  secretArnOf,
  secretsManagerService,
  snsService,
  ssmService,
  type LocalTargetDatabase,
  type PublishedMessage,
  type RdsState,
  type TopicSubscription,
} from './services';

/**
 * A local AWS for the rehearsal: one plain HTTP server on a free loopback port that answers, over the real
 * wire protocols, exactly the API calls the phase functions make. Point the SDK at it with
 * `AWS_ENDPOINT_URL=<url>` (honoured by every SDK v3 client) and any dummy credentials.
 */
export interface EmulatorOptions {
  dms: {
    endpoints: DmsEndpointDefinition[];
    task: DmsTaskDefinition;
    instance: DmsInstanceDefinition;
    /** DMS Serverless replication configs that exist before the run (the operator's). */
    replicationConfigs?: DmsReplicationConfigDefinition[];
    batchRows?: number;
  };
  target: LocalTargetDatabase;
  /** Secrets by ARN: the database secrets (`{host, port, username, password}`) and the approval signing key. */
  secrets: Record<string, string>;
  faults?: EmulatorFaults;
  /** The EventBridge rules the stack creates that the functions turn on and off, all disabled to begin with. */
  eventRules?: string[];
  /** The DynamoDB tables the stack creates (the token table), empty to begin with; others do not exist. */
  dynamoDbTables?: string[];
  /** SSM String parameters that exist before the run (the application's endpoint parameter), by name. */
  parameters?: Record<string, string>;
  /** The SNS topics the stack creates (its notification topic); others do not exist. */
  snsTopicArns?: string[];
  /** The state machines the stack creates, whose locally run executions the emulator records (`executions`). */
  stateMachines?: StateMachineRecord[];
  /** How many seconds behind the source the emulated DMS's change capture stays: a lagging replication instance. */
  cdcLatencySeconds?: number;
  /** Where every published SNS message is appended, one JSON line each. */
  outboxFile?: string;
  /** The stack's topic subscriptions: each published message records which of them accept it (filter policies). */
  subscriptions?: TopicSubscription[];
  onPublish?(message: PublishedMessage): void;
  /** The DMS event rule's target: called on every task or serverless replication state change, as EventBridge would invoke the watcher. */
  onDmsEvent?(event: DmsEvent): void;
  /**
   * The deployed stack's contract: every call a function or the state machine makes (attributed by
   * `runAsCaller`) is authorized against its role's policies, and a call from a VPC function to a service
   * its network does not reach gets no answer. Calls made outside any caller (the rehearsal's own reads,
   * the operator's approval) are not evaluated.
   */
  enforce?: { authorizer: StackAuthorizer; network?: DatabaseNetwork };
}

export interface EmulatorFaults extends DmsFaults {
  /** Answer the next N calls of an operation (e.g. `DescribeReplicationTasks`) with the service's throttling error. */
  throttle?: Record<string, number>;
}

export interface AwsEmulator {
  readonly url: string;
  readonly dms: EmulatedDms;
  readonly tokens: TaskTokens;
  /** Executions of `stateMachines` the local runner runs: recorded here, read with DescribeExecution and the like. */
  readonly executions: StepFunctionsExecutions;
  readonly messages: PublishedMessage[];
  readonly parameters: Map<string, { value: string; version: number; type: string }>;
  /** One-time schedules created (the approval reminder); the emulator keeps them but never fires them. */
  readonly schedules: Array<{ name: string; groupName: string; expression: string; input: string }>;
  /** The state of each rule of `eventRules`. */
  readonly eventRules: Map<string, 'ENABLED' | 'DISABLED'>;
  close(): Promise<void>;
}

export async function startAwsEmulator(options: EmulatorOptions): Promise<AwsEmulator> {
  const faults = options.faults ?? {};
  const secrets = new Map(Object.entries(options.secrets));
  const tokens = new TaskTokens();
  const executions = new StepFunctionsExecutions(options.stateMachines ?? []);
  const messages: PublishedMessage[] = [];
  const parameters: AwsEmulator['parameters'] = new Map(Object.entries(options.parameters ?? {}).map(([name, value]) => [name, { value, version: 1, type: 'String' }]));
  const dynamoDbTables = new Map((options.dynamoDbTables ?? []).map((name) => [name, new Map<string, Item>()]));
  const rds: RdsState = { target: options.target, snapshots: [] };
  const schedules: AwsEmulator['schedules'] = [];
  const eventRules: AwsEmulator['eventRules'] = new Map((options.eventRules ?? []).map((name) => [name, 'DISABLED']));
  const dms = new EmulatedDms({
    ...options.dms,
    cdcLagSeconds: options.cdcLatencySeconds,
    faults,
    readCredentials: (secretArn) => databaseCredentials(secrets, secretArn),
    onEvent: (event) => options.onDmsEvent?.(event),
  });
  const services: EmulatedService[] = [
    dms.service(),
    snsService(options.snsTopicArns ?? [], { messages, subscriptions: options.subscriptions, file: options.outboxFile, onPublish: options.onPublish }),
    rdsService(rds),
    cloudWatchService(dms),
    ssmService(parameters),
    secretsManagerService(secrets),
    stepFunctionsService(tokens, executions),
    dynamoDbService(dynamoDbTables),
    schedulerService(schedules),
    eventBridgeService(eventRules),
    s3Service(new Map()),
  ];
  const facts: ResourceFacts = { tagsOf: (arn) => dms.tagsOf(arn), secretArn: (secretId) => secretArnOf(secrets.keys(), secretId) };
  const server = await serveAws(services, { enforce: options.enforce, facts, throttle: faults.throttle });
  return {
    url: server.url,
    dms,
    tokens,
    executions,
    messages,
    parameters,
    schedules,
    eventRules,
    close: async () => {
      dms.halt();
      await dms.settled();
      await server.close();
    },
  };
}

/**
 * A wave stack's AWS (infra/wave-stack.ts): what its functions call, its token table (the wave's approval
 * record) and its topic, and the Step Functions task tokens the approval hands back; its own IAM. The wave's
 * migrations each run against their own stack's emulator (`startAwsEmulator`).
 */
export interface WaveEmulatorOptions {
  tokenTableName: string;
  snsTopicArns: string[];
  subscriptions?: TopicSubscription[];
  stateMachines: StateMachineRecord[];
  outboxFile?: string;
  onPublish?(message: PublishedMessage): void;
  enforce?: { authorizer: StackAuthorizer };
  /** The wave's secrets by ARN: its approval links' signing key. */
  secrets: Record<string, string>;
}

export type WaveEmulator = Pick<AwsEmulator, 'url' | 'tokens' | 'executions' | 'messages' | 'close'>;

export async function startWaveEmulator(options: WaveEmulatorOptions): Promise<WaveEmulator> {
  const tokens = new TaskTokens();
  const executions = new StepFunctionsExecutions(options.stateMachines);
  const messages: PublishedMessage[] = [];
  const services: EmulatedService[] = [
    snsService(options.snsTopicArns, { messages, subscriptions: options.subscriptions, file: options.outboxFile, onPublish: options.onPublish }),
    stepFunctionsService(tokens, executions),
    dynamoDbService(new Map([[options.tokenTableName, new Map<string, Item>()]])),
    secretsManagerService(new Map(Object.entries(options.secrets))),
  ];
  const server = await serveAws(services, { enforce: options.enforce, facts: NO_RESOURCE_FACTS });
  return { url: server.url, tokens, executions, messages, close: () => server.close() };
}

/**
 * One plain HTTP server on a free loopback port answering `services` over their wire protocols. Each call
 * is attributed to its caller (callers.ts) and, under `enforce`, authorized against the caller's role
 * before the service answers, and refused when the caller's network does not reach the service.
 */
async function serveAws(
  services: EmulatedService[],
  options: { enforce?: { authorizer: StackAuthorizer; network?: DatabaseNetwork }; facts: ResourceFacts; throttle?: Record<string, number> },
): Promise<{ url: string; close(): Promise<void> }> {
  const throttleRemaining = new Map(Object.entries(options.throttle ?? {}));
  const throttle: BeforeOperation = ({ name, service }) => {
    const remaining = throttleRemaining.get(name) ?? 0;
    if (remaining <= 0) return;
    throttleRemaining.set(name, remaining - 1);
    throw throttlingError(service);
  };
  /** IAM answers before the service does: a denied call never reaches the operation. */
  const authorizeAs = (principal: string | undefined): BeforeOperation => async (call) => {
    if (options.enforce && principal) {
      const { denial } = await options.enforce.authorizer.authorize(principal, { service: call.service ?? '', operation: call.name, input: call.input }, options.facts);
      if (denial) throw new AwsServiceError(denial.code, denial.message, denial.statusCode);
    }
    throttle(call);
  };

  const server: Server = createServer((request, response) => {
    const principal = callerOfConnection(request.socket.remotePort)?.principal;
    // No route from the database network: the connection is accepted and nothing ever answers, as a
    // request into a VPC without an endpoint or NAT times out on the client's side.
    const network = options.enforce?.network;
    if (principal && network && !network.reaches(principal, signingNameOf(request.headers) ?? '')) return;
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const wireRequest = { method: request.method ?? 'POST', path: request.url ?? '/', headers: request.headers, body: Buffer.concat(chunks).toString('utf8') };
      void handleAwsRequest(services, wireRequest, authorizeAs(principal)).then((answer) => {
        response.writeHead(answer.statusCode, { ...answer.headers, 'content-length': Buffer.byteLength(answer.body) });
        response.end(answer.body);
      });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** DMS endpoints configured with a Secrets Manager secret read it in the RDS secret JSON shape. */
function databaseCredentials(secrets: Map<string, string>, secretArn: string): DatabaseCredentials {
  const secret = secrets.get(secretArn);
  if (secret === undefined) throw new Error(`The emulator holds no secret ${secretArn}`);
  const { host, port, username, password } = JSON.parse(secret) as { host: string; port?: number | string; username: string; password: string };
  return { host, port: Number(port ?? 3306), username, password };
}
