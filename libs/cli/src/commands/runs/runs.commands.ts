import { type commonV1, type trainerV1 } from '@flywheel/contracts';
import type { GrpcClient } from '@flywheel/platform';
import { type OptionSpecs, type ParsedOptions } from '../../args';
import { type Command } from '../../command';
import { NotDoneError, UsageError } from '../../errors';
import { downloadedText, downloadObject } from '../../grpc/download';
import { connectionOptions, Targets, withService } from '../../grpc/service-connection';
import { table, toJson } from '../../output';
import { valueOfText } from '../../values';

/** Loaded on use: the generated code pulls in gRPC. */
const contracts = () => import('@flywheel/contracts');

const connection: OptionSpecs = connectionOptions(Targets.trainer);

type Client = GrpcClient<trainerV1.TrainerServiceController>;

/** Runs `work` with a client; a gRPC error becomes a one-line usage error. */
const withClient = <T>(options: ParsedOptions, work: (client: Client) => Promise<T>): Promise<T> =>
  withService<trainerV1.TrainerServiceController, T>(Targets.trainer, options, (client) => work(client));

const time = (d: Date | undefined | null) => (d ? new Date(d).toISOString() : '-');
const seconds = (d: { seconds: number; nanos: number } | undefined | null) => (d ? (d.seconds + d.nanos / 1e9).toFixed(2) : '-');
const metric = (value: number | undefined) => (value === undefined ? '-' : value.toFixed(4));
const enumName = (names: Record<number, string>, value: number, prefix: string) =>
  (names[value] ?? String(value)).replace(prefix, '').toLowerCase();

function paramValue(value: commonV1.Value | undefined): string {
  if (!value) return '-';
  return String(value.numberValue ?? value.stringValue ?? value.boolValue ?? (value.timestampValue ? time(value.timestampValue) : 'null'));
}

async function statusName(status: number): Promise<string> {
  const { trainerV1 } = await contracts();
  return enumName(trainerV1.RunStatus, status, 'RUN_STATUS_');
}

export const listCommand: Command = {
  kind: 'command',
  name: 'list',
  summary: 'List training runs, newest first, or the trials of a search.',
  usage: '[--model <name>] [--status queued|running|succeeded|failed] [--parent <run>] [--limit <n>] [--json]',
  options: {
    model: { type: 'string', value: 'name', description: 'only runs of this model' },
    status: { type: 'string', value: 'status', description: 'only runs in this status' },
    parent: { type: 'string', value: 'run', description: 'the trials of this search run, in the order tried' },
    limit: { type: 'string', value: 'n', description: 'at most this many runs (default 50)' },
    ...connection,
  },
  run: (options, io) =>
    withClient(options, async (client) => {
      const { trainerV1 } = await contracts();
      const rawStatus = options.string('status');
      const status =
        rawStatus === undefined ? 0 : trainerV1.RunStatus[`RUN_STATUS_${rawStatus.toUpperCase()}` as keyof typeof trainerV1.RunStatus];
      if (rawStatus !== undefined && (typeof status !== 'number' || status <= 0))
        throw new UsageError(`--status must be queued, running, succeeded or failed, got ${JSON.stringify(rawStatus)}`);
      const limit = options.number('limit', { integer: true, min: 1, max: 1000 }) ?? 50;
      const response = await client.listRuns({
        modelName: options.string('model') ?? '',
        status,
        page: { pageSize: limit, pageToken: '' },
        parentRunId: options.string('parent') ?? '',
      });
      if (options.flag('json')) return io.stdout(toJson(response.runs));
      const rows = await Promise.all(
        response.runs.map(async (run) => [
          run.runId,
          run.spec?.modelName ?? '-',
          await statusName(run.status),
          enumName(trainerV1.RunTrigger, run.trigger, 'RUN_TRIGGER_'),
          run.spec?.metric ?? '-',
          metric(run.spec ? run.metrics[run.spec.metric] : undefined),
          seconds(run.duration),
          time(run.createTime),
        ]),
      );
      io.stdout(`${table(['run', 'model', 'status', 'trigger', 'metric', 'value', 'seconds', 'created'], rows)}\n`);
    }),
};

