import { Inject, Injectable } from '@nestjs/common';
import { type commonV1, durationToMillis, featureStoreV1, trainerV1 } from '@flywheel/contracts';
import { gridCandidates, halvingRounds, type Params, randomCandidates, Rng, takeRows } from '@flywheel/ml';
import { InvalidArgumentException, Clock } from '@flywheel/platform';
import { modelArtifactKey, ObjectStore, parseObjectKey } from '@flywheel/storage';
import { type CheckedSpec, type RawParam, validateSpec } from '../runs/model-spec';
import { type TrialOutcome } from '../runs/run-record';
import { FeatureStoreError, FeatureStorePort } from './feature-store.port';
import { type FitInput, type Fitted, featureProfile, type PreparedData, TrainingFailure } from './training-steps';
import { type RunLimits, TrainingThreads } from './training-threads';

export { MIN_HOLDOUT_ROWS, MIN_TRAINING_ROWS, splitHoldout, TrainingFailure, TrainingInterrupted } from './training-steps';

/** Nest token of the code version string runs record. */
export const CODE_VERSION = Symbol('CODE_VERSION');

const CSV_CONTENT_TYPE = 'text/csv';
/** Fewest training rows a halving search's first round fits on: fewer leave too few to score a trial. */
export const MIN_HALVING_ROWS = 200;
const JSON_CONTENT_TYPE = 'application/json';

export interface TrainingInput {
  readonly runId: string;
  readonly spec: trainerV1.ModelSpec;
  readonly seed: number;
  /** Aborted when the run is cancelled: its steps stop, and train() rejects with TrainingInterrupted. */
  readonly signal?: AbortSignal;
}

export interface TrainingResult {
  readonly params: Readonly<Record<string, RawParam>>;
  readonly metrics: Readonly<Record<string, number>>;
  readonly trials: readonly TrialOutcome[];
  readonly artifact: commonV1.ObjectRef;
  readonly lineage: commonV1.TrainingLineage;
  readonly holdout: commonV1.Holdout;
}

interface TrainingSet {
  readonly response: featureStoreV1.GetHistoricalFeaturesResponse;
  /** The CSV the feature store wrote, read from the object store. */
  readonly bytes: Uint8Array;
}

/**
 * One training, start to finish: the training set from the feature store, a holdout of the most
 * recent labelled rows (by event time), the fit (with a search when the spec has one, its
 * trials side by side), the holdout metrics, and the artifact and holdout written to the object
 * store with their hashes. Every CPU-bound step runs on the training threads; this class only
 * waits for them and for I/O. It writes no database rows; the worker records the outcome.
 */
@Injectable()
export class TrainingPipeline {
  constructor(
    @Inject(FeatureStorePort) private readonly featureStore: FeatureStorePort,
    @Inject(ObjectStore) private readonly objects: ObjectStore,
    @Inject(Clock) private readonly clock: Clock,
    @Inject(CODE_VERSION) private readonly codeVersion: string,
    @Inject(TrainingThreads) private readonly threads: TrainingThreads,
  ) {}

  async train(input: TrainingInput): Promise<TrainingResult> {
    const limits = this.threads.limits(input.signal);
    const checked = check(input.spec);
    const { spec } = checked;
    const { response, bytes } = await this.fetchTrainingSet(checked);
    const prepared = await this.threads.prepare(
      { checked, csv: bytes, source: response.trainingSet!.key, columns: response.columns },
      limits,
    );
    const { artifact, trials } = await this.fit(checked, prepared, input.seed, limits);
    const scored = await this.threads.score(
      { artifact, metric: spec.metric, holdout: prepared.holdout, holdoutTimes: prepared.holdoutTimes, timeColumn: prepared.timeColumn },
      limits,
    );
    const artifactRef = await this.putObject(
      spec.modelName,
      input.runId,
      'model.json',
      Buffer.from(scored.artifactJson),
      JSON_CONTENT_TYPE,
    );
    const holdoutRef = await this.putObject(spec.modelName, input.runId, 'holdout.csv', Buffer.from(scored.holdoutCsv), CSV_CONTENT_TYPE);

    const { holdoutTimes, features } = prepared;
    return {
      params: { ...artifact.parameters },
      metrics: scored.metrics,
      trials,
      artifact: artifactRef,
      lineage: {
        runId: input.runId,
        dataset: response.dataset,
        datasetVersionFrom: response.datasetVersionFrom,
        datasetVersionTo: response.datasetVersionTo,
        featureView: spec.featureView,
        featureViewRevision: response.featureViewRevision,
        features: [...features],
        label: spec.label,
        trainingSet: response.trainingSet,
        trainingProfile: featureProfile(response.profile, features),
        seed: input.seed,
        codeVersion: this.codeVersion,
      },
      holdout: {
        data: holdoutRef,
        eventTimeRange: {
          start: new Date(holdoutTimes.reduce((a, b) => Math.min(a, b))),
          end: new Date(holdoutTimes.reduce((a, b) => Math.max(a, b)) + 1),
        },
        rowCount: holdoutTimes.length,
        labelColumn: spec.label,
      },
    };
  }

