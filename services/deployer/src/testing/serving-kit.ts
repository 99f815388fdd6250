import { NoTableChanges } from '@flywheel/persistence';
import { ManualClock, PlatformMetrics } from '@flywheel/platform';
import { type DeployerConfig } from '../deployer.config';
import { LiveStats } from '../serving/live-stats';
import { PredictionService } from '../serving/prediction.service';
import { ServedModels } from '../serving/served-models';
import { ServingMetrics } from '../serving/serving-metrics';
import { FakeDeploymentRepository, FakeModelLoader, FakeOnlineFeatures, FakePredictionLog, silentLogger, testConfig } from './fakes';

/** The serving path wired as the service wires it, over fakes of its I/O seams, each reachable by the test. */
export interface ServingKit {
  config: DeployerConfig;
  repository: FakeDeploymentRepository;
  loader: FakeModelLoader;
  stats: LiveStats;
  log: FakePredictionLog;
  online: FakeOnlineFeatures;
  clock: ManualClock;
  metrics: PlatformMetrics;
  served: ServedModels;
  predictions: PredictionService;
}

/**
 * A fresh serving path. Pass the parts a test keeps across kits (the repository holding its
 * versions, say) and a clock step for latencies that are not zero.
 */
export function servingKit(
  parts: Partial<Pick<ServingKit, 'config' | 'repository' | 'loader' | 'stats' | 'log' | 'online' | 'clock'>> & {
    clockStepMs?: number;
  } = {},
): ServingKit {
  const config = parts.config ?? testConfig();
  const repository = parts.repository ?? new FakeDeploymentRepository();
  const loader = parts.loader ?? new FakeModelLoader();
  const stats = parts.stats ?? new LiveStats({ latencyWindow: 100, joinWindow: 100 });
  const log = parts.log ?? new FakePredictionLog();
  const online = parts.online ?? new FakeOnlineFeatures();
  const clock = parts.clock ?? new ManualClock();
  if (parts.clockStepMs !== undefined) clock.stepMs = parts.clockStepMs;
  const metrics = new PlatformMetrics({ defaultMetrics: false });
  const served = new ServedModels(repository, loader, stats, config, silentLogger(), new NoTableChanges());
  const predictions = new PredictionService(served, online, stats, log, clock, silentLogger(), new ServingMetrics(metrics, served, stats));
  return { config, repository, loader, stats, log, online, clock, metrics, served, predictions };
}
