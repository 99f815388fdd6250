import { randomUUID } from 'node:crypto';
import { routesToCanary, trafficBucket } from './traffic-split';

describe('traffic split', () => {
  const ids = Array.from({ length: 20_000 }, (_, i) => `request-${i}`);

  it('sends the same request id to the same version every time', () => {
    for (const id of [...ids.slice(0, 200), randomUUID()]) {
      const first = routesToCanary('fraud', 2, 0.1, id);
      for (let retry = 0; retry < 3; retry++) expect(routesToCanary('fraud', 2, 0.1, id)).toBe(first);
    }
  });

  it('gives the canary its share of traffic', () => {
    for (const share of [0.05, 0.1, 0.5]) {
      const onCanary = ids.filter((id) => routesToCanary('fraud', 2, share, id)).length / ids.length;
      // Binomial standard deviation at n = 20 000 is at most 0.0036; 4 of them.
      expect(Math.abs(onCanary - share)).toBeLessThan(0.015);
    }
  });

  it('takes a different slice of callers for each canary version and deployment', () => {
    const slice = (deployment: string, version: number) => new Set(ids.filter((id) => routesToCanary(deployment, version, 0.1, id)));
    const v2 = slice('fraud', 2);
    const overlap = (other: Set<string>) => [...other].filter((id) => v2.has(id)).length / other.size;
    // Independent slices of 10% overlap by about 10%, the same slice by 100%.
    expect(overlap(slice('fraud', 3))).toBeLessThan(0.2);
    expect(overlap(slice('claims', 2))).toBeLessThan(0.2);
  });

  it('sends nothing to a canary with no share or no version, and buckets fall in [0, 1)', () => {
    expect(ids.some((id) => routesToCanary('fraud', 2, 0, id))).toBe(false);
    expect(ids.some((id) => routesToCanary('fraud', 0, 0.5, id))).toBe(false);
    for (const id of ids.slice(0, 1000)) {
      const bucket = trafficBucket('fraud', 2, id);
      expect(bucket).toBeGreaterThanOrEqual(0);
      expect(bucket).toBeLessThan(1);
    }
  });
});
