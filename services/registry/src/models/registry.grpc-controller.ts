import { Controller, Inject } from '@nestjs/common';
import { registryV1 } from '@flywheel/contracts';
import { ModelsService } from './models.service';

/** The RegistryService contract; each method's role is declared in registry.proto. */
@Controller()
@registryV1.RegistryServiceControllerMethods()
export class RegistryGrpcController implements registryV1.RegistryServiceController {
  constructor(@Inject(ModelsService) private readonly models: ModelsService) {}

  createModel(request: registryV1.CreateModelRequest): Promise<registryV1.CreateModelResponse> {
    return this.models.createModel(request);
  }

  getModel(request: registryV1.GetModelRequest): Promise<registryV1.GetModelResponse> {
    return this.models.getModel(request);
  }

  listModels(request: registryV1.ListModelsRequest): Promise<registryV1.ListModelsResponse> {
    return this.models.listModels(request);
  }

  getModelVersion(request: registryV1.GetModelVersionRequest): Promise<registryV1.GetModelVersionResponse> {
    return this.models.getModelVersion(request);
  }

  listModelVersions(request: registryV1.ListModelVersionsRequest): Promise<registryV1.ListModelVersionsResponse> {
    return this.models.listModelVersions(request);
  }

  setAlias(request: registryV1.SetAliasRequest): Promise<registryV1.SetAliasResponse> {
    return this.models.setAlias(request);
  }

  deleteAlias(request: registryV1.DeleteAliasRequest): Promise<registryV1.DeleteAliasResponse> {
    return this.models.deleteAlias(request);
  }

  getLineage(request: registryV1.GetLineageRequest): Promise<registryV1.GetLineageResponse> {
    return this.models.getLineage(request);
  }

  listAuditLog(request: registryV1.ListAuditLogRequest): Promise<registryV1.ListAuditLogResponse> {
    return this.models.listAuditLog(request);
  }

  getPromotionPolicy(request: registryV1.GetPromotionPolicyRequest): Promise<registryV1.GetPromotionPolicyResponse> {
    return this.models.getPromotionPolicy(request);
  }

  setPromotionPolicy(request: registryV1.SetPromotionPolicyRequest): Promise<registryV1.SetPromotionPolicyResponse> {
    return this.models.setPromotionPolicy(request);
  }
}
