import { NoTableChanges } from '@flywheel/persistence';
import { ManualClock } from '@flywheel/platform';
import { modelArtifactKey } from '@flywheel/storage';
import { DeploymentStateName } from '../deployments/deployment';
import { LiveStats } from '../serving/live-stats';
import { ServedModels } from '../serving/served-models';
import { FakeDeploymentRepository, FakeModelLoader, fraudArtifact, silentLogger, testConfig } from '../testing/fakes';
import { deploymentRecord, versionRecord } from '../testing/records';
import { RolloutHistory } from './rollout-history';

const INTERVAL_MS = 10_000;

describe('RolloutHistory', () => {
  let clock: ManualClock;
  let stats: LiveStats;
  let served: ServedModels;
  let history: RolloutHistory;
  let revision: number;
  let request: number;

  const versions = [1, 2, 3].map((v) => versionRecord('fraud', v));

  function build(samples = 360) {
    const config = testConfig({ ROLLOUT_HISTORY_INTERVAL_MS: String(INTERVAL_MS), ROLLOUT_HISTORY_SAMPLES: String(samples) });
    const loader = new FakeModelLoader();
    for (const v of [1, 2, 3]) loader.artifacts.set(modelArtifactKey('fraud', v, 'model.json'), fraudArtifact({ seed: v }));
    clock = new ManualClock('2026-03-01T12:00:00Z');
    stats = new LiveStats({ latencyWindow: 100, joinWindow: 1000 });
    served = new ServedModels(new FakeDeploymentRepository(), loader, stats, config, silentLogger(), new NoTableChanges());
    history = new RolloutHistory(served, stats, clock, config);
    revision = 1;
    request = 0;
  }

  /** Serves v`stable` alone, or with v`canary` as a canary: a new phase. */
  async function serve(stable: number, canary = 0) {
    revision++;
    await served.install(
      deploymentRecord('fraud', {
        state: canary ? DeploymentStateName.CANARY : DeploymentStateName.STABLE,
        stableVersion: stable,
        canaryVersion: canary,
        canaryTrafficShare: canary ? 0.5 : 0,
        revision,
      }),
      versions,
    );
  }

  /** `latencies` answered requests on `version` (one per latency), then `errors` failed ones. */
  function traffic(version: number, latencies: readonly number[], errors = 0): string[] {
    const ids: string[] = [];
    for (const ms of latencies) {
      const requestId = `r${request++}`;
      ids.push(requestId);
      stats.recordSuccess('fraud', { requestId, version, regression: false, output: 1 }, ms);
    }
    for (let i = 0; i < errors; i++) stats.recordError('fraud', version);
    return ids;
  }

  function tick() {
    clock.advance(INTERVAL_MS);
    history.sample();
  }

  const brief = () => history.of('fraud').map((s) => ({ version: s.version, role: s.role, requests: s.requests, errors: s.errors }));

  beforeEach(() => build());

  it('samples each interval: request and error differences, that interval’s latency percentiles, stamped by the clock', async () => {
    await serve(1);
    tick();
    traffic(1, [1, 2, 3, 4, 5], 1);
    tick();
    traffic(1, [10, 20, 30]);
    tick();
    tick();

    const samples = history.of('fraud');
    expect(samples.map((s) => s.time.toISOString())).toEqual([
      '2026-03-01T12:00:10.000Z',
      '2026-03-01T12:00:20.000Z',
      '2026-03-01T12:00:30.000Z',
      '2026-03-01T12:00:40.000Z',
    ]);
    expect(brief()).toEqual([
      { version: 1, role: 'stable', requests: 0, errors: 0 },
      { version: 1, role: 'stable', requests: 6, errors: 1 },
      { version: 1, role: 'stable', requests: 3, errors: 0 },
      { version: 1, role: 'stable', requests: 0, errors: 0 },
    ]);
    // Each interval's own latencies (numpy's percentiles of [1..5], then of [10, 20, 30]), none in a quiet one.
    expect(samples.map((s) => [s.latencyP50Ms, s.latencyP95Ms])).toEqual([
      [undefined, undefined],
      [3, 4.8],
      [20, 29],
      [undefined, undefined],
    ]);
    expect(samples[0]).not.toHaveProperty('latencyP50Ms');
  });

  it('takes an interval’s percentiles from the newest latencies when it answered more than the window holds', async () => {
    await serve(1);
    tick();
    traffic(1, [5]);
    tick();
    traffic(
      1,
      Array.from({ length: 150 }, (_, i) => i + 1),
    );
    tick();
    // The window holds 100: the interval's newest, 51..150.
    expect(history.of('fraud')[2]).toMatchObject({ requests: 150, latencyP50Ms: 100.5, latencyP95Ms: 145.05 });
  });

  it('carries the labelled count and accuracy of the phase so far', async () => {
    await serve(1);
    const ids = traffic(1, [1, 1, 1, 1]);
    tick();
    expect(history.of('fraud')[0]).toMatchObject({ labelled: 0 });
    expect(history.of('fraud')[0]).not.toHaveProperty('accuracy');
    stats.recordLabel(ids[0], 1);
    stats.recordLabel(ids[1], 0);
    tick();
    stats.recordLabel(ids[2], 1);
    tick();
    expect(history.of('fraud').map((s) => [s.labelled, s.accuracy])).toEqual([
      [0, undefined],
      [2, 0.5],
      [3, 2 / 3],
    ]);
  });

  it('starts again from the new phase’s counters when a canary starts or ends: never a negative difference', async () => {
    await serve(1);
    traffic(1, [1, 1, 1, 1, 1, 1, 1, 1, 1, 1]);
    tick();
    // A canary starts: LiveStats counts afresh. The stable version's first sample counts from zero.
    await serve(1, 2);
    traffic(1, [2, 2]);
    traffic(2, [3, 3, 3], 1);
    tick();
    traffic(1, [2]);
    tick();
    // Rolled back: v1 alone again, a new phase.
    await serve(1);
    traffic(1, [5, 5, 5, 5, 5]);
    tick();
    // A canary started and dropped within one interval: the phase is named "1/0" again, but its
    // counters are new (2 requests, not 5 + 2, nor 2 - 5).
    await serve(1, 2);
    traffic(2, [7]);
    await serve(1);
    traffic(1, [4, 4]);
    tick();
    expect(brief()).toEqual([
      { version: 1, role: 'stable', requests: 10, errors: 0 },
      { version: 1, role: 'stable', requests: 2, errors: 0 },
      { version: 2, role: 'canary', requests: 4, errors: 1 },
      { version: 1, role: 'stable', requests: 1, errors: 0 },
      { version: 2, role: 'canary', requests: 0, errors: 0 },
      // The canary is no longer served: no more samples of v2.
      { version: 1, role: 'stable', requests: 5, errors: 0 },
      { version: 1, role: 'stable', requests: 2, errors: 0 },
    ]);
    expect(history.of('fraud').map((s) => s.latencyP50Ms)).toEqual([1, 2, 3, 2, undefined, 5, 4]);
  });

  it('stops sampling a version no longer served, keeping its older samples', async () => {
    await serve(1, 2);
    traffic(2, [1]);
    tick();
    await serve(2);
    traffic(2, [1, 1]);
    tick();
    tick();
    expect(brief()).toEqual([
      { version: 1, role: 'stable', requests: 0, errors: 0 },
      { version: 2, role: 'canary', requests: 1, errors: 0 },
      { version: 2, role: 'stable', requests: 2, errors: 0 },
      { version: 2, role: 'stable', requests: 0, errors: 0 },
    ]);
  });

  it('keeps at most ROLLOUT_HISTORY_SAMPLES per deployment, dropping the oldest', async () => {
    build(5);
    await serve(1, 2);
    for (let i = 1; i <= 4; i++) {
      traffic(
        1,
        Array.from({ length: i }, () => 1),
      );
      tick();
    }
    const samples = history.of('fraud');
    expect(samples).toHaveLength(5);
    // Four intervals of two samples each: the oldest three are gone.
    expect(brief()).toEqual([
      { version: 2, role: 'canary', requests: 0, errors: 0 },
      { version: 1, role: 'stable', requests: 3, errors: 0 },
      { version: 2, role: 'canary', requests: 0, errors: 0 },
      { version: 1, role: 'stable', requests: 4, errors: 0 },
      { version: 2, role: 'canary', requests: 0, errors: 0 },
    ]);
    expect(samples[0].time.toISOString()).toBe('2026-03-01T12:00:20.000Z');
    expect(history.of('other')).toEqual([]);
  });

  it('samples on its own timer, unref’d, until the module is destroyed', async () => {
    jest.useFakeTimers();
    try {
      await serve(1);
      history.onApplicationBootstrap();
      traffic(1, [1, 1]);
      jest.advanceTimersByTime(INTERVAL_MS);
      expect(brief()).toEqual([{ version: 1, role: 'stable', requests: 2, errors: 0 }]);
      jest.advanceTimersByTime(INTERVAL_MS);
      expect(history.of('fraud')).toHaveLength(2);
      history.onModuleDestroy();
      jest.advanceTimersByTime(5 * INTERVAL_MS);
      expect(history.of('fraud')).toHaveLength(2);
    } finally {
      jest.useRealTimers();
    }
  });
});
