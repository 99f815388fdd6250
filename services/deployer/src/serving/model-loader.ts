import { Inject, Injectable } from '@nestjs/common';
import { loadModel, type LoadedModel } from '@flywheel/ml';
import { ObjectStore, parseObjectKey } from '@flywheel/storage';
import { type ModelVersionRecord } from '../deployments/deployment';

/** Turns a recorded model version into a model ready to predict. A port: unit tests load from memory. */
export abstract class ModelLoader {
  abstract load(version: ModelVersionRecord): Promise<LoadedModel>;
}

/**
 * Reads the artifact from the object store, checked against the sha256 the registry recorded,
 * and parses it as data: loading a model executes nothing from it.
 */
@Injectable()
export class ObjectStoreModelLoader extends ModelLoader {
  constructor(@Inject(ObjectStore) private readonly objects: ObjectStore) {
    super();
  }

  async load(version: ModelVersionRecord): Promise<LoadedModel> {
    const bytes = await this.objects.get(parseObjectKey(version.artifactKey), { expectedSha256: version.artifactSha256 });
    return loadModel(bytes.toString('utf8'));
  }
}
