import { Controller, Inject } from '@nestjs/common';
import { trainerV1 } from '@flywheel/contracts';
import { currentCaller, readOffsetPage } from '@flywheel/platform';
import { parseRetrainingPolicy } from '../retraining/retraining-requests';
import { decisionToProto, policyToProto } from '../retraining/retraining.mapper';
import { RetrainingService } from '../retraining/retraining.service';
import { comparisonToProto, runToProto } from './run.mapper';
import {
  parseCancelRun,
  parseModelName,
  parseModelNameFilter,
  parseReadRunArtifact,
  parseRunId,
  parseRunIds,
  parseRunListFilter,
  parseSubmitTraining,
} from './run-requests';
import { RunArtifactsService } from './run-artifacts.service';
import { RunsService } from './runs.service';
import { SpecAdmission } from './spec-admission';

/** The TrainerService contract: runs (experiment tracking) and the retraining policy. */
@Controller()
@trainerV1.TrainerServiceControllerMethods()
export class TrainerGrpcController implements trainerV1.TrainerServiceController {
  constructor(
    @Inject(RunsService) private readonly runs: RunsService,
    @Inject(RetrainingService) private readonly retraining: RetrainingService,
    @Inject(RunArtifactsService) private readonly artifacts: RunArtifactsService,
    @Inject(SpecAdmission) private readonly admission: SpecAdmission,
  ) {}

  async submitTraining(request: trainerV1.SubmitTrainingRequest): Promise<trainerV1.SubmitTrainingResponse> {
    const submitted = parseSubmitTraining(request);
    await this.admission.check(submitted.spec.spec, 'spec');
    return { run: runToProto(await this.runs.submit(submitted, currentCaller())) };
  }

  async getRun(request: trainerV1.GetRunRequest): Promise<trainerV1.GetRunResponse> {
    return { run: runToProto(await this.runs.get(parseRunId(request.runId))) };
  }

  async readRunArtifact(request: trainerV1.ReadRunArtifactRequest): Promise<trainerV1.ReadRunArtifactResponse> {
    return { chunk: await this.artifacts.readChunk(parseReadRunArtifact(request)) };
  }

  async cancelRun(request: trainerV1.CancelRunRequest): Promise<trainerV1.CancelRunResponse> {
    return { run: runToProto(await this.runs.cancel(parseCancelRun(request), currentCaller())) };
  }

  async listRuns(request: trainerV1.ListRunsRequest): Promise<trainerV1.ListRunsResponse> {
    const listed = await this.runs.list(parseRunListFilter(request), readOffsetPage(request.page));
    return { runs: listed.items.map(runToProto), page: listed.page };
  }

  async compareRuns(request: trainerV1.CompareRunsRequest): Promise<trainerV1.CompareRunsResponse> {
    return comparisonToProto(await this.runs.compare(parseRunIds(request.runIds)));
  }

  async getRetrainingPolicy(request: trainerV1.GetRetrainingPolicyRequest): Promise<trainerV1.GetRetrainingPolicyResponse> {
    return { policy: policyToProto(await this.retraining.getPolicy(parseModelName(request.modelName))) };
  }

  async setRetrainingPolicy(request: trainerV1.SetRetrainingPolicyRequest): Promise<trainerV1.SetRetrainingPolicyResponse> {
    const policy = parseRetrainingPolicy(request.policy);
    if (policy.spec) await this.admission.check(policy.spec, 'policy.spec');
    return { policy: policyToProto(await this.retraining.setPolicy(policy, currentCaller())) };
  }

  async listRetrainingDecisions(request: trainerV1.ListRetrainingDecisionsRequest): Promise<trainerV1.ListRetrainingDecisionsResponse> {
    const listed = await this.retraining.listDecisions(parseModelNameFilter(request.modelName), readOffsetPage(request.page));
    return { decisions: listed.items.map(decisionToProto), page: listed.page };
  }
}
