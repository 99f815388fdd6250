/**
 * @grpc/proto-loader hands an unset message field over as `null`, where the ts-proto types say
 * it is absent (`undefined`). The transport edges (the server's call interceptor for requests,
 * the platform's gRPC client for responses) remove those nulls, so domain code tests optional
 * fields with `=== undefined` and never learns about the loader's quirk.
 *
 * In place and without recursion on the call stack: a message is walked with an explicit stack,
 * so no nesting a client can send overflows it. Bytes (Buffer) and timestamps (Date) are leaves.
 */
export function withoutWireNulls<T>(message: T): T {
  const pending: unknown[] = [message];
  while (pending.length > 0) {
    const node = pending.pop();
    if (Array.isArray(node)) {
      for (const item of node) if (isContainer(item)) pending.push(item);
    } else if (isContainer(node)) {
      const record = node as Record<string, unknown>;
      for (const key of Object.keys(record)) {
        const value = record[key];
        if (value === null) delete record[key];
        else if (isContainer(value)) pending.push(value);
      }
    }
  }
  return message;
}

function isContainer(value: unknown): value is object {
  if (value === null || typeof value !== 'object') return false;
  if (Array.isArray(value)) return true;
  const prototype = Object.getPrototypeOf(value) as unknown;
  return prototype === Object.prototype || prototype === null;
}
