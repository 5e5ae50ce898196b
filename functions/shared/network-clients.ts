import { AwsServiceUnreachable } from './errors';

/**
 * SDK clients for functions that run in the database network. There an AWS API is reachable only through a
 * VPC endpoint or a NAT gateway, and the JavaScript SDK sets no connection timeout by default: without one, a
 * missing route hangs until Lambda ends the function, possibly with the source frozen. So every such client
 * gives up on a connection after a few seconds and on a silent answer after a few more, and an API that
 * stays out of reach surfaces as `AwsServiceUnreachable`, naming the service, which the workflow does not retry.
 */
export interface NetworkTimeouts {
  /** Milliseconds to establish the TCP (and TLS) connection. */
  readonly connectionTimeoutMs: number;
  /** Milliseconds for the whole request and response once connected. */
  readonly requestTimeoutMs: number;
}

/**
 * Generous for an in-region AWS API, which connects in milliseconds and answers in well under a second; the
 * SDK's standard retry makes three attempts, so an unreachable API fails a call in about 10 s.
 */
export const DATABASE_NETWORK_TIMEOUTS: NetworkTimeouts = { connectionTimeoutMs: 3_000, requestTimeoutMs: 10_000 };

/** What the SDK's clients have in common that this needs: their configuration's service name and their middleware. */
interface SdkClient {
  config: { serviceId?: string };
  middlewareStack: {
    add(
      middleware: (next: (args: never) => Promise<unknown>) => (args: never) => Promise<unknown>,
      options: { step: 'initialize'; name: string },
    ): void;
  };
}

/**
 * A client of `Client` with the database network's timeouts:
 * `databaseNetworkClient(DatabaseMigrationServiceClient)`. The timeouts are for tests to shorten.
 */
export function databaseNetworkClient<Client extends SdkClient>(
  Client: new (configuration: { requestHandler: Record<string, unknown> }) => Client,
  timeouts: NetworkTimeouts = DATABASE_NETWORK_TIMEOUTS,
): Client {
  const client = new Client({
    // Options for the SDK's NodeHttpHandler; throwOnRequestTimeout turns an exceeded requestTimeout into an
    // error instead of a logged warning (@smithy/node-http-handler NodeHttpHandlerOptions).
    requestHandler: { connectionTimeout: timeouts.connectionTimeoutMs, requestTimeout: timeouts.requestTimeoutMs, throwOnRequestTimeout: true },
  });
  const service = client.config.serviceId ?? Client.name;
  // At the outermost step, so the SDK's own retries have run: only an API that stayed out of reach is reported.
  client.middlewareStack.add(
    (next) => async (args) => {
      try {
        return await next(args);
      } catch (error) {
        if (error instanceof Error && error.name === 'TimeoutError') throw new AwsServiceUnreachable(service, error);
        throw error;
      }
    },
    { step: 'initialize', name: 'databaseNetworkReachability' },
  );
  return client;
}
