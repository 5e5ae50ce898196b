import { AsyncLocalStorage } from 'node:async_hooks';
import { subscribe } from 'node:diagnostics_channel';
import type { ClientRequest } from 'node:http';
import type { Socket } from 'node:net';

/**
 * Who makes an AWS call in a local run. On AWS each Lambda function acts as its own role; locally every
 * handler runs in one Node.js process against one AWS_ENDPOINT_URL, so the caller is attributed here.
 *
 * Why an AsyncLocalStorage around each invocation, and not per-function credentials set while each handler
 * module loads: the SDK resolves a client's credentials (and its endpoint) lazily, at the client's first
 * request, from process.env as it is *then*, and keeps them. Environment set per module at load time would
 * be read later, under whichever function ran last, and two functions running at once (the DMS event watcher
 * beside a workflow step) would race for it. The invocation's async context, instead, follows each call
 * through the SDK's promise chain down to `http.request`, whatever client or shared module makes it.
 *
 * Over HTTP (the rehearsal's emulator) the context does not cross to the server side, so each outgoing
 * request's socket is tagged with its caller as it connects (diagnostics channel `http.client.request.start`,
 * published synchronously in the caller's context; headers are already stored by then, so a header cannot
 * carry it), and the emulator looks the caller up by the connection's client port. A keep-alive socket is
 * re-tagged by each request it carries, which is safe because HTTP/1.1 carries one request at a time.
 */
export interface Caller {
  /** The principal's logical id in the synthesized template: a Lambda function or the state machine. */
  principal: string;
}

const invocations = new AsyncLocalStorage<Caller>();
const callersByClientPort = new Map<number, Caller>();
let attributingHttp = false;

/** Runs `work` as `caller`: every AWS call it makes, however deep, is attributed to the caller. */
export function runAsCaller<T>(caller: Caller, work: () => T): T {
  attributeHttpCalls();
  return invocations.run(caller, work);
}

/** The caller of the code running now, if it runs inside `runAsCaller`. */
export function currentCaller(): Caller | undefined {
  return invocations.getStore();
}

/** The caller whose request arrived over the loopback connection from `clientPort`. */
export function callerOfConnection(clientPort: number | undefined): Caller | undefined {
  return clientPort === undefined ? undefined : callersByClientPort.get(clientPort);
}

function attributeHttpCalls(): void {
  if (attributingHttp) return;
  attributingHttp = true;
  subscribe('http.client.request.start', (message) => {
    const caller = currentCaller();
    const { request } = message as { request: ClientRequest };
    // A request outside any caller clears the tag a kept-alive socket may still carry from its last request.
    const attribute = (port: number) => (caller ? callersByClientPort.set(port, caller) : callersByClientPort.delete(port));
    const tag = (socket: Socket) => {
      // Tagged in the same tick the request is written: the server reads it in a later turn of the loop.
      if (socket.localPort !== undefined) attribute(socket.localPort);
      else socket.once('connect', () => attribute(socket.localPort as number));
    };
    if (request.socket) tag(request.socket);
    else request.once('socket', tag);
  });
}
