import { ManualClock, SystemClock } from './clock';

describe('clocks', () => {
  it('the system clock reads the wall clock and a monotonic time that never goes back', () => {
    const clock = new SystemClock();
    const before = Date.now();
    expect(clock.now().getTime()).toBeGreaterThanOrEqual(before);
    const first = clock.monotonicMs();
    expect(clock.monotonicMs()).toBeGreaterThanOrEqual(first);
  });

  it('a manual clock moves only when told, both readings together', () => {
    const clock = new ManualClock('2026-03-01T00:00:00Z');
    expect(clock.now().toISOString()).toBe('2026-03-01T00:00:00.000Z');
    clock.advance(1500);
    expect(clock.now().toISOString()).toBe('2026-03-01T00:00:01.500Z');
    expect(clock.monotonicMs()).toBe(1500);
    clock.set('2026-03-02T00:00:00Z');
    expect(clock.monotonicMs()).toBe(86_400_000);
    expect(() => clock.advance(-1)).toThrow('does not go backwards');
  });

  it('can make each monotonic reading take a simulated latency', () => {
    const clock = new ManualClock();
    clock.stepMs = 3;
    const started = clock.monotonicMs();
    expect(clock.monotonicMs() - started).toBe(3);
    expect(clock.now().toISOString()).toBe('2026-01-01T00:00:00.000Z');
  });
});
