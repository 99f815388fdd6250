import { currentContext, LazySignalContext, runWithTraceparent } from './request-context';
import { newTraceContext } from './traceparent';

describe('LazySignalContext', () => {
  it('gives one signal, not aborted, for as long as nothing aborts it', () => {
    const context = new LazySignalContext(newTraceContext(), '/flywheel.test.v1.Test/Call');
    expect(context.signal.aborted).toBe(false);
    expect(context.signal).toBe(context.signal);
  });

  it('aborts the signal handed out before, with the first reason given', () => {
    const context = new LazySignalContext(newTraceContext(), undefined);
    const signal = context.signal;
    const seen: unknown[] = [];
    signal.addEventListener('abort', () => seen.push(signal.reason));
    context.abort(new Error('call cancelled'));
    context.abort(new Error('deadline exceeded'));
    expect(signal.aborted).toBe(true);
    expect(seen).toEqual([new Error('call cancelled')]);
  });

  it('hands out an aborted signal when the work was aborted before anyone asked for it', () => {
    const context = new LazySignalContext(newTraceContext(), undefined);
    context.abort(new Error('deadline exceeded'));
    expect(context.signal.aborted).toBe(true);
    expect(context.signal.reason).toEqual(new Error('deadline exceeded'));
  });

  it('is made aborted when the reason came before the context', () => {
    const context = new LazySignalContext(newTraceContext(), undefined, new Error('call cancelled'));
    expect(context.signal.reason).toEqual(new Error('call cancelled'));
  });
});

describe('runWithTraceparent', () => {
  it('gives the work the signal it is passed', () => {
    const controller = new AbortController();
    const signal = runWithTraceparent(null, () => currentContext()?.signal, { signal: controller.signal });
    expect(signal).toBe(controller.signal);
  });

  it('gives work without one a signal of its own, which nothing aborts', () => {
    const [first, second] = [1, 2].map(() => runWithTraceparent(null, () => currentContext()?.signal));
    expect(first?.aborted).toBe(false);
    expect(first).not.toBe(second);
  });
});
