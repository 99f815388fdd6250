import { randomUUID } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { type commonV1, type deployerV1, REQUEST_ID, REQUEST_ID_RULE } from '@flywheel/contracts';
import { type InputRow, type RowPrediction, SignatureError } from '@flywheel/ml';
import {
  Clock,
  currentTraceparent,
  DomainException,
  type FieldViolation,
  GrpcStatus,
  invalidArgument,
  InvalidArgumentException,
  JsonLogger,
} from '@flywheel/platform';
import { DEPLOYMENT_NAME_PATTERN } from '../deployments/deployment';
import { DeployerException, DeployerExceptionCode } from '../deployments/deployer.exception';
import { PredictionLog } from '../prediction-log/prediction-log';
import { routesToCanary } from '../rollout/traffic-split';
import { LiveStats } from './live-stats';
import { toInputRow, toOutputValue } from './model-input';
import { OnlineFeatures } from './online-features';
import { ServedModels, servedVersions, type ServedVersion } from './served-models';
import { ServingMetrics } from './serving-metrics';

const ENTITY_KEY_MAX = 1024;
const ONLINE_LOOKUP_DEADLINE_MS = 2_000;
/** Where a request's features are, as errors name them: `features.<name>`. */
const ROOT = 'features';

/**
 * The request's own fields, named as in the .proto; the features themselves are checked against
 * the served model's signature (toInputRow), not here. Written out rather than a zod schema: it
 * runs on every prediction, where a generic schema walk cost tens of microseconds a call.
 */
function requestViolations(deployment: unknown, requestId: unknown, entityKey: unknown, features: unknown): FieldViolation[] {
  const violations: FieldViolation[] = [];
  if (typeof deployment !== 'string') violations.push({ field: 'deployment', reason: 'is required' });
  else if (!DEPLOYMENT_NAME_PATTERN.test(deployment))
    violations.push({ field: 'deployment', reason: `must match ${DEPLOYMENT_NAME_PATTERN.source}` });
  if (typeof requestId !== 'string') violations.push({ field: 'request_id', reason: 'is required' });
  else if (!REQUEST_ID.test(requestId)) violations.push({ field: 'request_id', reason: REQUEST_ID_RULE });
  if (entityKey !== undefined && entityKey !== null) {
    if (typeof entityKey !== 'string') violations.push({ field: 'entity_key', reason: 'must be a string' });
    else if (entityKey.length > ENTITY_KEY_MAX)
      violations.push({ field: 'entity_key', reason: `must be at most ${ENTITY_KEY_MAX} characters` });
  }
  if (violations.length === 0 && features === undefined && !entityKey)
    violations.push({ field: 'input', reason: 'give either features or entity_key' });
  return violations;
}

/** How a prediction picks its version: by number, or by the canary's share of a routing key (default: the request id). */
export interface PredictRouting {
  /** Routes as this key would (a batch's rows all go where its id goes). */
  readonly routeBy?: string;
  /** Answers with this version, which must be the deployment's stable or canary version. */
  readonly version?: number;
}

interface Answer {
  readonly version: ServedVersion;
  readonly canary: boolean;
  readonly inputs: Readonly<Record<string, commonV1.Value>>;
  readonly prediction: number | string;
  readonly probability?: number;
}

/**
 * Answers predictions from the served models. The canary's share of requests is chosen by request
 * id. A canary that fails a request the stable version can answer counts as a canary error and
 * the stable version answers instead, so callers never pay for a bad canary; a request that the
 * stable version rejects too is the caller's error (INVALID_ARGUMENT naming the field) and
 * counts against no version. Every answer goes to the prediction log without waiting for it.
 */
@Injectable()
export class PredictionService {
  constructor(
    @Inject(ServedModels) private readonly served: ServedModels,
    @Inject(OnlineFeatures) private readonly onlineFeatures: OnlineFeatures,
    @Inject(LiveStats) private readonly stats: LiveStats,
    @Inject(PredictionLog) private readonly log: PredictionLog,
    @Inject(Clock) private readonly clock: Clock,
    @Inject(JsonLogger) private readonly logger: JsonLogger,
    @Inject(ServingMetrics) private readonly metrics: ServingMetrics,
  ) {}

