import { Controller, Inject } from '@nestjs/common';
import { inferenceV2 } from '@flywheel/contracts';
import { OpenInferenceService } from './open-inference.service';
import { grpcInferRequest, grpcOutput } from './v2-tensors';

export const SERVER_NAME = 'flywheel-deployer';
/** The protocol version served (the Open Inference Protocol's V2). */
export const PROTOCOL_VERSION = '2';

/** The Open Inference Protocol's gRPC service (`inference.GRPCInferenceService`) on the deployer's gRPC port. */
@Controller()
@inferenceV2.GRPCInferenceServiceControllerMethods()
export class OpenInferenceGrpcController implements inferenceV2.GRPCInferenceServiceController {
  constructor(@Inject(OpenInferenceService) private readonly inference: OpenInferenceService) {}

  serverLive(): inferenceV2.ServerLiveResponse {
    return { live: true };
  }

  serverReady(): inferenceV2.ServerReadyResponse {
    return { ready: true };
  }

  modelReady(request: inferenceV2.ModelReadyRequest): inferenceV2.ModelReadyResponse {
    return { ready: this.inference.ready(request.name, request.version) };
  }

  serverMetadata(): inferenceV2.ServerMetadataResponse {
    return { name: SERVER_NAME, version: PROTOCOL_VERSION, extensions: [] };
  }

  modelMetadata(request: inferenceV2.ModelMetadataRequest): inferenceV2.ModelMetadataResponse {
    return this.inference.metadata(request.name, request.version);
  }

  async modelInfer(request: inferenceV2.ModelInferRequest): Promise<inferenceV2.ModelInferResponse> {
    const result = await this.inference.infer(request.modelName, request.modelVersion, grpcInferRequest(request));
    return {
      modelName: result.modelName,
      modelVersion: result.modelVersion,
      id: result.id,
      parameters: {},
      outputs: result.outputs.map(grpcOutput),
      rawOutputContents: [],
    };
  }
}
