/** Names the scenario gives the dataset, its feature view and the model. */
export const DATASET = 'claims';
export const FEATURE_VIEW = 'claims';
export const MODEL = 'fraud';

/** The knobs of the closed-loop scenario; `npm run demo` reads them from flags and the environment. */
export interface ScenarioOptions {
  /** Seed of the claims generator (and of the trainer's runs). */
  seed: number;
  /** Historical labelled claims streamed before v1 is trained. */
  backfillClaims: number;
  /** Live claims v1 answers before the shift. */
  beforeShiftClaims: number;
  /** Post-shift claims the retraining waits for and trains on (the policy's minimum new data). */
  retrainClaims: number;
  /** Live claims answered after the new version took all traffic, to measure the recovery. */
  afterRolloutClaims: number;
  /** Live claims per second (predictions, and labelled claims ingested a tick later). */
  claimsPerSecond: number;
  /** Predictions per monitoring window. */
  windowSize: number;
  /** Requests each version needs before the canary is judged. */
  canaryMinRequests: number;
  /** Share of traffic the canary gets. */
  canaryShare: number;
  /** Most post-shift claims before the scenario gives up on the loop closing. */
  maxShiftClaims: number;
  /** Longest wait of any single step. */
  stepTimeoutMs: number;
  /** Data folder of the platform; a fresh temporary one when unset. */
  dataDir?: string;
  /** Keep the data folder afterwards (always kept when a step fails, for its logs). */
  keepData: boolean;
  /** Where to write the result (events, predictions, figures) as JSON, for tests and tools. */
  resultFile?: string;
  /**
   * v1 is not trained by Flywheel but fitted in the scenario's process, exported as ONNX and
   * imported with ImportModelVersion; the rest of the loop runs as before, and it also ends
   * when the platform keeps the imported champion (challenger refused, or its canary rolled back).
   */
  importedChampion: boolean;
  /** Port of the web console the story can be watched in; 0 for any free port. */
  consolePort: number;
  /** After the story, keep the platform and its console up until Enter (or the end of input). */
  hold: boolean;
}

export const DEFAULT_OPTIONS: ScenarioOptions = {
  seed: 7,
  backfillClaims: 3000,
  beforeShiftClaims: 1200,
  retrainClaims: 1500,
  afterRolloutClaims: 1200,
  claimsPerSecond: 60,
  windowSize: 300,
  canaryMinRequests: 150,
  canaryShare: 0.3,
  maxShiftClaims: 15_000,
  stepTimeoutMs: 180_000,
  keepData: false,
  importedChampion: false,
  consolePort: 0,
  hold: false,
};

const FLAGS: Record<
  string,
  { key: keyof ScenarioOptions; env: string; kind: 'int' | 'number' | 'string' | 'bool' | 'port'; help: string }
