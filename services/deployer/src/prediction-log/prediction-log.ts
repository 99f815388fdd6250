import { type deployerV1 } from '@flywheel/contracts';

/**
 * The prediction log (`flywheel.predictions`). `append` never blocks a prediction and never
 * throws: delivery is best effort, at least once while the process lives (see the README).
 */
export abstract class PredictionLog {
  abstract append(prediction: deployerV1.PredictionLogged, traceparent: string | null): void;
}