export const showCommand: Command = {
  kind: 'command',
  name: 'show',
  summary: 'Show a run: its spec, parameters, metrics, lineage, artifact and holdout.',
  usage: '[--address <host:port>] [--json]',
  positionals: [{ name: 'run', required: true, description: 'the run id' }],
  options: connection,
  run: (options, io) =>
    withClient(options, async (client) => {
      const { trainerV1, commonV1 } = await contracts();
      const run = (await client.getRun({ runId: options.positional('run') })).run!;
      if (options.flag('json')) return io.stdout(toJson(run));
      const spec = run.spec!;
      const lineage = run.lineage;
      const lines = [
        `run ${run.runId} — ${spec.modelName}, ${await statusName(run.status)} (${enumName(trainerV1.RunTrigger, run.trigger, 'RUN_TRIGGER_')})`,
        `algorithm ${enumName(commonV1.Algorithm, spec.algorithm, 'ALGORITHM_')}, label ${spec.label}, feature view ${spec.featureView}, metric ${spec.metric}`,
        `created ${time(run.createTime)}, started ${time(run.startTime)}, ended ${time(run.endTime)}, ${seconds(run.duration)} s`,
      ];
      if (run.status === trainerV1.RunStatus.RUN_STATUS_FAILED)
        lines.push(`failed (${enumName(trainerV1.FailureCode, run.failureCode, 'FAILURE_CODE_')}): ${run.error}`);
      if (lineage) {
        lines.push(
          `data ${lineage.dataset} v${lineage.datasetVersionFrom}..v${lineage.datasetVersionTo}, feature view revision ${lineage.featureViewRevision}, seed ${lineage.seed}, code ${lineage.codeVersion}`,
          `features ${lineage.features.join(', ')}`,
        );
      }
      if (run.artifact) lines.push(`artifact ${run.artifact.key} (sha256 ${run.artifact.sha256})`);
      if (run.holdout?.data) lines.push(`holdout ${run.holdout.data.key}, ${run.holdout.rowCount} rows`);
      const metrics = Object.entries(run.metrics).sort(([a], [b]) => a.localeCompare(b));
      if (metrics.length > 0)
        lines.push(
          '',
          table(
            ['metric', 'holdout'],
            metrics.map(([name, value]) => [name, metric(value)]),
          ),
        );
      const params = Object.entries(run.params).sort(([a], [b]) => a.localeCompare(b));
      if (params.length > 0)
        lines.push(
          '',
          table(
            ['parameter', 'value'],
            params.map(([name, value]) => [name, paramValue(value)]),
          ),
        );
      if (run.trials.length > 0) {
        lines.push(
          '',
          table(
            ['trial', 'run', 'parameters', 'rows', spec.metric],
            run.trials.map((t, i) => [
              i + 1,
              t.runId,
              Object.entries(t.params)
                .map(([k, v]) => `${k}=${paramValue(v)}`)
                .join(' '),
              // 0: a run recorded before trials kept their rows.
              t.rows > 0 ? t.rows.toLocaleString('en-US') : '-',
              metric(t.metricValue),
            ]),
          ),
        );
      }
      io.stdout(`${lines.join('\n')}\n`);
    }),
};

export const cancelCommand: Command = {
  kind: 'command',
  name: 'cancel',
  summary: 'Cancel a queued or running run: it fails as cancelled, with your reason, and its fits stop.',
  usage: '<run> [--reason <text>] [--json]',
  positionals: [{ name: 'run', required: true, description: 'the run id' }],
  options: {
    reason: { type: 'string', value: 'text', description: 'why, kept in the run’s error (one line, at most 500 characters)' },
    ...connection,
  },
  run: (options, io) =>
    withClient(options, async (client) => {
      const run = (await client.cancelRun({ runId: options.positional('run'), reason: options.string('reason') ?? '' })).run!;
      if (options.flag('json')) return io.stdout(toJson(run));
      io.stdout(`run ${run.runId} (${run.spec?.modelName ?? '-'}) ${await statusName(run.status)}: ${run.error}\n`);
    }),
};

