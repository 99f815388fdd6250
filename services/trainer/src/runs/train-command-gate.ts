import { Inject, Injectable } from '@nestjs/common';
import { TrainModelCommand, trainerV1 } from '@flywheel/contracts';
import { NonRetriableError } from '@flywheel/messaging';
import { type EntityManager } from 'typeorm';
import { RetrainingService } from '../retraining/retraining.service';
import { MODEL_NAME_PATTERN } from './model-spec';
import { UUID } from './run-record';
import { type TrainCommand } from './runs.service';

/** A TrainModel the trainer will not act on: dead-lettered at once with this message, never retried. */
export class TrainCommandRefusedError extends NonRetriableError {
  constructor(command: TrainCommand, reason: string) {
    super(`TrainModel ${command.eventId} from ${command.sender} refused: ${reason}`);
    this.name = 'TrainCommandRefusedError';
  }
}

/** A command let through: its run's id and the retraining decision it carries out. */
export interface CommandAdmission {
  readonly runId: string;
  readonly decisionId: string;
}

/**
 * Defence in depth for `flywheel.trainer.commands`: whoever can write the topic (a leaked
 * credential, a compromised service) must not be able to start training at will. A command the
 * policy sent must name a decision this trainer recorded to retrain that very model; any other
 * command must name a model the trainer knows, and is judged by that model's retraining policy
 * (enabled, cooldown, daily budget, new data, nothing in flight) like a drift trigger — recorded
 * as a decision either way.
 */
@Injectable()
export class TrainCommandGate {
  constructor(@Inject(RetrainingService) private readonly retraining: RetrainingService) {}

  /** The run to queue, or null when the policy declined the command (the decision says why). */
  async admit(manager: EntityManager, command: TrainCommand): Promise<CommandAdmission | null> {
    const modelName = command.spec?.modelName ?? '';
    if (!MODEL_NAME_PATTERN.test(modelName)) {
      throw new TrainCommandRefusedError(
        command,
        `spec.model_name must match ${MODEL_NAME_PATTERN.source}, got ${JSON.stringify(modelName)}`,
      );
    }
    if (command.trigger === trainerV1.RunTrigger.RUN_TRIGGER_RETRAINING_POLICY) {
      const decision = UUID.test(command.decisionId) ? await this.retraining.decision(manager, command.decisionId) : null;
      if (!decision || decision.outcome !== 'ACTED' || decision.runId === null || decision.modelName !== modelName) {
        throw new TrainCommandRefusedError(
          command,
          `decision ${JSON.stringify(command.decisionId)} is not one the retraining policy made to retrain ${modelName}`,
        );
      }
      return { runId: decision.runId, decisionId: decision.id };
    }
    if (!(await this.retraining.knowsModel(manager, modelName))) {
      throw new TrainCommandRefusedError(
        command,
        `the trainer knows no model ${modelName} (no retraining policy, no successful run); set its policy or train it with SubmitTraining`,
      );
    }
    const summary = `TrainModel from ${command.sender}${command.reason ? `: ${command.reason}` : ''}`;
    const decision = await this.retraining.decide(
      manager,
      { eventId: command.eventId, eventType: TrainModelCommand.typeName, modelName, kind: 'command', summary },
      command.spec,
    );
    return decision?.runId ? { runId: decision.runId, decisionId: decision.id } : null;
  }
}
