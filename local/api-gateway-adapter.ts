import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';

/**
 * Serves a Lambda handler written for an API Gateway HTTP API (payload format 2.0) on a local port, so a
 * real browser can use it: each node request becomes the event API Gateway would send, and the handler's
 * result becomes the HTTP response. For tests and rehearsals only; it listens on loopback by default.
 *
 *   const api = await serveHttpApi(handler);       // api.url = 'http://127.0.0.1:<port>'
 *   ...
 *   await api.close();
 *
 * What it copies from API Gateway: lower-case header names; duplicate query parameters joined with commas;
 * a body that is not text (a form post included) passed base64-encoded with isBase64Encoded; a handler
 * that throws answers 500 {"message":"Internal Server Error"}. HEAD responses carry no body.
 */
export type HttpApiHandler = (event: APIGatewayProxyEventV2) => Promise<APIGatewayProxyStructuredResultV2>;

export interface LocalHttpApi {
  /** `http://<host>:<port>`, without a trailing slash. */
  readonly url: string;
  close(): Promise<void>;
}

export interface LocalHttpApiOptions {
  /** @default 127.0.0.1 */
  host?: string;
  /** @default a free port */
  port?: number;
  /** Called with each handler failure (the client gets a 500). */
  onError?: (error: unknown) => void;
}

export async function serveHttpApi(handler: HttpApiHandler, options: LocalHttpApiOptions = {}): Promise<LocalHttpApi> {
  const server = createServer((request, response) => {
    void respond(handler, request, response, options.onError);
  });
  const host = options.host ?? '127.0.0.1';
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, host, resolve);
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://${host}:${port}`,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((error) => (error ? reject(error) : resolve()));
      }),
  };
}

async function respond(handler: HttpApiHandler, request: IncomingMessage, response: ServerResponse, onError?: (error: unknown) => void): Promise<void> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  let result: APIGatewayProxyStructuredResultV2;
  try {
    result = await handler(apiGatewayEvent(request, Buffer.concat(chunks)));
  } catch (error) {
    onError?.(error);
    result = { statusCode: 500, headers: { 'content-type': 'application/json' }, body: '{"message":"Internal Server Error"}' };
  }
  const body = result.body === undefined ? '' : Buffer.from(result.body, result.isBase64Encoded ? 'base64' : 'utf8');
  response.writeHead(result.statusCode ?? 200, { ...stringHeaders(result.headers), 'content-length': String(body.length) });
  response.end(request.method === 'HEAD' ? undefined : body);
}

/** The payload-format-2.0 event API Gateway builds for this request. */
export function apiGatewayEvent(request: IncomingMessage, body: Buffer): APIGatewayProxyEventV2 {
  const url = new URL(request.url ?? '/', 'http://localhost');
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(request.headers)) {
    if (value !== undefined) headers[name.toLowerCase()] = Array.isArray(value) ? value.join(',') : value;
  }
  const query: Record<string, string> = {};
  for (const [name, value] of url.searchParams) query[name] = name in query ? `${query[name]},${value}` : value;
  const method = request.method ?? 'GET';
  const now = new Date();
  const text = isText(headers['content-type']);
  return {
    version: '2.0',
    routeKey: '$default',
    rawPath: url.pathname,
    rawQueryString: url.search.slice(1),
    headers,
    ...(Object.keys(query).length > 0 ? { queryStringParameters: query } : {}),
    requestContext: {
      accountId: '123456789012',
      apiId: 'local',
      domainName: headers.host ?? 'localhost',
      domainPrefix: 'local',
      http: { method, path: url.pathname, protocol: `HTTP/${request.httpVersion}`, sourceIp: request.socket.remoteAddress ?? '127.0.0.1', userAgent: headers['user-agent'] ?? '' },
      requestId: randomUUID(),
      routeKey: '$default',
      stage: '$default',
      time: now.toUTCString(),
      timeEpoch: now.getTime(),
    },
    ...(body.length > 0 ? { body: body.toString(text ? 'utf8' : 'base64'), isBase64Encoded: !text } : { isBase64Encoded: false }),
  };
}

function isText(contentType: string | undefined): boolean {
  return contentType !== undefined && /^(text\/|application\/(json|xml|javascript))/i.test(contentType);
}

function stringHeaders(headers: APIGatewayProxyStructuredResultV2['headers']): Record<string, string> {
  return Object.fromEntries(Object.entries(headers ?? {}).map(([name, value]) => [name, String(value)]));
}
