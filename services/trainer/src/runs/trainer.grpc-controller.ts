import { Controller, Inject } from '@nestjs/common';
import { trainerV1 } from '@flywheel/contracts';
import { currentCaller, invalidArgument, readOffsetPage } from '@flywheel/platform';
import { decisionToProto, policyToProto, RetrainingService } from '../retraining/retraining.service';
import { runStateOf, runToProto } from './run.entity';
import { RunsService } from './runs.service';

/** The TrainerService contract: runs (experiment tracking) and the retraining policy. */
@Controller()
@trainerV1.TrainerServiceControllerMethods()
export class TrainerGrpcController implements trainerV1.TrainerServiceController {
  constructor(
    @Inject(RunsService) private readonly runs: RunsService,
    @Inject(RetrainingService) private readonly retraining: RetrainingService,
  ) {}

  async submitTraining(request: trainerV1.SubmitTrainingRequest): Promise<trainerV1.SubmitTrainingResponse> {
    return { run: runToProto(await this.runs.submit(request, currentCaller())) };
  }

  async getRun(request: trainerV1.GetRunRequest): Promise<trainerV1.GetRunResponse> {
    return { run: runToProto(await this.runs.get(request.runId)) };
  }

  async listRuns(request: trainerV1.ListRunsRequest): Promise<trainerV1.ListRunsResponse> {
    const status = request.status === trainerV1.RunStatus.RUN_STATUS_UNSPECIFIED ? null : runStateOf(request.status);
    if (status === null && request.status !== trainerV1.RunStatus.RUN_STATUS_UNSPECIFIED) throw invalidArgument('status', 'is not a run status');
    const listed = await this.runs.list({ modelName: request.modelName, status }, readOffsetPage(request.page));
    return { runs: listed.items.map(runToProto), page: listed.page };
  }

  async compareRuns(request: trainerV1.CompareRunsRequest): Promise<trainerV1.CompareRunsResponse> {
    const comparison = await this.runs.compare(request.runIds);
    return {
      runs: comparison.runs.map(runToProto),
      metricNames: comparison.metricNames,
      differingParams: comparison.differingParams,
      bestRunId: comparison.bestRunId,
    };
  }

  async getRetrainingPolicy(request: trainerV1.GetRetrainingPolicyRequest): Promise<trainerV1.GetRetrainingPolicyResponse> {
    return { policy: policyToProto(await this.retraining.getPolicy(request.modelName)) };
  }

  async setRetrainingPolicy(request: trainerV1.SetRetrainingPolicyRequest): Promise<trainerV1.SetRetrainingPolicyResponse> {
    return { policy: policyToProto(await this.retraining.setPolicy(request.policy, currentCaller())) };
  }

  async listRetrainingDecisions(request: trainerV1.ListRetrainingDecisionsRequest): Promise<trainerV1.ListRetrainingDecisionsResponse> {
    const listed = await this.retraining.listDecisions(request.modelName, readOffsetPage(request.page));
    return { decisions: listed.items.map(decisionToProto), page: listed.page };
  }
}