  private async fetchTrainingSet(checked: CheckedSpec): Promise<TrainingSet> {
    const { spec } = checked;
    const now = this.clock.now();
    const window =
      spec.trainingWindow === undefined ? undefined : { start: new Date(now.getTime() - durationToMillis(spec.trainingWindow)), end: now };
    let response: featureStoreV1.GetHistoricalFeaturesResponse;
    try {
      response = await this.featureStore.getHistoricalFeatures(
        featureStoreV1.GetHistoricalFeaturesRequest.fromPartial({
          featureView: spec.featureView,
          featureViewRevision: 0,
          features: spec.features,
          datasetSpine: { datasetVersionFrom: 0, datasetVersionTo: 0, eventTimeRange: window, extraColumns: [spec.label] },
        }),
      );
    } catch (error) {
      if (error instanceof FeatureStoreError && error.invalidRequest) {
        throw new TrainingFailure(trainerV1.FailureCode.FAILURE_CODE_INVALID_SPEC, error.message);
      }
      throw new TrainingFailure(trainerV1.FailureCode.FAILURE_CODE_FEATURES_UNAVAILABLE, (error as Error).message);
    }
    const unavailable = (message: string): TrainingFailure =>
      new TrainingFailure(
        trainerV1.FailureCode.FAILURE_CODE_FEATURES_UNAVAILABLE,
        `training set of feature view "${spec.featureView}": ${message}`,
      );
    const ref = response.trainingSet;
    if (!ref?.key) throw unavailable('the feature store returned no object');
    if (ref.contentType && !ref.contentType.startsWith(CSV_CONTENT_TYPE))
      throw unavailable(`${ref.contentType} is not a format the trainer reads (CSV)`);
    if (response.columns.length < 2)
      throw unavailable(`expected the entity key and timestamp columns first, got [${response.columns.join(', ')}]`);

    let bytes: Buffer;
    try {
      bytes = await this.objects.get(parseObjectKey(ref.key), { expectedSha256: ref.sha256 });
    } catch (error) {
      throw unavailable(`reading ${ref.key}: ${(error as Error).message}`);
    }
    return { response, bytes };
  }

  /** The model: one fit, or a search whose trials fit side by side and the best of which is kept. */
  private async fit(
    checked: CheckedSpec,
    prepared: PreparedData,
    seed: number,
    limits: RunLimits,
  ): Promise<{ artifact: Fitted['artifact']; trials: TrialOutcome[] }> {
    const { spec, algorithm, search } = checked;
    const base: FitInput = {
      train: prepared.train,
      label: spec.label,
      algorithm,
      seed,
      features: prepared.features,
      now: this.clock.now(),
      params: checked.params,
    };
    if (!search) return { artifact: (await this.threads.fit(base, limits)).artifact, trials: [] };

    const candidates: Params[] =
      search.strategy === 'grid' ? gridCandidates(search.grid) : randomCandidates(search.space, search.trials, seed);
    const trialParams = candidates.map((candidate): Readonly<Record<string, RawParam>> => ({ ...checked.params, ...candidate }));
    if (search.strategy === 'halving')
      return this.halvingSearch(trialParams, { ...base, metric: spec.metric }, checked.lowerIsBetter, limits);

    const fitted = await this.trials(trialParams, { ...base, metric: spec.metric }, limits);
    const best = ranked(fitted, checked.lowerIsBetter)[0]!;
    return { artifact: fitted[best]!.artifact, trials: fitted.map((trial) => trial.outcome) };
  }

