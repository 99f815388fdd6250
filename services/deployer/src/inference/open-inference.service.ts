import { randomUUID } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { invalidArgument } from '@flywheel/platform';
import { DeployerException, DeployerExceptionCode } from '../deployments/deployer.exception';
import { PredictionService } from '../serving/prediction.service';
import { graphInputsOf } from '../serving/servable-model';
import { type ServedDeployment, ServedModels, servedVersions, type ServedVersion } from '../serving/served-models';
import { type InferRequest, outputTensors, type RowPrediction, rowsOfInputs, type Tensor, tensorMetadata } from './v2-tensors';

export interface ModelMetadata {
  readonly name: string;
  readonly versions: string[];
  readonly platform: string;
  readonly inputs: Array<{ name: string; datatype: string; shape: number[] }>;
  readonly outputs: Array<{ name: string; datatype: string; shape: number[] }>;
}

export interface InferResult {
  readonly modelName: string;
  readonly modelVersion: string;
  readonly id: string;
  readonly outputs: Tensor[];
}

/** The platform name ModelMetadata gives: Flywheel's own model format. */
export const FLYWHEEL_PLATFORM = 'flywheel';
/** The platform name of a version imported as an ONNX graph: its inputs are the graph's own. */
export const ONNX_PLATFORM = 'onnx';

/**
 * The Open Inference Protocol (KServe V2) over the deployer's deployments: a deployment is a
 * model, its stable and canary versions the model's versions. A batch's rows are predicted like
 * Predict calls — checked by the version's signature, in the prediction log and live statistics
 * under request ids `<id>-<row>` — and routed together, by the request id, so one version answers
 * a batch unless the canary fails a row the stable version then answers.
 */
@Injectable()
export class OpenInferenceService {
  constructor(
    @Inject(ServedModels) private readonly served: ServedModels,
    @Inject(PredictionService) private readonly predictions: PredictionService,
  ) {}

  /** Whether a deployment (at a version, if given) can answer now. */
  ready(name: string, version = ''): boolean {
    const served = this.served.get(name);
    if (!served?.stable) return false;
    return version === '' || servedVersions(served).includes(Number(version));
  }

  metadata(name: string, version = ''): ModelMetadata {
    const { served, model } = this.versionOf(name, version);
    const graphInputs = graphInputsOf(model.model);
    return {
      name,
      versions: servedVersions(served).map(String),
      platform: graphInputs ? ONNX_PLATFORM : FLYWHEEL_PLATFORM,
      ...tensorMetadata(model.model.signature.features, model.model.task, model.model.classes, graphInputs),
    };
  }

  async infer(name: string, version: string, request: InferRequest): Promise<InferResult> {
    const { model } = this.versionOf(name, version);
    const pinned = version === '' ? undefined : model.record.version;
    const rows = rowsOfInputs(request.inputs, model.model.signature.features, graphInputsOf(model.model));
    const id = request.id || randomUUID();
    const answered: RowPrediction[] = [];
    const versions = new Set<number>();
    for (const [i, values] of rows.entries()) {
      const response = await this.predictions.predict({ deployment: name, requestId: `${id}-${i}`, features: { values } }, `${id}-${i}`, {
        routeBy: id,
        version: pinned,
      });
      versions.add(response.modelVersion);
      answered.push({ output: response.output!, probability: response.probability });
    }
    return {
      modelName: name,
      modelVersion: [...versions].join(','),
      id,
      outputs: outputTensors(answered, model.model.task, model.model.classes, request.outputs),
    };
  }

  /** The deployment and the version whose signature describes it: the one asked for, else the stable one. */
  private versionOf(name: string, version: string): { served: ServedDeployment; model: ServedVersion } {
    const served = this.served.get(name);
    if (!served)
      throw new DeployerException(`model "${name}" not found: a model here is a deployment`, DeployerExceptionCode.DEPLOYMENT_NOT_FOUND);
    if (!served.stable) throw new DeployerException(`deployment "${name}" serves no model yet`, DeployerExceptionCode.NOTHING_DEPLOYED);
    if (version === '') return { served, model: served.stable };
    if (!/^[1-9]\d{0,8}$/.test(version)) throw invalidArgument('version', 'must be a version number');
    const model = [served.stable, served.canary].find((v) => v?.record.version === Number(version));
    if (!model)
      throw new DeployerException(
        `deployment "${name}" does not serve version ${version} (it serves ${servedVersions(served).join(', ')})`,
        DeployerExceptionCode.VERSION_UNKNOWN,
      );
    return { served, model };
  }
}
