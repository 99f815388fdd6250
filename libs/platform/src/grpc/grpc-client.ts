import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { type ClientWritableStream, credentials, loadPackageDefinition, Metadata, type Client, type ServiceError } from '@grpc/grpc-js';
import { loadSync } from '@grpc/proto-loader';
import { type GrpcServiceContract, GRPC_LOADER_OPTIONS, protoRoot } from '@flywheel/contracts';
import { currentTraceparent } from '../logging/request-context';
import { FLOW_CONTROL_WINDOW_OPTION, GRPC_FLOW_CONTROL_WINDOW_BYTES } from './flow-control';
import { parseGrpcTarget, withUnavailableRetries } from './grpc-target';
import { withoutWireNulls } from '../wire/wire-nulls';

/** A method of a ts-proto controller interface, seen from the calling side. */
type Unwrap<T> = T extends PromiseLike<infer U> ? U : T extends { subscribe: unknown } ? never : T;

/**
 * The unary methods of a generated `*Controller` interface as promise-returning calls: the same
 * request and response types the server implements, so both sides are checked by the compiler.
 */
export type GrpcClient<Controller> = {
  [K in keyof Controller]: Controller[K] extends (request: infer Req, ...rest: never[]) => infer Res
    ? (request: Req, options?: GrpcCallOptions) => Promise<Unwrap<Res>>
    : never;
} & {
  close(): void;
  raw: Client;
  /**
   * A client-streaming call (e.g. ImportModelVersion): sends `requests` in order, waiting for
   * the transport to drain when it asks to, and resolves with the one response.
   */
  sendStream<Req, Res>(method: string, requests: Iterable<Req> | AsyncIterable<Req>, options?: GrpcCallOptions): Promise<Res>;
};

export interface GrpcCallOptions {
  /** Overrides the client's default deadline for this call. */
  deadlineMs?: number;
  metadata?: Record<string, string>;
}

export interface GrpcClientOptions {
  /** `host:port`, replicas `ip:port,ip:port`, or `dns:///name:port` (see parseGrpcTarget). */
  address: string;
  /** Team API token sent as `authorization: Bearer …`. */
  token?: string;
  deadlineMs?: number;
  /** PEM of the CA that signed the server's certificate; TLS is off without it. */
  tlsCaFile?: string;
  maxMessageBytes?: number;
  /**
   * Calls that end UNAVAILABLE (a connection reset under them, a server restarting) are sent
   * again, up to 3 times in all: only for a service whose methods this caller may send twice.
   */
  retryUnavailable?: boolean;
}

/**
 * A typed client for one Flywheel gRPC service, for services calling each other and for the
 * `flywheel` command. Every call carries the token, a deadline and the current trace context.
 */
export function createGrpcClient<Controller>(contract: GrpcServiceContract, options: GrpcClientOptions): GrpcClient<Controller> {
  const definition = loadSync(join(protoRoot(), contract.protoPath), { ...GRPC_LOADER_OPTIONS, includeDirs: [protoRoot()] });
  const loaded = loadPackageDefinition(definition);
  const ServiceClient = contract.packageName
    .split('.')
    .concat(contract.serviceName)
    .reduce<unknown>((node, part) => (node as Record<string, unknown>)[part], loaded) as typeof Client;
  const channel = options.tlsCaFile ? credentials.createSsl(readFileSync(options.tlsCaFile)) : credentials.createInsecure();
  const maxBytes = options.maxMessageBytes ?? 16 * 1024 * 1024;
  const parsed = parseGrpcTarget(options.address);
  const { target, serviceConfig } = options.retryUnavailable
    ? withUnavailableRetries(parsed, `${contract.packageName}.${contract.serviceName}`)
    : parsed;
  const client = new ServiceClient(target, channel, {
    'grpc.max_receive_message_length': maxBytes,
    'grpc.max_send_message_length': maxBytes,
    // Large answers (a training set's chunks, an artifact's) come in without a stop every 64 KiB.
    [FLOW_CONTROL_WINDOW_OPTION]: GRPC_FLOW_CONTROL_WINDOW_BYTES,
    ...(serviceConfig && { 'grpc.service_config': serviceConfig }),
  });
  const defaultDeadline = options.deadlineMs ?? 30_000;

  const metadataOf = (callOptions: GrpcCallOptions): Metadata => {
    const metadata = new Metadata();
    if (options.token) metadata.set('authorization', `Bearer ${options.token}`);
    const traceparent = currentTraceparent();
    if (traceparent) metadata.set('traceparent', traceparent);
    for (const [key, value] of Object.entries(callOptions.metadata ?? {})) metadata.set(key, value);
    return metadata;
  };
  const method = (name: string) => (client as unknown as Record<string, (...args: unknown[]) => unknown>)[name];
  const deadlineOf = (callOptions: GrpcCallOptions) => new Date(Date.now() + (callOptions.deadlineMs ?? defaultDeadline));

  const call =
    (name: string) =>
    (request: unknown, callOptions: GrpcCallOptions = {}) =>
      new Promise((resolve, reject) => {
        method(name).call(
          client,
          request,
          metadataOf(callOptions),
          { deadline: deadlineOf(callOptions) },
          (error: ServiceError | null, response: unknown) => (error ? reject(error) : resolve(withoutWireNulls(response))),
        );
      });

  const sendStream = (name: string, requests: Iterable<unknown> | AsyncIterable<unknown>, callOptions: GrpcCallOptions = {}) =>
    new Promise((resolve, reject) => {
      let settled = false;
      const stream = method(name).call(
        client,
        metadataOf(callOptions),
        { deadline: deadlineOf(callOptions) },
        (error: ServiceError | null, response: unknown) => {
          settled = true;
          if (error) reject(error);
          else resolve(withoutWireNulls(response));
        },
      ) as ClientWritableStream<unknown>;
      void (async () => {
        try {
          for await (const request of requests) {
            // The server may answer (refuse) before everything is sent: stop writing then.
            if (settled) return;
            if (!stream.write(request)) await new Promise((drained) => stream.once('drain', drained).once('status', drained));
          }
          stream.end();
        } catch (error) {
          stream.cancel();
          reject(error);
        }
      })();
    });

  return new Proxy({} as GrpcClient<Controller>, {
    get(_target, property) {
      if (property === 'close') return () => client.close();
      if (property === 'raw') return client;
      if (property === 'sendStream') return sendStream;
      if (property === 'then') return undefined;
      if (typeof property !== 'string') return undefined;
      // ts-proto controllers use lowerCamel method names; grpc-js clients expose both casings.
      return call(property);
    },
  });
}
