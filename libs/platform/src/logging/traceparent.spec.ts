import { childTraceContext, formatTraceparent, newTraceContext, parseTraceparent } from './traceparent';
import { currentContext, currentTraceparent, runWithTraceparent } from './request-context';

const EXAMPLE = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';

describe('traceparent', () => {
  it('parses the W3C example and formats it back', () => {
    const context = parseTraceparent(EXAMPLE);
    expect(context).toEqual({ traceId: '4bf92f3577b34da6a3ce929d0e0e4736', spanId: '00f067aa0ba902b7', flags: 1 });
    expect(formatTraceparent(context!)).toBe(EXAMPLE);
  });

  it('accepts upper case and surrounding spaces, and fields appended by a later version', () => {
    expect(parseTraceparent(` ${EXAMPLE.toUpperCase()} `)?.traceId).toBe('4bf92f3577b34da6a3ce929d0e0e4736');
    expect(parseTraceparent('01-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-00-future')?.flags).toBe(0);
  });

  it.each([
    ['empty', ''],
    ['missing field', '00-4bf92f3577b34da6a3ce929d0e0e4736-01'],
    ['short trace id', '00-4bf92f3577b34da6a3ce929d0e0e473-00f067aa0ba902b7-01'],
    ['all-zero trace id', `00-${'0'.repeat(32)}-00f067aa0ba902b7-01`],
    ['all-zero span id', `00-4bf92f3577b34da6a3ce929d0e0e4736-${'0'.repeat(16)}-01`],
    ['forbidden version ff', 'ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01'],
    ['extra field in version 00', `${EXAMPLE}-extra`],
    ['not hex', '00-4bf92f3577b34da6a3ce929d0e0e473g-00f067aa0ba902b7-01'],
  ])('rejects %s', (_why, header) => expect(parseTraceparent(header)).toBeNull());

  it('makes new roots and child spans that are valid and distinct', () => {
    const root = newTraceContext();
    expect(parseTraceparent(formatTraceparent(root))).toEqual(root);
    const child = childTraceContext(root);
    expect(child.traceId).toBe(root.traceId);
    expect(child.spanId).not.toBe(root.spanId);
  });

  it('draws ids from fresh randomness across many pool refills: valid, and none repeated', () => {
    const roots = Array.from({ length: 5_000 }, () => newTraceContext());
    for (const root of roots) expect(parseTraceparent(formatTraceparent(root))).toEqual(root);
    expect(new Set(roots.map((r) => r.traceId)).size).toBe(roots.length);
    expect(new Set(roots.map((r) => r.spanId)).size).toBe(roots.length);
  });

  it('runs a consumer handler inside the trace of a message header, across awaits', async () => {
    const seen = await runWithTraceparent(EXAMPLE, async () => {
      await new Promise((resolve) => setImmediate(resolve));
      return { traceId: currentContext()?.trace.traceId, outgoing: currentTraceparent() };
    });
    expect(seen.traceId).toBe('4bf92f3577b34da6a3ce929d0e0e4736');
    expect(parseTraceparent(seen.outgoing)?.traceId).toBe('4bf92f3577b34da6a3ce929d0e0e4736');
    expect(currentContext()).toBeUndefined();
  });

  it('starts a new trace when the header is missing or malformed', () => {
    const traceId = runWithTraceparent('garbage', () => currentContext()?.trace.traceId);
    expect(traceId).toMatch(/^[0-9a-f]{32}$/);
    expect(traceId).not.toBe('4bf92f3577b34da6a3ce929d0e0e4736');
  });
});
