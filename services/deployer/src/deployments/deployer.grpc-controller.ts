import { Controller, Inject } from '@nestjs/common';
import { deployerV1 } from '@flywheel/contracts';
import { currentCaller, DomainException, GrpcStatus, invalidArgument, RequiredRole, Role } from '@flywheel/platform';
import { concatMap, from, type Observable } from 'rxjs';
import { RolloutService } from '../rollout/rollout.service';
import { PredictionService } from '../serving/prediction.service';
import { DeployerException, DeployerExceptionCode } from './deployer.exception';
import { toProtoDeployment, toProtoStats } from './deployment.mapper';
import { DeploymentRepository } from './deployment.repository';

const DEFAULT_PAGE_SIZE = 50;
const MAX_PAGE_SIZE = 1000;

@Controller()
@deployerV1.DeployerServiceControllerMethods()
export class DeployerGrpcController implements deployerV1.DeployerServiceController {
  constructor(
    @Inject(DeploymentRepository) private readonly repository: DeploymentRepository,
    @Inject(RolloutService) private readonly rollout: RolloutService,
    @Inject(PredictionService) private readonly predictions: PredictionService,
  ) {}

  @RequiredRole(Role.Promote)
  deploy(): deployerV1.DeployResponse {
    throw new DeployerException(
      'Deploy is not available yet: a deployment follows its model\'s "production" alias (move it with the registry\'s SetAlias); use Rollback to step back',
      DeployerExceptionCode.NOT_IMPLEMENTED,
    );
  }

  @RequiredRole(Role.Read)
  async getDeployment(request: deployerV1.GetDeploymentRequest): Promise<deployerV1.GetDeploymentResponse> {
    const status = await this.rollout.status(request.name);
    return { deployment: toProtoDeployment(status.deployment) };
  }

  @RequiredRole(Role.Read)
  async listDeployments(request: deployerV1.ListDeploymentsRequest): Promise<deployerV1.ListDeploymentsResponse> {
    const pageSize = request.page?.pageSize ?? 0;
    if (pageSize < 0) throw invalidArgument('page.page_size', 'must not be negative');
    const limit = Math.min(pageSize || DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE);
    const after = decodePageToken(request.page?.pageToken ?? '');
    const rows = await this.repository.list(after, limit + 1);
    const page = rows.slice(0, limit);
    const nextPageToken = rows.length > limit ? encodePageToken(page[page.length - 1].name) : '';
    return { deployments: page.map(toProtoDeployment), page: { nextPageToken } };
  }

  @RequiredRole(Role.Read)
  async getRolloutStatus(request: deployerV1.GetRolloutStatusRequest): Promise<deployerV1.GetRolloutStatusResponse> {
    const status = await this.rollout.status(request.deployment);
    return {
      deployment: toProtoDeployment(status.deployment),
      stable: status.stable ? toProtoStats(status.stable) : undefined,
      canary: status.canary ? toProtoStats(status.canary) : undefined,
      summary: status.summary,
    };
  }

  @RequiredRole(Role.Promote)
  async rollback(request: deployerV1.RollbackRequest): Promise<deployerV1.RollbackResponse> {
    const record = await this.rollout.rollback(request, currentCaller());
    return { deployment: toProtoDeployment(record) };
  }

  @RequiredRole(Role.Read)
  predict(request: deployerV1.PredictRequest): Promise<deployerV1.PredictResponse> {
    return this.predictions.predict(request);
  }

  /** In order, one response per request; a failed request answers with its error and the stream goes on. */
  @RequiredRole(Role.Read)
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

function encodePageToken(lastName: string): string {
  return Buffer.from(JSON.stringify({ after: lastName }), 'utf8').toString('base64url');
}

function decodePageToken(token: string): string {
  if (!token) return '';
  try {
    const parsed = JSON.parse(Buffer.from(token, 'base64url').toString('utf8')) as { after?: unknown };
    if (typeof parsed.after === 'string') return parsed.after;
  } catch {
    // Falls through to the error below.
  }
  throw invalidArgument('page.page_token', 'is not a token this service issued');
}