export const downloadCommand: Command = {
  kind: 'command',
  name: 'download',
  summary: "Download a run's model artifact (JSON) or its holdout (CSV), checked against the recorded sha256.",
  usage: '--out <file> [--holdout] [--address <host:port>] [--json]',
  positionals: [{ name: 'run', required: true, description: 'the run id' }],
  options: {
    out: { type: 'string', required: true, value: 'file', description: 'where to write it' },
    holdout: { type: 'boolean', description: 'the holdout the metrics were computed on, instead of the model' },
    ...connection,
  },
  details: 'Only a run that succeeded has a model and a holdout. The token needs the read role.',
  run: (options, io) =>
    withClient(options, async (client) => {
      const { trainerV1 } = await contracts();
      const runId = options.positional('run');
      const artifact = options.flag('holdout') ? trainerV1.RunArtifact.RUN_ARTIFACT_HOLDOUT : trainerV1.RunArtifact.RUN_ARTIFACT_MODEL;
      const out = options.required('out');
      const object = await downloadObject(
        async (offset) => (await client.readRunArtifact({ runId, artifact, offset, maxBytes: 0 })).chunk,
        out,
        io,
      );
      io.stdout(downloadedText(out, object, options.flag('json')));
    }),
};

export const compareCommand: Command = {
  kind: 'command',
  name: 'compare',
  summary: 'Put runs side by side: their metrics and the parameters that differ.',
  usage: '[--address <host:port>] [--json]',
  positionals: [{ name: 'run', required: true, variadic: true, description: 'the run ids to compare (2 to 20)' }],
  options: connection,
  run: (options, io) =>
    withClient(options, async (client) => {
      const comparison = await client.compareRuns({ runIds: options.positionals('run') });
      if (options.flag('json')) return io.stdout(toJson(comparison));
      const header = [
        '',
        ...comparison.runs.map((r) => (r.runId === comparison.bestRunId ? `${r.runId.slice(0, 8)} (best)` : r.runId.slice(0, 8))),
      ];
      const rows = [
        ['model', ...comparison.runs.map((r) => r.spec?.modelName ?? '-')],
        ...comparison.metricNames.map((name) => [name, ...comparison.runs.map((r) => metric(r.metrics[name]))]),
        ...comparison.differingParams.map((name) => [`param ${name}`, ...comparison.runs.map((r) => paramValue(r.params[name]))]),
      ];
      io.stdout(`${table(header, rows)}\n`);
    }),
};

const ALGORITHMS: Record<string, string> = {
  logreg: 'ALGORITHM_LOGISTIC_REGRESSION',
  linear: 'ALGORITHM_LINEAR_REGRESSION',
  gbdt: 'ALGORITHM_GRADIENT_BOOSTED_TREES',
  random_forest: 'ALGORITHM_RANDOM_FOREST',
};

const SEARCH_STRATEGIES = ['grid', 'random', 'halving'] as const;

/** The search space `--search` flags describe; undefined without any. */
function searchSpaceOf(options: ParsedOptions, strategies: typeof trainerV1.SearchStrategy): trainerV1.SearchSpace | undefined {
  const flags = [...options.pairs('search')];
  const strategy = options.string('search-strategy');
  const maxTrials = options.number('max-trials', { integer: true, min: 1, max: 1000 });
  if (flags.length === 0) {
    if (strategy !== undefined || maxTrials !== undefined) throw new UsageError('--search-strategy and --max-trials need --search');
    return undefined;
  }
  if (strategy !== undefined && !(SEARCH_STRATEGIES as readonly string[]).includes(strategy))
    throw new UsageError(`--search-strategy must be grid, random or halving, got ${JSON.stringify(strategy)}`);
  const parameters = flags.map(([name, raw]): trainerV1.ParameterSpace => {
    const range = /^(-?[\d.e+-]+)\.\.(-?[\d.e+-]+)((?::(?:log|int))*)$/.exec(raw);
    if (!range) return { name: name!, choices: { values: raw.split(',').map(valueOfText) } };
    const [min, max] = [Number(range[1]), Number(range[2])];
    if (!Number.isFinite(min) || !Number.isFinite(max) || min > max)
      throw new UsageError(`--search ${name}: a range is <low>..<high> with low ≤ high, got ${JSON.stringify(raw)}`);
    return { name: name!, range: { min, max, logScale: range[3]!.includes(':log'), integer: range[3]!.includes(':int') } };
  });
  return {
    parameters,
    strategy: strategy ? strategies[`SEARCH_STRATEGY_${strategy.toUpperCase()}` as keyof typeof strategies] : 0,
    maxTrials: maxTrials ?? 0,
    gridPoints: 0,
  };
}

