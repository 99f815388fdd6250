import { randomFillSync } from 'node:crypto';

/** W3C Trace Context (https://www.w3.org/TR/trace-context/), version 00. */
export interface TraceContext {
  readonly traceId: string;
  readonly spanId: string;
  /** Trace flags byte; bit 0 is "sampled". */
  readonly flags: number;
}

const TRACEPARENT = /^([0-9a-f]{2})-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})(-.*)?$/;
const ZERO_TRACE = '0'.repeat(32);
const ZERO_SPAN = '0'.repeat(16);

/** Returns null for anything the spec says to ignore, so the caller starts a fresh trace. */
export function parseTraceparent(header: string | null | undefined): TraceContext | null {
  if (!header) return null;
  const match = TRACEPARENT.exec(header.trim().toLowerCase());
  if (!match) return null;
  const [, version, traceId, spanId, flags, rest] = match;
  // Version ff is forbidden; version 00 has exactly four fields; later versions may append.
  if (version === 'ff' || (version === '00' && rest !== undefined)) return null;
  if (traceId === ZERO_TRACE || spanId === ZERO_SPAN) return null;
  return { traceId, spanId, flags: parseInt(flags, 16) };
}

export function formatTraceparent(context: TraceContext): string {
  return `00-${context.traceId}-${context.spanId}-${(context.flags & 0xff).toString(16).padStart(2, '0')}`;
}

export function newTraceContext(): TraceContext {
  return { traceId: nonZeroHex(16), spanId: nonZeroHex(8), flags: 1 };
}

/** This process's own span inside the caller's trace. */
export function childTraceContext(parent: TraceContext): TraceContext {
  return { traceId: parent.traceId, spanId: nonZeroHex(8), flags: parent.flags };
}

// Every request that arrives without a trace starts one: ids are cut from a pool of random
// bytes refilled a few KiB at a time, not drawn from the system's generator two at a time.
const POOL_BYTES = 4096;
let pool = Buffer.alloc(0);
let poolOffset = 0;

function nonZeroHex(bytes: number): string {
  for (;;) {
    if (poolOffset + bytes > pool.length) {
      pool = randomFillSync(Buffer.allocUnsafe(POOL_BYTES));
      poolOffset = 0;
    }
    const hex = pool.toString('hex', poolOffset, (poolOffset += bytes));
    if (hex !== ZERO_TRACE.slice(0, 2 * bytes)) return hex;
  }
}
