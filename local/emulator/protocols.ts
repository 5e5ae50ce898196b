import type { IncomingHttpHeaders } from 'node:http';

/**
 * The AWS wire protocols the handlers' SDK v3 clients speak, for the emulator's side of the conversation
 * (CloudWatch's installed client speaks awsJson1_0, with the awsQueryCompatible trait):
 * - awsJson1_0 / awsJson1_1 (DMS, SSM, Secrets Manager: 1.1; DynamoDB, Step Functions, CloudWatch: 1.0):
 *   POST with `X-Amz-Target: <prefix>.<Operation>` and a JSON body; timestamps travel as epoch seconds;
 *   errors are a 4xx/5xx with `{"__type": "<Code>", "message"}` (the SDK takes the name after any `#`).
 * - awsQuery (SNS, RDS): a form-encoded body with `Action` and `Version` (the service is the signing name of
 *   the request's SigV4 credential scope), an XML response
 *   `<OpResponse><OpResult>...</OpResult></OpResponse>` and errors as `<ErrorResponse><Error><Code>`.
 * - restJson1 (EventBridge Scheduler): the operation is the method and path (`POST /schedules/{Name}`), a
 *   JSON body, errors named by the `x-amzn-errortype` header.
 */

/** An error the emulated service answers with; `code` reaches the handler as the SDK error's `name`. */
export class AwsServiceError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly statusCode = 400,
    /** Modeled members of the error beyond its message (DynamoDB's `Item` on a failed condition). */
    readonly fields: Record<string, unknown> = {},
  ) {
    super(message);
    this.name = code;
  }
}

/**
 * The error a service answers a throttled call with, by its SigV4 signing name, as its model says: SNS its modelled
 * Throttled (HTTP 429; the SDK's ThrottledException), RDS and CloudWatch the unmodelled Throttling, S3 SlowDown
 * (503), the JSON services ThrottlingException. Every one is in the SDK's list of throttling codes.
 */
export function throttlingError(service: string | undefined): AwsServiceError {
  switch (service) {
    case 'sns':
      return new AwsServiceError('Throttled', 'Rate exceeded', 429);
    case 'rds':
    case 'monitoring':
      return new AwsServiceError('Throttling', 'Rate exceeded');
    case 's3':
      return new AwsServiceError('SlowDown', 'Please reduce your request rate.', 503);
    default:
      return new AwsServiceError('ThrottlingException', 'Rate exceeded');
  }
}

export type Operation = (input: Record<string, unknown>) => unknown;

export interface JsonService {
  protocol: 'json';
  /** awsJson1_0 or awsJson1_1: only the response content type differs. */
  jsonVersion: '1.0' | '1.1';
  targetPrefix: string;
  operations: Record<string, Operation>;
}

export interface QueryService {
  protocol: 'query';
  /** The SigV4 signing name requests carry in their credential scope (`sns`, `rds`). */
  signingName: string;
  /** The `Version` every request of the service carries (SNS 2010-03-31, RDS 2014-10-31). */
  apiVersion: string;
  xmlNamespace: string;
  /** List element names where the service's model names members (RDS: DBClusters -> DBCluster); default `member`. */
  listMemberNames: Record<string, string>;
  operations: Record<string, (parameters: Record<string, string>) => unknown>;
}

export interface RestJsonService {
  protocol: 'rest-json';
  /** The SigV4 signing name requests carry in their credential scope (`scheduler`). */
  signingName: string;
  /** Routes by method and path pattern; `{Name}` segments become input fields. */
  routes: Array<{ method: string; path: string; operationName: string; operation: Operation }>;
}

/** restXml services (S3) read the HTTP request themselves: the path, the query, headers and a raw body. */
export interface RestXmlService {
  protocol: 'rest-xml';
  signingName: string;
  handle(request: WireRequest, beforeOperation: BeforeOperation): Promise<WireResponse> | WireResponse;
}

export type EmulatedService = JsonService | QueryService | RestJsonService | RestXmlService;

export interface WireRequest {
  method: string;
  path: string;
  headers: IncomingHttpHeaders;
  body: string;
}

export interface WireResponse {
  statusCode: number;
  headers: Record<string, string>;
  body: string;
}

const REQUEST_ID = () => `emulator-${Math.random().toString(16).slice(2, 10)}`;

