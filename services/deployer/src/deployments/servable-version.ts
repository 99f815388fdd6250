import { type registryV1 } from '@flywheel/contracts';
import { parseObjectKey } from '@flywheel/storage';
import { type ModelVersionRecord } from './deployment';

const SHA256 = /^[0-9a-f]{64}$/;

/** A registry version the deployer cannot serve (no artifact, a key it would not read, no checksum). */
export class UnservableVersionError extends Error {}

/**
 * A version as the registry describes it (in an AliasMoved's target or a GetModelVersion
 * answer), turned into what the deployer records and serves. The one place that decides whether
 * a registry version can be served; `field` names where the version sat in the message, for the
 * error text.
 */
export function servableVersionOf(version: registryV1.ModelVersion, field: string, now: Date): ModelVersionRecord {
  const artifact = version.artifact;
  if (!artifact?.key) throw new UnservableVersionError(`${field}.artifact.key is missing`);
  try {
    parseObjectKey(artifact.key);
  } catch (error) {
    throw new UnservableVersionError(`${field}.artifact.key: ${(error as Error).message}`);
  }
  if (!SHA256.test(artifact.sha256 ?? '')) throw new UnservableVersionError(`${field}.artifact.sha256 must be 64 lower-case hex digits`);
  return {
    modelName: version.modelName,
    version: version.version,
    artifactKey: artifact.key,
    artifactSha256: artifact.sha256,
    artifactSizeBytes: artifact.sizeBytes ?? 0,
    featureView: version.lineage?.featureView ?? '',
    recordedAt: now,
  };
}
