import { LiveStats, quantile, sameClass } from './live-stats';

describe('LiveStats', () => {
  it('computes latency percentiles as numpy does, over a sliding window', () => {
    const stats = new LiveStats({ latencyWindow: 100, joinWindow: 10 });
    stats.enterPhase('fraud', '1/0', false);
    for (let i = 1; i <= 150; i++) stats.recordSuccess('fraud', { requestId: `r${i}`, version: 1, regression: false, output: 1 }, i);
    // The window holds the last 100 latencies, 51..150: np.percentile(range(51, 151), [50, 95, 99]).
    expect(stats.figures('fraud', 1)).toMatchObject({ requests: 150, latencyP50Ms: 100.5, latencyP95Ms: 145.05, latencyP99Ms: 149.01 });
    expect(quantile(new Float64Array(0), 0.5)).toBe(0);
  });

  it('joins labels to served predictions by request id, once, within a bounded window', () => {
    const stats = new LiveStats({ latencyWindow: 10, joinWindow: 3 });
    stats.enterPhase('fraud', '1/2', false);
    for (const [id, version, output] of [
      ['a', 1, 1],
      ['b', 1, 0],
      ['c', 2, 1],
      ['d', 2, 'yes'],
    ] as const) {
      stats.recordSuccess('fraud', { requestId: id, version, regression: false, output }, 1);
    }
    expect(stats.recordLabel('a', 1)).toBe(false); // forgotten: the window holds the last 3
    expect(stats.recordLabel('b', 1)).toBe(true);
    expect(stats.recordLabel('b', 0)).toBe(false); // labelled already
    expect(stats.recordLabel('c', true)).toBe(true);
    expect(stats.recordLabel('d', 'yes')).toBe(true);
    expect(stats.recordLabel('unknown', 1)).toBe(false);
    expect(stats.figures('fraud', 1)).toMatchObject({ labelled: 1, accuracy: 0 });
    expect(stats.figures('fraud', 2)).toMatchObject({ labelled: 2, accuracy: 1 });
  });

  it('scores regression by RMSE and counts errors into the error rate', () => {
    const stats = new LiveStats({ latencyWindow: 10, joinWindow: 10 });
    stats.enterPhase('price', '1/0', true);
    stats.recordSuccess('price', { requestId: 'a', version: 1, regression: true, output: 10 }, 1);
    stats.recordSuccess('price', { requestId: 'b', version: 1, regression: true, output: 20 }, 1);
    stats.recordError('price', 1);
    stats.recordLabel('a', 13);
    stats.recordLabel('b', 16);
    expect(stats.figures('price', 1)).toMatchObject({ requests: 3, errors: 1, errorRate: 1 / 3, labelled: 2, rmse: Math.sqrt(12.5) });
    expect(stats.figures('price', 1).accuracy).toBeUndefined();
  });

  it('starts counting afresh in a new phase, and not in the same one', () => {
    const stats = new LiveStats({ latencyWindow: 10, joinWindow: 10 });
    stats.enterPhase('fraud', '1/0', false);
    stats.recordError('fraud', 1);
    stats.enterPhase('fraud', '1/0', false);
    expect(stats.figures('fraud', 1).requests).toBe(1);
    stats.enterPhase('fraud', '1/2', false);
    expect(stats.figures('fraud', 1).requests).toBe(0);
  });

  it('treats 1, "1" and true as the same class, and 0, "0" and false', () => {
    expect(sameClass(1, true)).toBe(true);
    expect(sameClass(1, '1')).toBe(true);
    expect(sameClass(0, false)).toBe(true);
    expect(sameClass('yes', 'yes')).toBe(true);
    expect(sameClass(1, false)).toBe(false);
    expect(sameClass('no', 'yes')).toBe(false);
  });
});
