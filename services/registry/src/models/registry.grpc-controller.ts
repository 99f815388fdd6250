import { Controller, Inject } from '@nestjs/common';
import { registryV1 } from '@flywheel/contracts';
import { RequiredRole, Role } from '@flywheel/platform';
import { ModelsService } from './models.service';

/** The RegistryService contract; each method's role is the one its .proto comment states. */
@Controller()
@registryV1.RegistryServiceControllerMethods()
export class RegistryGrpcController implements registryV1.RegistryServiceController {
  constructor(@Inject(ModelsService) private readonly models: ModelsService) {}

  @RequiredRole(Role.Write)
  createModel(request: registryV1.CreateModelRequest): Promise<registryV1.CreateModelResponse> {
    return this.models.createModel(request);
  }

  @RequiredRole(Role.Read)
  getModel(request: registryV1.GetModelRequest): Promise<registryV1.GetModelResponse> {
    return this.models.getModel(request);
  }

  @RequiredRole(Role.Read)
  listModels(request: registryV1.ListModelsRequest): Promise<registryV1.ListModelsResponse> {
    return this.models.listModels(request);
  }

  @RequiredRole(Role.Read)
  getModelVersion(request: registryV1.GetModelVersionRequest): Promise<registryV1.GetModelVersionResponse> {
    return this.models.getModelVersion(request);
  }

  @RequiredRole(Role.Read)
  listModelVersions(request: registryV1.ListModelVersionsRequest): Promise<registryV1.ListModelVersionsResponse> {
    return this.models.listModelVersions(request);
  }

  @RequiredRole(Role.Promote)
  setAlias(request: registryV1.SetAliasRequest): Promise<registryV1.SetAliasResponse> {
    return this.models.setAlias(request);
  }

  @RequiredRole(Role.Promote)
  deleteAlias(request: registryV1.DeleteAliasRequest): Promise<registryV1.DeleteAliasResponse> {
    return this.models.deleteAlias(request);
  }

  @RequiredRole(Role.Read)
  getLineage(request: registryV1.GetLineageRequest): Promise<registryV1.GetLineageResponse> {
    return this.models.getLineage(request);
  }

  @RequiredRole(Role.Read)
  listAuditLog(request: registryV1.ListAuditLogRequest): Promise<registryV1.ListAuditLogResponse> {
    return this.models.listAuditLog(request);
  }

  @RequiredRole(Role.Read)
  getPromotionPolicy(request: registryV1.GetPromotionPolicyRequest): Promise<registryV1.GetPromotionPolicyResponse> {
    return this.models.getPromotionPolicy(request);
  }

  @RequiredRole(Role.Promote)
  setPromotionPolicy(request: registryV1.SetPromotionPolicyRequest): Promise<registryV1.SetPromotionPolicyResponse> {
    return this.models.setPromotionPolicy(request);
  }
}