> = {
  '--seed': { key: 'seed', env: 'DEMO_SEED', kind: 'int', help: 'seed of the claims generator' },
  '--backfill': { key: 'backfillClaims', env: 'DEMO_BACKFILL', kind: 'int', help: 'historical claims before v1' },
  '--before-shift': { key: 'beforeShiftClaims', env: 'DEMO_BEFORE_SHIFT', kind: 'int', help: 'live claims before the shift' },
  '--retrain-claims': { key: 'retrainClaims', env: 'DEMO_RETRAIN_CLAIMS', kind: 'int', help: 'post-shift claims the retraining waits for' },
  '--after-rollout': { key: 'afterRolloutClaims', env: 'DEMO_AFTER_ROLLOUT', kind: 'int', help: 'live claims after the rollout' },
  '--rate': { key: 'claimsPerSecond', env: 'DEMO_RATE', kind: 'number', help: 'live claims per second' },
  '--window': { key: 'windowSize', env: 'DEMO_WINDOW', kind: 'int', help: 'predictions per monitoring window' },
  '--canary-requests': {
    key: 'canaryMinRequests',
    env: 'DEMO_CANARY_REQUESTS',
    kind: 'int',
    help: 'requests per version before the canary is judged',
  },
  '--canary-share': { key: 'canaryShare', env: 'DEMO_CANARY_SHARE', kind: 'number', help: 'canary share of traffic' },
  '--max-shift-claims': {
    key: 'maxShiftClaims',
    env: 'DEMO_MAX_SHIFT_CLAIMS',
    kind: 'int',
    help: 'give up after this many post-shift claims',
  },
  '--step-timeout': { key: 'stepTimeoutMs', env: 'DEMO_STEP_TIMEOUT_MS', kind: 'int', help: 'longest wait of one step (ms)' },
  '--data-dir': { key: 'dataDir', env: 'DEMO_DATA_DIR', kind: 'string', help: 'platform data folder (default: a fresh temporary one)' },
  '--result-file': { key: 'resultFile', env: 'DEMO_RESULT_FILE', kind: 'string', help: 'write the events and figures as JSON here' },
  '--console-port': { key: 'consolePort', env: 'DEMO_CONSOLE_PORT', kind: 'port', help: 'port of the web console (0: any free one)' },
  '--hold': { key: 'hold', env: 'DEMO_HOLD', kind: 'bool', help: 'after the story, keep the platform up until Enter' },
  '--keep-data': { key: 'keepData', env: 'DEMO_KEEP_DATA', kind: 'bool', help: 'keep the data folder afterwards' },
  '--imported-champion': {
    key: 'importedChampion',
    env: 'DEMO_IMPORTED_CHAMPION',
    kind: 'bool',
    help: 'import v1 as an ONNX graph fitted outside the platform',
  },
};

export function usage(): string {
  const lines = Object.entries(FLAGS).map(
    ([flag, f]) => `  ${flag.padEnd(20)} ${f.env.padEnd(22)} ${f.help} (default ${String(DEFAULT_OPTIONS[f.key] ?? '—')})`,
  );
  return `npm run demo -- [flags]   (each flag also reads the environment variable shown)\n${lines.join('\n')}`;
}

/** Options from the environment, then flags (`--seed 3` or `--seed=3`); throws naming a bad one. */
export function parseOptions(argv: readonly string[], env: NodeJS.ProcessEnv): ScenarioOptions {
  const options: ScenarioOptions = { ...DEFAULT_OPTIONS };
  const set = (name: string, raw: string, spec: (typeof FLAGS)[string]) => {
    const target = options as unknown as Record<string, unknown>;
    if (spec.kind === 'string') target[spec.key] = raw;
    else if (spec.kind === 'bool') target[spec.key] = raw === '' || raw === '1' || raw === 'true';
    else if (spec.kind === 'port') {
      const port = Number(raw);
      if (!Number.isInteger(port) || port < 0 || port > 65_535) throw new Error(`${name}: expected a port (0–65535), got "${raw}"`);
      target[spec.key] = port;
    } else {
      const value = Number(raw);
      if (!Number.isFinite(value) || value <= 0 || (spec.kind === 'int' && !Number.isInteger(value))) {
        throw new Error(`${name}: expected a positive ${spec.kind === 'int' ? 'integer' : 'number'}, got "${raw}"`);
      }
      target[spec.key] = value;
    }
  };
  for (const spec of Object.values(FLAGS)) {
    const raw = env[spec.env];
    if (raw !== undefined && raw !== '') set(spec.env, raw, spec);
  }
  for (let i = 0; i < argv.length; i++) {
    const [flag, inline] = argv[i]!.split(/=(.*)/s, 2) as [string, string | undefined];
    const spec = FLAGS[flag];
    if (!spec) throw new Error(`unknown flag ${flag}\n${usage()}`);
    if (spec.kind === 'bool') set(flag, inline ?? '', spec);
    else {
      const raw = inline ?? argv[++i];
      if (raw === undefined) throw new Error(`${flag} needs a value`);
      set(flag, raw, spec);
    }
  }
  if (options.canaryShare >= 1) throw new Error('--canary-share must be below 1');
  return options;
}
