import { Controller, Inject } from '@nestjs/common';
import { registryV1 } from '@flywheel/contracts';
import { isPositiveIntegerCursor, isStringCursor, readPage } from '@flywheel/platform';
import { from, type Observable } from 'rxjs';
import { callerActor } from '../audit/audit-log';
import { ModelImportService } from '../imports/model-import.service';
import { toAuditEntry, toModel, toModelVersion } from './model-mapping';
import { ModelArtifactsService } from './model-artifacts.service';
import { ModelsService } from './models.service';
import {
  parseAuditQuery,
  parseCreateModel,
  parseDeleteAlias,
  parseLineageRequest,
  parseModelName,
  parseModelNameField,
  parsePolicySettings,
  parseSetAlias,
  parseReadModelArtifact,
  parseVersionRef,
} from './registry-requests';

/** The RegistryService contract; each method's role is declared in registry.proto. */
@Controller()
@registryV1.RegistryServiceControllerMethods()
export class RegistryGrpcController implements registryV1.RegistryServiceController {
  constructor(
    @Inject(ModelsService) private readonly models: ModelsService,
    @Inject(ModelArtifactsService) private readonly artifacts: ModelArtifactsService,
    @Inject(ModelImportService) private readonly imports: ModelImportService,
  ) {}

  /**
   * Answers an Observable, not a Promise: NestJS hands a streaming method the messages that came
   * before it ran only once it returns, and would wait for a Promise to settle — which needs
   * those messages. The import subscribes to the stream as it starts.
   */
  importModelVersion(requests: Observable<registryV1.ImportModelVersionRequest>): Observable<registryV1.ImportModelVersionResponse> {
    // Taken now: the stream's messages arrive outside the call's context.
    const actor = callerActor();
    return from(
      this.imports.importVersion(requests, actor).then(async (imported) => {
        const { item, aliases } = await this.models.getModelVersion({ modelName: imported.modelName, version: imported.version });
        return { version: toModelVersion(item, aliases), promotion: imported.promotion };
      }),
    );
  }

  async createModel(request: registryV1.CreateModelRequest): Promise<registryV1.CreateModelResponse> {
    const { item, aliases, created } = await this.models.createModel(parseCreateModel(request));
    return { model: toModel(item, aliases), created };
  }

  async getModel(request: registryV1.GetModelRequest): Promise<registryV1.GetModelResponse> {
    const { item, aliases } = await this.models.getModel(parseModelName(request));
    return { model: toModel(item, aliases) };
  }

  async listModels(request: registryV1.ListModelsRequest): Promise<registryV1.ListModelsResponse> {
    const { items, aliases, page } = await this.models.listModels(readPage(request.page, isStringCursor));
    return { models: items.map((m) => toModel(m, aliases)), page };
  }

  async getModelVersion(request: registryV1.GetModelVersionRequest): Promise<registryV1.GetModelVersionResponse> {
    const { item, aliases } = await this.models.getModelVersion(parseVersionRef(request));
    return { version: toModelVersion(item, aliases) };
  }

  async readModelArtifact(request: registryV1.ReadModelArtifactRequest): Promise<registryV1.ReadModelArtifactResponse> {
    const { ref, offset, maxBytes } = parseReadModelArtifact(request);
    return { chunk: await this.artifacts.readChunk(ref, offset, maxBytes) };
  }

  async listModelVersions(request: registryV1.ListModelVersionsRequest): Promise<registryV1.ListModelVersionsResponse> {
    const modelName = parseModelNameField(request);
    const { items, aliases, page } = await this.models.listModelVersions(modelName, readPage(request.page, isPositiveIntegerCursor));
    return { versions: items.map((v) => toModelVersion(v, aliases)), page };
  }

  async setAlias(request: registryV1.SetAliasRequest): Promise<registryV1.SetAliasResponse> {
    const { item, aliases, previousVersion } = await this.models.setAlias(parseSetAlias(request));
    return { model: toModel(item, aliases), previousVersion };
  }

  async deleteAlias(request: registryV1.DeleteAliasRequest): Promise<registryV1.DeleteAliasResponse> {
    const { item, aliases, previousVersion } = await this.models.deleteAlias(parseDeleteAlias(request));
    return { model: toModel(item, aliases), previousVersion };
  }

  async getLineage(request: registryV1.GetLineageRequest): Promise<registryV1.GetLineageResponse> {
    const { modelName, version: number } = parseLineageRequest(request);
    const { item, aliases, history } = await this.models.getLineage(modelName, number);
    const version = toModelVersion(item, aliases);
    return { version, lineage: version.lineage, history: history.map(toAuditEntry) };
  }

  async listAuditLog(request: registryV1.ListAuditLogRequest): Promise<registryV1.ListAuditLogResponse> {
    const query = parseAuditQuery(request);
    const { items, page } = await this.models.listAuditLog(query, readPage(request.page, isSeq));
    return { entries: items.map(toAuditEntry), page };
  }

  async getPromotionPolicy(request: registryV1.GetPromotionPolicyRequest): Promise<registryV1.GetPromotionPolicyResponse> {
    return { policy: await this.models.getPromotionPolicy(parseModelNameField(request)) };
  }

  async setPromotionPolicy(request: registryV1.SetPromotionPolicyRequest): Promise<registryV1.SetPromotionPolicyResponse> {
    return { policy: await this.models.setPromotionPolicy(parsePolicySettings(request)) };
  }
}

/** Audit log pages continue below the last entry's `seq` (a bigint, as a decimal string). */
const isSeq = (value: unknown): value is string => typeof value === 'string' && /^[1-9][0-9]{0,18}$/.test(value);