/** Finds the service and operation a request is for, runs it, and encodes the answer in the service's protocol. */
export async function handleAwsRequest(
  services: EmulatedService[],
  { method, path, headers, body }: WireRequest,
  beforeOperation: BeforeOperation = () => undefined,
): Promise<WireResponse> {
  // REST services are told apart by the signing name in the SigV4 credential scope: their paths may overlap.
  const signingName = signingNameOf(headers);
  const restXml = services.find((service): service is RestXmlService => service.protocol === 'rest-xml' && service.signingName === signingName);
  if (restXml) return restXml.handle({ method, path, headers, body }, beforeOperation);
  const route = restRoute(services, signingName, method, path);
  if (route) return runRestJson(route.operationName, route.operation, { ...route.pathFields, ...(body ? (JSON.parse(body) as Record<string, unknown>) : {}) }, signingName, beforeOperation);
  const target = headers['x-amz-target'];
  if (typeof target === 'string') {
    const separator = target.lastIndexOf('.');
    const prefix = target.slice(0, separator);
    const operationName = target.slice(separator + 1);
    const service = services.find((candidate): candidate is JsonService => candidate.protocol === 'json' && candidate.targetPrefix === prefix);
    if (!service) return jsonError('1.1', new AwsServiceError('UnknownOperationException', `The emulator does not serve ${target}`));
    return runJson(service, operationName, body, signingName, beforeOperation);
  }
  // awsQuery form posts (SNS, RDS) name no service in their body but the API version; a signed request names
  // it in its credential scope, as the AWS CLI's and the SDKs' requests all are.
  const parameters = Object.fromEntries(new URLSearchParams(body));
  const queryServices = services.filter((candidate): candidate is QueryService => candidate.protocol === 'query');
  const service = signingName ? queryServices.find((candidate) => candidate.signingName === signingName) : queryServices.find((candidate) => candidate.apiVersion === parameters.Version);
  if (!service) {
    return queryError('', new AwsServiceError('InvalidAction', `The emulator serves no query API ${signingName ? `signed for ${signingName}` : `version ${parameters.Version ?? '(none)'}`}`));
  }
  if (parameters.Version !== service.apiVersion) {
    return queryError(service.xmlNamespace, new AwsServiceError('InvalidAction', `Could not find operation ${parameters.Action ?? '(none)'} for version ${parameters.Version ?? '(none)'}`));
  }
  return runQuery(service, parameters, signingName, beforeOperation);
}

/** The service a SigV4-signed request is for: the signing name in its credential scope (`dms`, `monitoring`). */
export function signingNameOf(headers: IncomingHttpHeaders): string | undefined {
  return /Credential=[^/]+\/[^/]+\/[^/]+\/([^/]+)\//.exec(String(headers.authorization ?? ''))?.[1];
}

/** One operation about to run: what throttling faults and IAM enforcement look at. */
export interface OperationCall {
  name: string;
  protocol: EmulatedService['protocol'];
  /** The SigV4 signing name of the request. */
  service: string | undefined;
  /** The request's members (a query protocol's flat parameters; S3's Bucket and Key). */
  input: Record<string, unknown>;
}

/** Runs before each operation; throwing an AwsServiceError answers the request with it instead. */
export type BeforeOperation = (call: OperationCall) => void | Promise<void>;

async function runJson(service: JsonService, operationName: string, body: string, signingName: string | undefined, beforeOperation: BeforeOperation): Promise<WireResponse> {
  const operation = service.operations[operationName];
  if (!operation) {
    return jsonError(service.jsonVersion, new AwsServiceError('UnknownOperationException', `The emulator does not serve ${service.targetPrefix}.${operationName}`));
  }
  try {
    const input = body ? (JSON.parse(body) as Record<string, unknown>) : {};
    await beforeOperation({ name: operationName, protocol: 'json', service: signingName, input });
    const output = await operation(input);
    return {
      statusCode: 200,
      headers: { 'content-type': `application/x-amz-json-${service.jsonVersion}`, 'x-amzn-requestid': REQUEST_ID() },
      body: JSON.stringify(toJsonWire(output ?? {})),
    };
  } catch (error) {
    return jsonError(service.jsonVersion, asServiceError(error));
  }
}

function jsonError(jsonVersion: string, error: AwsServiceError): WireResponse {
  return {
    statusCode: error.statusCode,
    headers: { 'content-type': `application/x-amz-json-${jsonVersion}`, 'x-amzn-requestid': REQUEST_ID(), 'x-amzn-errortype': error.code },
    body: JSON.stringify({ __type: error.code, message: error.message, ...(toJsonWire(error.fields) as object) }),
  };
}

function restRoute(services: EmulatedService[], signingName: string | undefined, method: string, path: string) {
  for (const service of services) {
    if (service.protocol !== 'rest-json' || service.signingName !== signingName) continue;
    for (const route of service.routes) {
      const names: string[] = [];
      const pattern = new RegExp(`^${route.path.replace(/\{(\w+)\}/g, (_, name: string) => (names.push(name), '([^/?]+)'))}(\\?.*)?$`);
      const match = route.method === method ? pattern.exec(path) : null;
      if (match) return { ...route, pathFields: Object.fromEntries(names.map((name, index) => [name, decodeURIComponent(match[index + 1])])) };
    }
  }
  return undefined;
}

