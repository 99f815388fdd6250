import { AsyncLocalStorage } from 'node:async_hooks';
import { randomBytes } from 'node:crypto';

/**
 * The seam to the trace context: a consumer runs each handler inside the event's `traceparent`,
 * and the publisher stamps new events with a child of the current one. Services use the
 * platform's (`platformTraceContext`, so logs carry the trace id); {@link AsyncLocalTraceContext}
 * is a standalone one for tools and unit tests.
 */
export interface TraceContext {
  current(): string | null;
  run<T>(traceparent: string | null, work: () => T): T;
}

export class AsyncLocalTraceContext implements TraceContext {
  private readonly storage = new AsyncLocalStorage<string | null>();

  current(): string | null {
    return this.storage.getStore() ?? null;
  }

  run<T>(traceparent: string | null, work: () => T): T {
    return this.storage.run(traceparent, work);
  }
}

const TRACEPARENT = /^([0-9a-f]{2})-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})$/;

export function isTraceparent(value: string): boolean {
  return TRACEPARENT.test(value);
}

/** A root trace context (W3C version 00, sampled). */
export function newTraceparent(): string {
  return `00-${nonZeroHex(16)}-${nonZeroHex(8)}-01`;
}

/** The same trace with a new span id: the context a published event carries. */
export function childTraceparent(parent: string | null): string {
  const match = parent ? TRACEPARENT.exec(parent) : null;
  if (!match || /^0+$/.test(match[2])) return newTraceparent();
  return `00-${match[2]}-${nonZeroHex(8)}-${match[4]}`;
}

/** The trace id of a traceparent, for log lines. */
export function traceIdOf(traceparent: string | null): string | null {
  return (traceparent && TRACEPARENT.exec(traceparent)?.[2]) || null;
}

function nonZeroHex(bytes: number): string {
  // W3C forbids all-zero ids; the odds are negligible but the loop is bounded anyway.
  for (let i = 0; i < 8; i++) {
    const hex = randomBytes(bytes).toString('hex');
    if (!/^0+$/.test(hex)) return hex;
  }
  return '0'.repeat(bytes * 2 - 1) + '1';
}
