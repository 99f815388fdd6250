import { Controller, Inject } from '@nestjs/common';
import { deployerV1 } from '@flywheel/contracts';
import { currentCaller, DomainException, GrpcStatus, isStringCursor, readPage } from '@flywheel/platform';
import { concatMap, from, type Observable } from 'rxjs';
import { FeedbackService } from '../feedback/feedback.service';
import { RolloutHistory } from '../rollout/rollout-history';
import { RolloutService } from '../rollout/rollout.service';
import { PredictionService } from '../serving/prediction.service';
import { parseGetDeployment, parseListDeploymentChanges, parseRollback, parseRolloutStatus } from './deployer-requests';
import { DeployService } from './deploy.service';
import { toProtoDeployment, toProtoSample, toProtoStats } from './deployment.mapper';
import { DeploymentQueryService } from './deployment-query.service';

/** The DeployerService contract; each method's role is declared in deployer.proto. */
@Controller()
@deployerV1.DeployerServiceControllerMethods()
export class DeployerGrpcController implements deployerV1.DeployerServiceController {
  constructor(
    @Inject(DeploymentQueryService) private readonly queries: DeploymentQueryService,
    @Inject(RolloutService) private readonly rollout: RolloutService,
    @Inject(PredictionService) private readonly predictions: PredictionService,
    @Inject(DeployService) private readonly deployments: DeployService,
    @Inject(FeedbackService) private readonly feedback: FeedbackService,
    @Inject(RolloutHistory) private readonly history: RolloutHistory,
  ) {}

  async deploy(request: deployerV1.DeployRequest): Promise<deployerV1.DeployResponse> {
    const record = await this.deployments.deploy(request, currentCaller());
    return { deployment: toProtoDeployment(record) };
  }

  async getDeployment(request: deployerV1.GetDeploymentRequest): Promise<deployerV1.GetDeploymentResponse> {
    const status = await this.rollout.status(parseGetDeployment(request));
    return { deployment: toProtoDeployment(status.deployment) };
  }

  async listDeployments(request: deployerV1.ListDeploymentsRequest): Promise<deployerV1.ListDeploymentsResponse> {
    const listed = await this.queries.list(readPage(request.page, isStringCursor));
    return { deployments: listed.items.map(toProtoDeployment), page: listed.page };
  }

  async listDeploymentChanges(request: deployerV1.ListDeploymentChangesRequest): Promise<deployerV1.ListDeploymentChangesResponse> {
    const listed = await this.queries.listChanges(parseListDeploymentChanges(request));
    return { changes: listed.items, page: listed.page };
  }

  async getRolloutStatus(request: deployerV1.GetRolloutStatusRequest): Promise<deployerV1.GetRolloutStatusResponse> {
    const status = await this.rollout.status(parseRolloutStatus(request));
    return {
      deployment: toProtoDeployment(status.deployment),
      stable: status.stable ? toProtoStats(status.stable) : undefined,
      canary: status.canary ? toProtoStats(status.canary) : undefined,
      summary: status.summary,
      history: this.history.of(status.deployment.name).map(toProtoSample),
    };
  }

  async rollback(request: deployerV1.RollbackRequest): Promise<deployerV1.RollbackResponse> {
    const record = await this.rollout.rollback(parseRollback(request), currentCaller());
    return { deployment: toProtoDeployment(record) };
  }

  predict(request: deployerV1.PredictRequest): Promise<deployerV1.PredictResponse> {
    return this.predictions.predict(request);
  }

  submitFeedback(request: deployerV1.SubmitFeedbackRequest): Promise<deployerV1.SubmitFeedbackResponse> {
    return this.feedback.submit(request);
  }

  /** In order, one response per request; a failed request answers with its error and the stream goes on. */
  predictStream(requests: Observable<deployerV1.PredictStreamRequest>): Observable<deployerV1.PredictStreamResponse> {
    return requests.pipe(
      concatMap((item) => {
        const request = item.request ?? { deployment: '', requestId: '' };
        const requestId = this.predictions.requestIdOf(request);
        return from(
          this.predictions.predict(request, requestId).then(
            (prediction): deployerV1.PredictStreamResponse => ({ prediction }),
            (error: unknown): deployerV1.PredictStreamResponse => ({ error: toPredictError(requestId, error) }),
          ),
        );
      }),
    );
  }
}

function toPredictError(requestId: string, error: unknown): deployerV1.PredictError {
  if (error instanceof DomainException) return { requestId, code: error.grpcStatus(), message: error.message };
  return { requestId, code: GrpcStatus.INTERNAL, message: 'internal error' };
}