async function runRestJson(
  operationName: string,
  operation: Operation,
  input: Record<string, unknown>,
  signingName: string | undefined,
  beforeOperation: BeforeOperation,
): Promise<WireResponse> {
  try {
    await beforeOperation({ name: operationName, protocol: 'rest-json', service: signingName, input });
    const output = await operation(input);
    return { statusCode: 200, headers: { 'content-type': 'application/json', 'x-amzn-requestid': REQUEST_ID() }, body: JSON.stringify(toJsonWire(output ?? {})) };
  } catch (error) {
    const serviceError = asServiceError(error);
    return {
      statusCode: serviceError.statusCode,
      headers: { 'content-type': 'application/json', 'x-amzn-requestid': REQUEST_ID(), 'x-amzn-errortype': serviceError.code },
      body: JSON.stringify({ message: serviceError.message }),
    };
  }
}

/** JSON protocols send timestamps as epoch seconds (with fractions). */
export function toJsonWire(value: unknown): unknown {
  if (isDate(value)) return value.getTime() / 1000;
  if (Array.isArray(value)) return value.map(toJsonWire);
  if (value && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).filter(([, field]) => field !== undefined).map(([name, field]) => [name, toJsonWire(field)]));
  }
  return value;
}

async function runQuery(service: QueryService, parameters: Record<string, string>, signingName: string | undefined, beforeOperation: BeforeOperation): Promise<WireResponse> {
  const action = parameters.Action ?? '';
  const operation = service.operations[action];
  if (!operation) return queryError(service.xmlNamespace, new AwsServiceError('InvalidAction', `The emulator does not serve ${action}`));
  try {
    await beforeOperation({ name: action, protocol: 'query', service: signingName, input: parameters });
    const output = (await operation(parameters)) ?? {};
    const result = Object.entries(output as Record<string, unknown>)
      .map(([name, field]) => toXml(name, field, service.listMemberNames))
      .join('');
    return {
      statusCode: 200,
      headers: { 'content-type': 'text/xml' },
      body:
        `<${action}Response xmlns="${service.xmlNamespace}"><${action}Result>${result}</${action}Result>` +
        `<ResponseMetadata><RequestId>${REQUEST_ID()}</RequestId></ResponseMetadata></${action}Response>`,
    };
  } catch (error) {
    return queryError(service.xmlNamespace, asServiceError(error));
  }
}

function queryError(xmlNamespace: string, error: AwsServiceError): WireResponse {
  const type = error.statusCode >= 500 ? 'Receiver' : 'Sender';
  return {
    statusCode: error.statusCode,
    headers: { 'content-type': 'text/xml' },
    body:
      `<ErrorResponse xmlns="${xmlNamespace}"><Error><Type>${type}</Type><Code>${escapeXml(error.code)}</Code>` +
      `<Message>${escapeXml(error.message)}</Message></Error><RequestId>${REQUEST_ID()}</RequestId></ErrorResponse>`,
  };
}

/** awsQuery responses: structures nest, lists repeat their member element, timestamps are ISO 8601. */
export function toXml(name: string, value: unknown, listMemberNames: Record<string, string> = {}): string {
  if (value === undefined || value === null) return '';
  if (Array.isArray(value)) {
    const member = listMemberNames[name] ?? 'member';
    return `<${name}>${value.map((item) => toXml(member, item, listMemberNames)).join('')}</${name}>`;
  }
  if (isDate(value)) return `<${name}>${value.toISOString()}</${name}>`;
  if (typeof value === 'object') {
    const fields = Object.entries(value).map(([field, fieldValue]) => toXml(field, fieldValue, listMemberNames));
    return `<${name}>${fields.join('')}</${name}>`;
  }
  return `<${name}>${escapeXml(String(value))}</${name}>`;
}

/** Not `instanceof`: dates cloned with structuredClone come from another realm under test runners. */
function isDate(value: unknown): value is Date {
  return Object.prototype.toString.call(value) === '[object Date]';
}

export function escapeXml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

/** An unexpected emulator failure reaches the handler as the 500 a real service would send. */
function asServiceError(error: unknown): AwsServiceError {
  if (error instanceof AwsServiceError) return error;
  return new AwsServiceError('InternalFailure', `Emulator failure: ${(error as Error).message}`, 500);
}

/**
 * awsQuery flattens maps as `<Name>.entry.<n>.key|Name / .value|Value...`; this collects one of them
 * (`queryMap(parameters, 'MessageAttributes')` -> `{ kind: { DataType, StringValue } }`).
 */
export function queryMap(parameters: Record<string, string>, name: string): Record<string, Record<string, string>> {
  const entries = new Map<string, Record<string, string>>();
  const pattern = new RegExp(`^${name}\\.entry\\.(\\d+)\\.(.+)$`);
  for (const [key, value] of Object.entries(parameters)) {
    const match = pattern.exec(key);
    if (!match) continue;
    const entry = entries.get(match[1]) ?? {};
    entry[match[2]] = value;
    entries.set(match[1], entry);
  }
  const map: Record<string, Record<string, string>> = {};
  for (const entry of entries.values()) {
    const fields: Record<string, string> = {};
    for (const [key, value] of Object.entries(entry)) {
      if (key.startsWith('Value.')) fields[key.slice('Value.'.length)] = value;
    }
    map[entry.Name ?? entry.key ?? ''] = fields;
  }
  return map;
}
