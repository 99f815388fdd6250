import { Inject, Injectable } from '@nestjs/common';
import {
  AliasMovedEvent,
  commonV1,
  type deployerV1,
  DeploymentChangedEvent,
  type EventEnvelope,
  ModelVersionRegisteredEvent,
  type registryV1,
  Topics,
} from '@flywheel/contracts';
import { ConsumeEvent } from '@flywheel/messaging';
import { JsonLogger } from '@flywheel/platform';
import { type EntityManager } from 'typeorm';
import { type Reference } from '../windows/window-judge';
import { WindowService } from '../windows/window.service';
import { decodeProfile } from './profile-codec';
import { ReferenceRepository } from './reference.repository';

export const REFERENCES_GROUP = 'monitor.references';
export const DEPLOYMENTS_GROUP = 'monitor.deployments';

/**
 * Takes each model version's training profile (and holdout metric) from the registry's events,
 * and which version each deployment serves from the deployer's.
 */
@Injectable()
export class ReferenceConsumer {
  constructor(
    @Inject(ReferenceRepository) private readonly references: ReferenceRepository,
    @Inject(WindowService) private readonly windows: WindowService,
    @Inject(JsonLogger) private readonly logger: JsonLogger,
  ) {}

  @ConsumeEvent({ topic: Topics.registryEvents, types: [ModelVersionRegisteredEvent, AliasMovedEvent], group: REFERENCES_GROUP })
  async onRegistryEvent(
    event: EventEnvelope<registryV1.ModelVersionRegistered | registryV1.AliasMoved>,
    manager: EntityManager,
  ): Promise<void> {
    const version = 'target' in event.data ? event.data.target : (event.data as registryV1.ModelVersionRegistered).version;
    // An alias removed carries no target: nothing to learn.
    if (version === undefined || !version.modelName || !(version.version > 0)) return;
    const reference = referenceOf(version);
    if (reference === null) {
      this.logger.entry('warn', 'model version has no training profile; its predictions cannot be checked for drift', {
        model: version.modelName,
        version: version.version,
        event: event.id,
      });
      return;
    }
    await this.references.save(manager, reference.reference, event.id);
    if (reference.skipped.length > 0) {
      this.logger.entry('warn', 'training profile columns left out of the reference', {
        model: version.modelName,
        version: version.version,
        skipped: reference.skipped,
      });
    }
    // Predictions that arrived before their reference can be folded now.
    this.windows.schedule();
  }

  @ConsumeEvent({ topic: Topics.deployerEvents, types: [DeploymentChangedEvent], group: DEPLOYMENTS_GROUP })
  async onDeploymentChanged(event: EventEnvelope<deployerV1.DeploymentChanged>, manager: EntityManager): Promise<void> {
    const d = event.data;
    if (!d.deployment || !d.modelName) return;
    const after = d.deploymentAfter;
    await this.references.saveDeployment(manager, {
      deployment: d.deployment,
      modelName: d.modelName,
      stableVersion: after?.stableVersion ?? 0,
      canaryVersion: after?.canaryVersion ?? 0,
      time: d.changeTime ?? event.time,
    });
  }
}

/** A version's reference: its training profile, and the holdout metric performance is judged by. */
export function referenceOf(
  version: registryV1.ModelVersion,
): { reference: Reference; skipped: ReadonlyArray<{ column: string; reason: string }> } | null {
  const profile = version.lineage?.trainingProfile;
  if (profile === undefined || profile.columns.length === 0) return null;
  const decoded = decodeProfile(profile);
  if (decoded.profile.features.length === 0) return null;
  const regression = version.task === commonV1.ModelTask.MODEL_TASK_REGRESSION;
  const metric = regression ? 'rmse' : 'accuracy';
  return {
    reference: {
      modelName: version.modelName,
      modelVersion: version.version,
      task: version.task,
      profile: decoded.profile,
      columnTypes: decoded.columnTypes,
      source: version.lineage?.trainingSet ?? null,
      metric,
      referenceValue: metricValue(version.metrics, metric),
      predictionBaseline: null,
    },
    skipped: decoded.skipped,
  };
}

/** `accuracy`, or a qualified name of it such as `validation.accuracy` / `holdout_accuracy`. */
function metricValue(metrics: Record<string, number>, name: string): number | null {
  if (Number.isFinite(metrics[name])) return metrics[name];
  const key = Object.keys(metrics).find((k) => (k.endsWith(`.${name}`) || k.endsWith(`_${name}`)) && Number.isFinite(metrics[k]));
  return key === undefined ? null : metrics[key];
}
