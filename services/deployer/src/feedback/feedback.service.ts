import { Inject, Injectable } from '@nestjs/common';
import { type deployerV1, feedbackProblem, type monitorV1 } from '@flywheel/contracts';
import { Clock, parseRequest } from '@flywheel/platform';
import { z } from 'zod';
import { DEPLOYMENT_NAME_PATTERN } from '../deployments/deployment';
import { DeploymentRepository } from '../deployments/deployment.repository';
import { DeployerException, DeployerExceptionCode } from '../deployments/deployer.exception';
import { FeedbackEvents } from './feedback-events';

/** Most labels one SubmitFeedback carries; more go in several calls. */
export const MAX_FEEDBACK_LABELS = 10_000;

const requestSchema = z.object({
  deployment: z.string().regex(DEPLOYMENT_NAME_PATTERN, `must match ${DEPLOYMENT_NAME_PATTERN.source}`),
  labels: z
    .number()
    .int()
    .min(1, 'must hold at least one label')
    .max(MAX_FEEDBACK_LABELS, `must hold at most ${MAX_FEEDBACK_LABELS} labels (send more in several calls)`),
});

/** Ground truth for a deployment's predictions (SubmitFeedback): checked label by label, the good ones published. */
@Injectable()
export class FeedbackService {
  constructor(
    @Inject(DeploymentRepository) private readonly deployments: DeploymentRepository,
    @Inject(FeedbackEvents) private readonly events: FeedbackEvents,
    @Inject(Clock) private readonly clock: Clock,
  ) {}

  async submit(request: deployerV1.SubmitFeedbackRequest): Promise<deployerV1.SubmitFeedbackResponse> {
    const { deployment } = parseRequest(requestSchema, { deployment: request.deployment, labels: request.labels.length });
    if (!(await this.deployments.get(deployment)))
      throw new DeployerException(`deployment ${deployment} does not exist`, DeployerExceptionCode.DEPLOYMENT_NOT_FOUND);
    const now = this.clock.now();
    const accepted: monitorV1.Feedback[] = [];
    const rejected: deployerV1.FeedbackRejection[] = [];
    request.labels.forEach((label, index) => {
      const reason = feedbackProblem(label, now);
      if (reason) rejected.push({ index, requestId: label.requestId, reason: `labels[${index}].${reason}` });
      else accepted.push({ requestId: label.requestId, label: label.label, labelTime: label.labelTime ?? now });
    });
    if (accepted.length > 0) await this.events.publishAll(accepted);
    return { accepted: accepted.length, rejected };
  }
}