  /** The request id a request is answered under: the caller's, or a new uuid. */
  requestIdOf(request: deployerV1.PredictRequest): string {
    return request.requestId ? request.requestId : randomUUID();
  }

  async predict(
    request: deployerV1.PredictRequest,
    requestId = this.requestIdOf(request),
    routing: PredictRouting = {},
  ): Promise<deployerV1.PredictResponse> {
    const started = this.clock.monotonicMs();
    const features = request.features?.values;
    const violations = requestViolations(request.deployment, requestId, request.entityKey, features);
    if (violations.length) throw new InvalidArgumentException(violations);
    const entityKey = request.entityKey ?? '';

    const served = this.served.get(request.deployment);
    if (!served) throw new DeployerException(`deployment "${request.deployment}" not found`, DeployerExceptionCode.DEPLOYMENT_NOT_FOUND);
    const { deployment, stable, canary } = served;
    if (!stable) {
      throw new DeployerException(`deployment "${deployment.name}" serves no model yet`, DeployerExceptionCode.NOTHING_DEPLOYED);
    }

    const inputsFor = (version: ServedVersion) => (features !== undefined ? Promise.resolve(features) : this.lookup(version, entityKey));
    let answer: Answer;
    if (routing.version !== undefined) {
      // A version asked for by number answers by itself: no routing, and no other version to fall back on.
      const pinned = [stable, canary].find((v) => v?.record.version === routing.version);
      if (!pinned)
        throw new DeployerException(
          `deployment "${deployment.name}" does not serve version ${routing.version} (it serves ${servedVersions(served).join(', ')})`,
          DeployerExceptionCode.VERSION_UNKNOWN,
        );
      answer =
        pinned === canary
          ? await this.answerOrFail(deployment.name, canary, true, await inputsFor(canary))
          : await this.answerWithStable(deployment.name, stable, inputsFor);
    } else if (
      canary &&
      routesToCanary(deployment.name, canary.record.version, deployment.canaryTrafficShare, routing.routeBy ?? requestId)
    ) {
      try {
        answer = await this.answer(canary, true, await inputsFor(canary));
      } catch (canaryError) {
        if (isCallerProblem(canaryError) && !(canaryError instanceof InvalidArgumentException)) throw canaryError;
        // Whether the canary or the request is at fault is what the stable version says.
        answer = await this.answerWithStable(deployment.name, stable, inputsFor);
        this.stats.recordError(deployment.name, canary.record.version);
        this.metrics.recordError(deployment.name, canary.record.modelName, canary.record.version, true);
        this.logger.entry('debug', 'canary failed a request the stable version answered', {
          deployment: deployment.name,
          canaryVersion: canary.record.version,
          requestId,
          error: canaryError instanceof Error ? canaryError.message : String(canaryError),
        });
      }
    } else {
      answer = await this.answerWithStable(deployment.name, stable, inputsFor);
    }

    const latencyMs = this.clock.monotonicMs() - started;
    const regression = answer.version.model.task === 'regression';
    this.stats.recordSuccess(
      deployment.name,
      { requestId, version: answer.version.record.version, regression, output: answer.prediction },
      latencyMs,
    );
    this.metrics.recordAnswer(
      deployment.name,
      answer.version.record.modelName,
      answer.version.record.version,
      answer.canary,
      latencyMs / 1000,
    );
    const output = toOutputValue(answer.prediction, answer.version.model.classes);
    const response: deployerV1.PredictResponse = {
      requestId,
      deployment: deployment.name,
      modelName: deployment.modelName,
      modelVersion: answer.version.record.version,
      canary: answer.canary,
      output,
      probability: answer.probability,
      latencyMs,
    };
    this.log.append(
      {
        requestId,
        deployment: deployment.name,
        modelName: deployment.modelName,
        modelVersion: answer.version.record.version,
        canary: answer.canary,
        task: answer.version.task,
        inputs: { values: { ...answer.inputs } },
        entityKey,
        output,
        probability: answer.probability,
        latencyMs,
        predictTime: this.clock.now(),
      },
      currentTraceparent() || null,
    );
    return response;
  }

  private async answerWithStable(
    deployment: string,
    stable: ServedVersion,
    inputsFor: (version: ServedVersion) => Promise<Readonly<Record<string, commonV1.Value>>>,
  ): Promise<Answer> {
    return this.answerOrFail(deployment, stable, false, await inputsFor(stable));
  }