/** The searched parameters' chosen values, `C=1 max_iter=200`. */
function paramsText(params: Record<string, commonV1.Value>, space: trainerV1.SearchSpace | undefined): string {
  const names = space ? space.parameters.map((p) => p.name) : Object.keys(params);
  // The run's parameters are the algorithm's names (maxIter); a search may use scikit-learn's (max_iter).
  const camel = (name: string) => name.replace(/_([a-z])/g, (_, c: string) => c.toUpperCase());
  return names.map((name) => `${name}=${paramValue(params[name] ?? params[camel(name)])}`).join(' ');
}

export const trainCommand: Command = {
  kind: 'command',
  name: 'train',
  summary: 'Submit a training run to the trainer.',
  usage:
    '[--feature-view <name> --label <column> --algo logreg|linear|gbdt|random_forest] [--param k=v ...] [--search k=a,b ...] [--wait] [--json]',
  details: [
    'A search tries parameter values and keeps the best on the validation split (by --metric):',
    '--search C=0.01,0.1,1 gives candidates, --search learning_rate=0.01..0.3:log a range (":int" for',
    'whole numbers). Choices alone are searched as a grid, ranges by --max-trials random samples;',
    '--search-strategy halving races them by successive halving. Each trial is a run of its own',
    "(flywheel runs list --parent <run>). With --wait, the run's progress goes to stderr, and the",
    'command exits 3 when the run failed (0 only when it succeeded). Without --feature-view, --label and',
    "--algo, the run trains the model's applied training spec (models[].training of `flywheel apply`), with",
    'the other options given on top of it.',
  ].join('\n'),
  positionals: [{ name: 'model', required: true, description: 'the registered model the run produces a version of' }],
  options: {
    'feature-view': { type: 'string', value: 'name', description: 'the feature view providing the features' },
    label: { type: 'string', value: 'column', description: 'the label column of the view’s dataset' },
    algo: { type: 'string', value: 'algorithm', description: 'logreg, linear, gbdt or random_forest' },
    task: { type: 'string', value: 'task', description: 'binary or regression (required for gbdt and random_forest)' },
    features: { type: 'string', value: 'a,b,c', description: 'features to use (default: all of the view’s)' },
    param: { type: 'string', multiple: true, value: 'k=v', description: 'a hyper-parameter, e.g. --param C=0.5' },
    search: {
      type: 'string',
      multiple: true,
      value: 'k=a,b|lo..hi',
      description: 'a hyper-parameter to search: candidates (C=0.1,1,10) or a range (C=0.001..100:log, max_iter=50..500:int)',
    },
    'search-strategy': {
      type: 'string',
      value: 'grid|random|halving',
      description: 'how to search (default: grid over candidates, else random)',
    },
    'max-trials': { type: 'string', value: 'n', description: 'samples of a random or halving search (default 20)' },
    metric: { type: 'string', value: 'name', description: 'metric that ranks and promotes (default accuracy or rmse)' },
    'holdout-fraction': { type: 'string', value: 'f', description: 'share of the most recent labelled rows held out (default 0.2)' },
    seed: { type: 'string', value: 'n', description: 'random seed (default: picked and recorded)' },
    'request-id': { type: 'string', value: 'id', description: 'idempotency key: resubmitting it returns the same run' },
    wait: { type: 'boolean', description: 'wait until the run finishes and show it' },
    ...connection,
  },
  run: (options, io) =>
    withClient(options, async (client) => {
      const { trainerV1, commonV1 } = await contracts();
      const modelName = options.positional('model');
      const defining = (['feature-view', 'label', 'algo'] as const).filter((o) => options.string(o) !== undefined);
      if (defining.length > 0 && defining.length < 3)
        throw new UsageError(
          "give --feature-view, --label and --algo together, or none of them to train the model's applied training spec",
        );
      const algo = options.string('algo');
      if (algo !== undefined && !ALGORITHMS[algo])
        throw new UsageError(`--algo must be logreg, linear, gbdt or random_forest, got ${JSON.stringify(algo)}`);
      const task = options.string('task');
      if (task !== undefined && task !== 'binary' && task !== 'regression')
        throw new UsageError(`--task must be binary or regression, got ${JSON.stringify(task)}`);
      const params: Record<string, commonV1.Value> = {};
      for (const [name, raw] of options.pairs('param')) params[name!] = valueOfText(raw);
      const searchSpace = searchSpaceOf(options, trainerV1.SearchStrategy);
      const fraction = options.number('holdout-fraction', { min: 0, max: 1, exclusiveMin: true, exclusiveMax: true });
      const seed = options.number('seed', { integer: true, min: 0 });
      // Without the defining flags, the spec `flywheel apply` gave the model (its retraining policy's), flags on top.
      const applied =
        defining.length === 0
          ? (await client.getRetrainingPolicy({ modelName })).policy?.spec
          : trainerV1.ModelSpec.fromPartial({
              featureView: options.required('feature-view'),
              label: options.required('label'),
              algorithm: commonV1.Algorithm[ALGORITHMS[algo!] as keyof typeof commonV1.Algorithm],
            });
      if (!applied)
        throw new UsageError(
          `model "${modelName}" has no applied training spec: give --feature-view, --label and --algo, or apply one (models[].training in a project file)`,
        );
      const spec = trainerV1.ModelSpec.fromPartial({
        ...applied,
        modelName,
        ...(options.list('features') !== undefined ? { features: options.list('features') } : {}),
        ...(task !== undefined
          ? { task: task === 'binary' ? commonV1.ModelTask.MODEL_TASK_BINARY_CLASSIFICATION : commonV1.ModelTask.MODEL_TASK_REGRESSION }
          : {}),
        params: { ...applied.params, ...params },
        ...(searchSpace !== undefined ? { searchSpace } : {}),
        ...(options.string('metric') !== undefined ? { metric: options.string('metric') } : {}),
        ...(fraction !== undefined ? { evaluation: { recentFraction: fraction } } : {}),
        ...(seed !== undefined ? { seed } : {}),
      });
      let run = (await client.submitTraining({ spec, requestId: options.string('request-id') ?? '' })).run!;
      if (options.flag('wait')) {
        const done = [trainerV1.RunStatus.RUN_STATUS_SUCCEEDED, trainerV1.RunStatus.RUN_STATUS_FAILED];
        const started = Date.now();
        let said = -1;
        // Bounded by the trainer: every run ends succeeded or failed.
        while (!done.includes(run.status)) {
          if (run.status !== said) {
            io.stderr(`run ${run.runId} ${await statusName(run.status)} after ${((Date.now() - started) / 1000).toFixed(0)} s\n`);
            said = run.status;
          }
          await new Promise((resolve) => setTimeout(resolve, 500));
          run = (await client.getRun({ runId: run.runId })).run!;
        }
      }
      if (options.flag('json')) io.stdout(toJson(run));
      else {
        const value = run.spec ? run.metrics[run.spec.metric] : undefined;
        const best = run.trials.length > 0 ? ` (best of ${run.trials.length} trials: ${paramsText(run.params, spec.searchSpace)})` : '';
        io.stdout(
          `run ${run.runId} ${await statusName(run.status)}` +
            (value === undefined ? '' : `, ${run.spec!.metric} ${metric(value)} on the holdout${best}`) +
            (run.error ? `: ${run.error}` : '') +
            `\n`,
        );
      }
      // Waited for, a run that failed is not what was asked: scripts see it in the exit code.
      if (run.status === trainerV1.RunStatus.RUN_STATUS_FAILED)
        throw new NotDoneError(
          `run ${run.runId} failed (${enumName(trainerV1.FailureCode, run.failureCode, 'FAILURE_CODE_')}): ${run.error}`,
        );
    }),
};
