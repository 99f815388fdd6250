import { registryV1, type trainerV1 } from '@flywheel/contracts';
import { type AuditEntryEntity } from '../audit/audit-entry.entity';
import { type ModelAliasEntity } from './model-alias.entity';
import { ModelVersionEntity } from './model-version.entity';
import { type ModelEntity } from './model.entity';

export function toModel(model: ModelEntity, aliases: readonly ModelAliasEntity[]): registryV1.Model {
  return registryV1.Model.fromPartial({
    name: model.name,
    description: model.description,
    tags: model.tags,
    ownerTeam: model.ownerTeam,
    createTime: model.createTime,
    aliases: Object.fromEntries(aliases.filter((a) => a.modelName === model.name).map((a) => [a.alias, a.version])),
    latestVersion: model.latestVersion,
  });
}

/** The stored version with the aliases that point at it now. */
export function toModelVersion(entity: ModelVersionEntity, aliases: readonly ModelAliasEntity[]): registryV1.ModelVersion {
  const version = registryV1.ModelVersion.decode(entity.payload);
  return {
    ...version,
    aliases: aliases.filter((a) => a.modelName === entity.modelName && a.version === entity.version).map((a) => a.alias),
    createTime: entity.createTime,
  };
}

/** A completed run as version `version` of its model: lineage, params, metrics, artifact, holdout. */
export function versionFromRun(run: trainerV1.RunCompleted, version: number, metric: string, now: Date): registryV1.ModelVersion {
  return registryV1.ModelVersion.fromPartial({
    modelName: run.modelName,
    version,
    runId: run.runId,
    artifact: run.artifact,
    task: run.spec?.task,
    algorithm: run.spec?.algorithm,
    params: run.params,
    metrics: run.metrics,
    metric,
    // The run id is part of the lineage whether or not the trainer repeated it there.
    lineage: { ...run.lineage, runId: run.runId },
    holdout: run.holdout,
    aliases: [],
    createTime: now,
  });
}

export function versionEntity(version: registryV1.ModelVersion): ModelVersionEntity {
  const entity = new ModelVersionEntity();
  entity.modelName = version.modelName;
  entity.version = version.version;
  entity.runId = version.runId;
  entity.artifactKey = version.artifact?.key ?? '';
  entity.artifactSha256 = version.artifact?.sha256 ?? '';
  entity.metric = version.metric;
  entity.dataset = version.lineage?.dataset ?? '';
  entity.featureView = version.lineage?.featureView ?? '';
  entity.featureViewRevision = version.lineage?.featureViewRevision ?? 0;
  entity.metrics = { ...version.metrics };
  // Aliases change after registration; they are read from their own table.
  entity.payload = Buffer.from(registryV1.ModelVersion.encode({ ...version, aliases: [] }).finish());
  if (version.createTime) entity.createTime = version.createTime;
  return entity;
}

export function auditActionName(action: registryV1.AuditAction): string {
  return registryV1.AuditAction[action];
}

export function toAuditEntry(entity: AuditEntryEntity): registryV1.AuditEntry {
  const action = registryV1.AuditAction[entity.action as keyof typeof registryV1.AuditAction];
  return registryV1.AuditEntry.fromPartial({
    id: entity.id,
    time: entity.time,
    actor: { team: entity.actorTeam, tokenId: entity.actorTokenId, service: entity.actorService },
    action: typeof action === 'number' ? action : registryV1.AuditAction.UNRECOGNIZED,
    modelName: entity.modelName,
    version: entity.version,
    alias: entity.alias,
    previousVersion: entity.previousVersion,
    reasons: entity.reasons,
    comparison: entity.comparison ? registryV1.MetricComparison.decode(entity.comparison) : undefined,
    eventId: entity.eventId,
  });
}