  /**
   * Fits of `base` with each of `params`, side by side, each with its outcome as a trial; one
   * failing fails them all, the others stopped.
   */
  private async trials(
    params: readonly Readonly<Record<string, RawParam>>[],
    base: FitInput,
    limits: RunLimits,
  ): Promise<Array<Fitted & { outcome: TrialOutcome }>> {
    const stop = new AbortController();
    const trialLimits = { ...limits, signal: limits.signal ? AbortSignal.any([limits.signal, stop.signal]) : stop.signal };
    const trial = async (p: Readonly<Record<string, RawParam>>) => {
      const startedAt = this.clock.now();
      const fitted = await this.threads.fit({ ...base, params: p }, trialLimits);
      const outcome = { params: p, metricValue: fitted.score!, rows: base.train.nRows, startedAt, endedAt: this.clock.now() };
      return { ...fitted, outcome };
    };
    try {
      return await Promise.all(params.map(trial));
    } catch (error) {
      stop.abort('another trial of the search failed');
      throw error;
    }
  }

  /**
   * Successive halving (ml's halvingRounds): each round fits its candidates on the first rows of
   * one seeded shuffle of the training rows — so every round's rows contain the last's — and the
   * best go on to the next. The winner is then fitted on every row, unless its last round did.
   */
  private async halvingSearch(
    params: readonly Readonly<Record<string, RawParam>>[],
    base: FitInput,
    lowerIsBetter: boolean,
    limits: RunLimits,
  ): Promise<{ artifact: Fitted['artifact']; trials: TrialOutcome[] }> {
    const train = base.train;
    const rounds = halvingRounds(params.length, train.nRows, { minRows: MIN_HALVING_ROWS });
    const shuffled = new Rng(base.seed).permutation(train.nRows);
    const trials: TrialOutcome[] = [];
    let alive = params.map((_, i) => i);
    for (const [r, round] of rounds.entries()) {
      const rows = round.rows >= train.nRows ? train : takeRows(train, shuffled.slice(0, round.rows).sort());
      const fitted = await this.trials(
        alive.map((i) => params[i]!),
        { ...base, train: rows },
        limits,
      );
      trials.push(...fitted.map((trial) => trial.outcome));
      const order = ranked(fitted, lowerIsBetter);
      const next = rounds[r + 1];
      if (next) {
        // The best go on, in the order they were first tried.
        alive = order
          .slice(0, next.candidates)
          .sort((a, b) => a - b)
          .map((k) => alive[k]!);
        continue;
      }
      const winner = alive[order[0]!]!;
      if (rows === train) return { artifact: fitted[order[0]!]!.artifact, trials };
      const { metric: _metric, ...full } = base;
      return { artifact: (await this.threads.fit({ ...full, params: params[winner]! }, limits)).artifact, trials };
    }
    throw new Error('a halving search has at least one round');
  }

  private async putObject(model: string, runId: string, file: string, body: Buffer, contentType: string): Promise<commonV1.ObjectRef> {
    const key = modelArtifactKey(model, runId, file);
    const put = await this.objects.put(key, body, { contentType });
    return { key, sha256: put.sha256, sizeBytes: put.size, contentType };
  }
}

/**
 * Trial indices from best to worst by their score on the spec's metric; between equal scores the
 * one tried first comes first, whatever order the trials ended in.
 */
function ranked(fitted: readonly Fitted[], lowerIsBetter: boolean): number[] {
  const sign = lowerIsBetter ? -1 : 1;
  return fitted.map((_, i) => i).sort((a, b) => sign * (fitted[b]!.score! - fitted[a]!.score!) || a - b);
}

function check(spec: trainerV1.ModelSpec): CheckedSpec {
  try {
    return validateSpec(spec);
  } catch (error) {
    if (error instanceof InvalidArgumentException)
      throw new TrainingFailure(trainerV1.FailureCode.FAILURE_CODE_INVALID_SPEC, error.message);
    throw error;
  }
}
