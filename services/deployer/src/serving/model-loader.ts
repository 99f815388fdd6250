import { Inject, Injectable } from '@nestjs/common';
import { artifactKind } from '@flywheel/onnx';
import { InjectConfig } from '@flywheel/platform';
import { ObjectNotFoundError, ObjectStore, ObjectTooLargeError, parseObjectKey } from '@flywheel/storage';
import { type DeployerConfig } from '../deployer.config';
import { type ModelVersionRecord } from '../deployments/deployment';
import { ArtifactParser } from './artifact-parser';
import { ArtifactRejectedError } from './artifact-rejected.error';
import { OnnxGraphs } from './onnx-graphs';
import { type ServableModel } from './servable-model';

/** Turns a recorded model version into a model ready to predict. A port: unit tests load from memory. */
export abstract class ModelLoader {
  abstract load(version: ModelVersionRecord): Promise<ServableModel>;
}

/**
 * Reads the artifact from the object store, checked against the sha256 the registry recorded,
 * and loads it by what its bytes are: a Flywheel artifact is parsed as data (loading it executes
 * nothing from it); an ONNX graph, checked again by the importer's rules, gets a session in the
 * serving module's ONNX runtime. Either way its size is bounded by
 * MODEL_ARTIFACT_MAX_BYTES three times: as the registry recorded it, as the store states it
 * (before any byte is fetched), and while reading (an object that grew or lied stops there).
 */
@Injectable()
export class ObjectStoreModelLoader extends ModelLoader {
  constructor(
    @Inject(ObjectStore) private readonly objects: ObjectStore,
    @Inject(ArtifactParser) private readonly parser: ArtifactParser,
    @Inject(OnnxGraphs) private readonly graphs: OnnxGraphs,
    @InjectConfig() private readonly config: DeployerConfig,
  ) {
    super();
  }

  async load(version: ModelVersionRecord): Promise<ServableModel> {
    const key = parseObjectKey(version.artifactKey);
    const maxBytes = this.config.MODEL_ARTIFACT_MAX_BYTES;
    const tooLarge = (size: number | string) =>
      new ArtifactRejectedError(`${key} is ${size} bytes, over MODEL_ARTIFACT_MAX_BYTES (${maxBytes})`);
    if (version.artifactSizeBytes > maxBytes) throw tooLarge(version.artifactSizeBytes);
    const stat = await this.objects.stat(key);
    if (!stat) throw new ObjectNotFoundError(key);
    if (stat.size > maxBytes) throw tooLarge(stat.size);
    let bytes: Buffer;
    try {
      bytes = await this.objects.get(key, { expectedSha256: version.artifactSha256, maxBytes });
    } catch (error) {
      if (error instanceof ObjectTooLargeError) throw tooLarge(`more than ${maxBytes}`);
      throw error;
    }
    return artifactKind(bytes) === 'flywheel' ? this.parser.parse(bytes) : this.graphs.load(bytes);
  }
}
