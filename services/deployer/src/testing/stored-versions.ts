// For integration tests: model versions as the trainer stores them and the registry records them.
import { commonV1, registryV1 } from '@flywheel/contracts';
import { type ModelArtifact } from '@flywheel/ml';
import { MinioObjectStore, modelArtifactKey } from '@flywheel/storage';
import { type ServiceInfrastructure } from '@flywheel/testing';
import { type FakeModelRegistry } from './fakes';

/** Stores `fraud` v`version`'s artifact in the test's S3 and registers the version in `registry`. */
export async function storeFraudVersion(
  s3: ServiceInfrastructure['s3'],
  registry: FakeModelRegistry,
  version: number,
  artifact: ModelArtifact,
): Promise<registryV1.ModelVersion> {
  const store = new MinioObjectStore({ ...s3, bucket: 'flywheel', region: 'us-east-1' });
  await store.ensureBucket();
  const key = modelArtifactKey('fraud', version, 'model.json');
  const put = await store.put(key, Buffer.from(JSON.stringify(artifact)), { contentType: 'application/json' });
  return registry.register(
    registryV1.ModelVersion.fromPartial({
      modelName: 'fraud',
      version,
      artifact: { key, sha256: put.sha256, sizeBytes: put.size, contentType: 'application/json' },
      task: commonV1.ModelTask.MODEL_TASK_BINARY_CLASSIFICATION,
      lineage: { featureView: 'claims_features', features: ['amount', 'region'], label: 'fraud' },
    }),
  );
}

/**
 * Stores `bytes` — an ONNX graph as the registry stores an imported one, inspected so it
 * describes itself — as `modelName` v`version`'s artifact in the test's S3, and registers the
 * version in `registry`.
 */
export async function storeOnnxVersion(
  s3: ServiceInfrastructure['s3'],
  registry: FakeModelRegistry,
  modelName: string,
  version: number,
  bytes: Uint8Array,
  model: { readonly task: commonV1.ModelTask; readonly features: readonly string[] },
): Promise<registryV1.ModelVersion> {
  const store = new MinioObjectStore({ ...s3, bucket: 'flywheel', region: 'us-east-1' });
  await store.ensureBucket();
  const key = modelArtifactKey(modelName, version, 'model.onnx');
  const put = await store.put(key, Buffer.from(bytes), { contentType: 'application/octet-stream' });
  return registry.register(
    registryV1.ModelVersion.fromPartial({
      modelName,
      version,
      artifact: { key, sha256: put.sha256, sizeBytes: put.size, contentType: 'application/octet-stream' },
      task: model.task,
      lineage: { features: [...model.features] },
    }),
  );
}
