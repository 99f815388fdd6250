import {
  type Metadata,
  ServerInterceptingCall,
  type ServerInterceptor,
  type ServerInterceptingCallInterface,
  status as GrpcStatus,
} from '@grpc/grpc-js';
import { GrpcExceptionFilter } from '../errors/grpc-exception.filter';
import { type PlatformMetrics } from '../http/platform-metrics';
import { LazySignalContext, runInContext } from '../logging/request-context';
import { childTraceContext, newTraceContext, parseTraceparent } from '../logging/traceparent';
import { withoutWireNulls } from '../wire/wire-nulls';
import { UndecodableRequest } from './message-codecs';

/** Long-lived by design: a watcher waits for status changes as long as it likes. */
const NO_DEFAULT_DEADLINE = new Set(['/grpc.health.v1.Health/Watch']);

export interface CallInterceptorOptions {
  /** Limit for a call whose client set no deadline (GRPC_DEADLINE_MS). */
  readonly defaultDeadlineMs: number;
  readonly metrics?: PlatformMetrics;
  /**
   * Throws (a DomainException: UNAUTHENTICATED, PERMISSION_DENIED) unless the call's metadata
   * may call `path`; asked before a request that could not be decoded is answered, so such bytes
   * tell nothing to a caller without a token.
   */
  readonly authorize?: (metadata: Metadata, path: string) => void;
}

const errors = new GrpcExceptionFilter();

/**
 * Wraps every call the gRPC server handles, below Nest, so that guards, interceptors,
 * exception filters and the handler all run inside it:
 * - the request context (trace from the caller's `traceparent` metadata, an abort signal);
 * - the server-side deadline: grpc-js already ends a call at the client's deadline; a call
 *   without one ends with DEADLINE_EXCEEDED after `defaultDeadlineMs`; either way the signal
 *   aborts so the handler can stop its work;
 * - metrics: the status actually sent, whoever decided it;
 * - requests as the generated types describe them: unset message fields absent, not `null`.
 */
export function createCallInterceptor(options: CallInterceptorOptions): ServerInterceptor {
  return (method, call) => {
    const path = method.path;
    const started = performance.now();
    // A call may be cancelled before its metadata (and so its context) arrives.
    let abortReason: Error | undefined;
    let context: LazySignalContext | undefined;
    const abort = (reason: Error): void => {
      abortReason ??= reason;
      context?.abort(reason);
    };
    let outcome: GrpcStatus | undefined;
    let timer: NodeJS.Timeout | undefined;
    let metadataReceived: Metadata | undefined;

    const settle = (code: GrpcStatus): void => {
      if (outcome !== undefined) return;
      outcome = code;
      clearTimeout(timer);
      options.metrics?.recordGrpcCall(path, GrpcStatus[code] ?? String(code), (performance.now() - started) / 1000);
    };
    const within = <T>(fn: () => T): T => (context ? runInContext(context, fn) : fn());

    const intercepted: ServerInterceptingCall = new ServerInterceptingCall(call, {
      start: (next) =>
        next({
          onReceiveMetadata: (metadata, nextMetadata) => {
            metadataReceived = metadata;
            const parent = parseTraceparent(firstString(metadata, 'traceparent'));
            context = new LazySignalContext(parent ? childTraceContext(parent) : newTraceContext(), path, abortReason);
            if (!hasDeadline(call) && !NO_DEFAULT_DEADLINE.has(path)) {
              timer = setTimeout(() => {
                abort(new Error('deadline exceeded'));
                intercepted.sendStatus({
                  code: GrpcStatus.DEADLINE_EXCEEDED,
                  details: `deadline exceeded: the call ran past the server's limit of ${options.defaultDeadlineMs} ms`,
                });
              }, options.defaultDeadlineMs);
            }
            within(() => nextMetadata(metadata));
          },
          onReceiveMessage: (message, nextMessage) => {
            if (message instanceof UndecodableRequest) {
              // Not passed on: the call ends here, as the caller's error once it is known who asks.
              const refusal = within(() => refusalOf(message, path, metadataReceived, options.authorize));
              intercepted.sendStatus({ code: refusal.code, details: refusal.message, metadata: refusal.metadata });
              return;
            }
            within(() => nextMessage(withoutWireNulls(message)));
          },
          onReceiveHalfClose: (nextHalfClose) => within(nextHalfClose),
          onCancel: () => {
            clearTimeout(timer);
            if (outcome !== undefined) return;
            // grpc-js ends calls at the client's deadline, and rejects oversized messages, below
            // any interceptor; what is left to tell apart is an expired deadline.
            settle(deadlinePassed(call) ? GrpcStatus.DEADLINE_EXCEEDED : GrpcStatus.CANCELLED);
            abort(new Error('call cancelled'));
          },
        }),
      sendStatus: (status, next) => {
        settle(status.code);
        next(status);
      },
    });
    return intercepted;
  };
}

/** Why a request that could not be decoded is refused: who asks first, then the bytes. */
function refusalOf(
  request: UndecodableRequest,
  path: string,
  metadata: Metadata | undefined,
  authorize: CallInterceptorOptions['authorize'],
): ReturnType<GrpcExceptionFilter['toPayload']> {
  try {
    if (authorize && metadata) authorize(metadata, path);
  } catch (error) {
    return errors.toPayload(error);
  }
  return errors.toPayload(request.toException());
}

function firstString(metadata: Metadata, key: string): string | undefined {
  const value = metadata.get(key)[0];
  return typeof value === 'string' ? value : undefined;
}

function deadlineMs(call: ServerInterceptingCallInterface): number {
  const deadline = call.getDeadline();
  return deadline instanceof Date ? deadline.getTime() : deadline;
}

function hasDeadline(call: ServerInterceptingCallInterface): boolean {
  return Number.isFinite(deadlineMs(call));
}

function deadlinePassed(call: ServerInterceptingCallInterface): boolean {
  return hasDeadline(call) && Date.now() >= deadlineMs(call);
}
