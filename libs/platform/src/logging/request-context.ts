import { AsyncLocalStorage } from 'node:async_hooks';
import { type CallerIdentity } from '../auth/caller-identity';
import { childTraceContext, formatTraceparent, newTraceContext, parseTraceparent, type TraceContext } from './traceparent';

/**
 * What a unit of work (a gRPC call, a consumed Kafka message) carries through every await:
 * its trace for logs and outgoing messages, its cancellation, and, once authenticated, who
 * asked.
 */
export interface RequestContext {
  readonly trace: TraceContext;
  /** Aborted when the call is cancelled or runs out of time; pass it to long work. */
  readonly signal: AbortSignal;
  /** e.g. `/flywheel.registry.v1.RegistryService/SetAlias`, or a topic for a consumer. */
  readonly operation?: string;
  /** Set by the auth guard. */
  caller?: CallerIdentity;
}

const storage = new AsyncLocalStorage<RequestContext>();

export function currentContext(): RequestContext | undefined {
  return storage.getStore();
}

export function runInContext<T>(context: RequestContext, fn: () => T): T {
  return storage.run(context, fn);
}

/**
 * Runs `fn` as a continuation of the trace in `traceparent` (a Kafka `traceparent` header, say),
 * or of a new trace when there is none or it is malformed.
 */
export function runWithTraceparent<T>(
  traceparent: string | null | undefined,
  fn: () => T,
  options: { operation?: string; signal?: AbortSignal } = {},
): T {
  const parent = parseTraceparent(traceparent);
  return runInContext(
    {
      trace: parent ? childTraceContext(parent) : newTraceContext(),
      signal: options.signal ?? new AbortController().signal,
      operation: options.operation,
    },
    fn,
  );
}

/** The `traceparent` to put on outgoing calls and events; a new root when outside any context. */
export function currentTraceparent(): string {
  return formatTraceparent(currentContext()?.trace ?? newTraceContext());
}

export function currentTraceId(): string | undefined {
  return currentContext()?.trace.traceId;
}