  /**
   * One version's answer; a failure that is not the caller's counts against it and is
   * PREDICTION_FAILED. A native model answers at once, an ONNX model later: either way is kept.
   */
  private answerOrFail(
    deployment: string,
    version: ServedVersion,
    canary: boolean,
    inputs: Readonly<Record<string, commonV1.Value>>,
  ): Answer | Promise<Answer> {
    const failed = (error: unknown): never => {
      if (isCallerProblem(error)) throw error;
      this.stats.recordError(deployment, version.record.version);
      this.metrics.recordError(deployment, version.record.modelName, version.record.version, canary);
      this.logger.entry('error', 'prediction failed', {
        deployment,
        version: version.record.version,
        error: error instanceof Error ? error.message : String(error),
      });
      throw new DeployerException(
        `v${version.record.version} of deployment "${deployment}" failed to predict`,
        DeployerExceptionCode.PREDICTION_FAILED,
      );
    };
    try {
      const answer = this.answer(version, canary, inputs);
      return answer instanceof Promise ? answer.catch(failed) : answer;
    } catch (error) {
      return failed(error);
    }
  }

  /** The version's prediction for `inputs`, checked against its signature first (a bad field is INVALID_ARGUMENT naming it). */
  private answer(version: ServedVersion, canary: boolean, inputs: Readonly<Record<string, commonV1.Value>>): Answer | Promise<Answer> {
    const row: InputRow = toInputRow(version.model.signature, inputs, ROOT);
    let result: RowPrediction | Promise<RowPrediction>;
    try {
      result = version.model.predictRow(row);
    } catch (error) {
      throw asCallerError(error);
    }
    const answerOf = (r: RowPrediction): Answer => {
      // The proto's probability is the positive class's: the second of the two sorted classes.
      const probability = version.model.task === 'binary' ? r.probabilities?.[1] : undefined;
      return { version, canary, inputs, prediction: r.prediction, probability };
    };
    return result instanceof Promise
      ? result.then(answerOf, (error: unknown) => {
          throw asCallerError(error);
        })
      : answerOf(result);
  }

  private async lookup(version: ServedVersion, entityKey: string): Promise<Readonly<Record<string, commonV1.Value>>> {
    const featureView = version.record.featureView;
    if (!featureView) {
      throw new DeployerException(
        `model ${version.record.modelName} v${version.record.version} names no feature view: send features instead of entity_key`,
        DeployerExceptionCode.NO_FEATURE_VIEW,
      );
    }
    const names = version.model.signature.features.map((f) => f.name);
    let found;
    try {
      found = await this.onlineFeatures.lookup(featureView, entityKey, names, ONLINE_LOOKUP_DEADLINE_MS);
    } catch (error) {
      this.logger.entry('warn', 'online feature lookup failed', {
        featureView,
        error: error instanceof Error ? error.message : String(error),
      });
      throw new DeployerException(
        `feature store unavailable for feature view "${featureView}"`,
        DeployerExceptionCode.FEATURE_STORE_UNAVAILABLE,
      );
    }
    switch (found.status) {
      case 'present':
        return found.values;
      case 'expired':
        throw new DeployerException(
          `entity_key: the online features of ${JSON.stringify(entityKey)} in feature view "${featureView}" are older than its TTL`,
          DeployerExceptionCode.ENTITY_EXPIRED,
        );
      default:
        throw new DeployerException(
          `entity_key: no online features for ${JSON.stringify(entityKey)} in feature view "${featureView}"`,
          DeployerExceptionCode.ENTITY_NOT_FOUND,
        );
    }
  }
}

/** A row the model's own checks refused is the caller's error, named as the request names its field. */
function asCallerError(error: unknown): unknown {
  return error instanceof SignatureError ? invalidArgument(`${ROOT}.${error.field}`, error.message) : error;
}

/** Errors about the request or the world outside the model, which no version is to blame for. */
function isCallerProblem(error: unknown): boolean {
  if (!(error instanceof DomainException)) return false;
  const status = error.grpcStatus();
  return status !== GrpcStatus.INTERNAL && status !== GrpcStatus.UNKNOWN;
}
