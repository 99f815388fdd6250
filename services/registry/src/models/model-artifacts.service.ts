import { Inject, Injectable } from '@nestjs/common';
import { type ObjectChunk, ObjectStore, parseObjectKey, readObjectChunk } from '@flywheel/storage';
import { ModelsService } from './models.service';
import { type VersionRef } from './registry-requests';
import { RegistryException, RegistryExceptionCode } from './registry.exception';

/** A version's model artifact, read out in pieces (ReadModelArtifact). */
@Injectable()
export class ModelArtifactsService {
  constructor(
    @Inject(ModelsService) private readonly models: ModelsService,
    @Inject(ObjectStore) private readonly objects: ObjectStore,
  ) {}

  async readChunk(ref: VersionRef, offset: number, maxBytes: number): Promise<ObjectChunk> {
    const { item: version } = await this.models.getModelVersion(ref);
    const key = parseObjectKey(version.artifactKey);
    // The registry records the artifact's key and hash; its size is the object's.
    const info = await this.objects.stat(key);
    if (!info)
      throw new RegistryException(
        `model "${version.modelName}" v${version.version}: its artifact ${key} is missing from the object store`,
        RegistryExceptionCode.ARTIFACT_MISSING,
      );
    const object = { key, sha256: version.artifactSha256, sizeBytes: info.size, contentType: info.contentType };
    return readObjectChunk(this.objects, object, offset, maxBytes);
  }
}
