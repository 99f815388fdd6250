import { AsyncLocalTraceContext, childTraceparent, isTraceparent, newTraceparent, traceIdOf } from './trace-context';

describe('trace context', () => {
  it('starts valid root traces', () => {
    const root = newTraceparent();
    expect(isTraceparent(root)).toBe(true);
    expect(root).not.toBe(newTraceparent());
  });

  it('derives a child with the same trace id and flags but a new span id', () => {
    const parent = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-00';
    const child = childTraceparent(parent);
    expect(traceIdOf(child)).toBe('4bf92f3577b34da6a3ce929d0e0e4736');
    expect(child.endsWith('-00')).toBe(true);
    expect(child).not.toBe(parent);
  });

  it('starts a new trace when there is no usable parent', () => {
    expect(isTraceparent(childTraceparent(null))).toBe(true);
    expect(traceIdOf(childTraceparent('garbage'))).not.toBeNull();
  });

  it('keeps the context across awaits', async () => {
    const context = new AsyncLocalTraceContext();
    const parent = newTraceparent();
    const seen = await context.run(parent, async () => {
      await new Promise((r) => setTimeout(r, 1));
      return context.current();
    });
    expect(seen).toBe(parent);
    expect(context.current()).toBeNull();
  });
});
