import { createHash } from 'node:crypto';
import { status } from '@grpc/grpc-js';
import { commonV1, trainerV1 } from '@flywheel/contracts';
import { type TrainerCalls } from '../../backend';
import { ConsoleTestKit, fakeCalls, grpcError, signInRegistry, type SignedIn } from '../../testing/console-test-kit';
import { MAX_ARTIFACT_BYTES, readObject } from './runs.page';

const TOKEN = 'fw_reader';
const HOSTILE = '<script>alert(1)</script>';

const num = (numberValue: number): commonV1.Value => ({ numberValue });
const text = (stringValue: string): commonV1.Value => ({ stringValue });
const seconds = (s: number) => ({ seconds: s, nanos: 0 });

const spec = (s: Partial<trainerV1.ModelSpec> = {}): trainerV1.ModelSpec =>
  ({
    modelName: 'fraud',
    featureView: 'claims_features',
    features: [],
    label: 'is_fraud',
    task: commonV1.ModelTask.MODEL_TASK_BINARY_CLASSIFICATION,
    algorithm: commonV1.Algorithm.ALGORITHM_GRADIENT_BOOSTED_TREES,
    params: {},
    searchSpace: undefined,
    metric: 'roc_auc',
    evaluation: undefined,
    seed: 0,
    trainingWindow: undefined,
    ...s,
  }) as trainerV1.ModelSpec;

const run = (r: Partial<trainerV1.Run>): trainerV1.Run =>
  ({
    runId: 'run',
    spec: spec(),
    status: trainerV1.RunStatus.RUN_STATUS_SUCCEEDED,
    trigger: trainerV1.RunTrigger.RUN_TRIGGER_API,
    causeEventId: '',
    params: {},
    metrics: {},
    trials: [],
    artifact: undefined,
    lineage: undefined,
    holdout: undefined,
    duration: undefined,
    createTime: new Date('2026-03-01T00:00:00Z'),
    failureCode: trainerV1.FailureCode.FAILURE_CODE_UNSPECIFIED,
    error: '',
    parentRunId: '',
    ...r,
  }) as trainerV1.Run;

// As the trainer answers ListRuns: newest first. Map keys as the gRPC client hands them over (lowerCamelCase).
const LISTED = [
  run({ runId: 'r-new', metrics: { rocAuc: 0.8 }, duration: seconds(9) }),
  run({ runId: 'r-failed', status: trainerV1.RunStatus.RUN_STATUS_FAILED }),
  run({ runId: 'r-old', metrics: { rocAuc: 0.95 }, duration: seconds(10), spec: spec({ modelName: HOSTILE }) }),
];

const SEARCH = run({
  runId: 'search-1',
  spec: spec({ params: { [HOSTILE]: text(HOSTILE) } }),
  params: { learningRate: num(0.01), maxDepth: num(5), penalty: text('l1') },
  metrics: { rocAuc: 0.86, logLoss: 0.31 },
  trials: [
    { runId: 't1', params: { learningRate: num(0.1), maxDepth: num(3), penalty: text('l2') }, metricValue: 0.81, rows: 100 },
    { runId: 't2', params: { learningRate: num(0.01), maxDepth: num(5), penalty: text('l1') }, metricValue: 0.86, rows: 100 },
    { runId: 't3', params: { learningRate: num(0.001), maxDepth: num(7), penalty: text('l2') }, metricValue: 0.79, rows: 100 },
  ],
  lineage: {
    runId: 'search-1',
    dataset: 'claims',
    datasetVersionFrom: 2,
    datasetVersionTo: 5,
    featureView: 'claims_features',
    featureViewRevision: 3,
    features: ['amount', 'age'],
    label: 'is_fraud',
    trainingSet: undefined,
    trainingProfile: undefined,
    seed: 42,
    codeVersion: 'flywheel-1.4.2',
  },
  artifact: { key: 'runs/search-1/model.json', sha256: 'abc', sizeBytes: 2048, contentType: 'application/json' },
});

const FAILED = run({
  runId: 'r-failed',
  status: trainerV1.RunStatus.RUN_STATUS_FAILED,
  failureCode: trainerV1.FailureCode.FAILURE_CODE_INSUFFICIENT_DATA,
  error: 'only 12 labelled rows; at least 50 are needed',
});

const ARTIFACT = Buffer.from('{"weights":[0.25,-1.5,3],"bias":0.125}');
const HUGE = { key: 'runs/huge/model.json', sha256: '', sizeBytes: MAX_ARTIFACT_BYTES + 1, contentType: 'application/json' };

/** The rows' run ids, in the order the table shows them. */
const rowIds = (page: string, table: string) =>
  [...(new RegExp(`<table id="${table}">[\\s\\S]*?</table>`).exec(page)?.[0] ?? '').matchAll(/<td><a href="\/runs\/([^"]+)">/g)].map((m) =>
    decodeURIComponent(m[1]),
  );

/** The cells of the table row whose first cell starts with `label`. */
const rowOf = (page: string, table: string, label: string) =>
  new RegExp(`<table id="${table}">[\\s\\S]*?(<tr[^>]*>\\s*<td>${label}[\\s\\S]*?</tr>)`).exec(page)?.[1] ?? '';

/** The names of a parallel chart's axes, as ECharts writes them above each axis. */
const axisNames = (svg: string) => [...svg.matchAll(/text-anchor="middle"[^>]*y="-6"[^>]*>([^<]*)<\/text>/g)].map((m) => m[1]);

describe('the runs pages', () => {
  let kit: ConsoleTestKit;
  let reader: SignedIn;
  const listed: trainerV1.ListRunsRequest[] = [];
  const compared: string[][] = [];
  const reads: number[] = [];

  const trainer = (): TrainerCalls =>
    fakeCalls<TrainerCalls>('trainer', {
      async listRuns(request) {
        listed.push(request);
        return { runs: LISTED, page: undefined };
      },
      async getRun({ runId }) {
        const found = [SEARCH, FAILED].find((r) => r.runId === runId);
        if (!found) throw grpcError(status.NOT_FOUND, `run ${runId} not found`);
        return { run: found };
      },
      async compareRuns({ runIds }) {
        compared.push(runIds);
        return {
          runs: [
            run({ runId: 'a', params: { learningRate: num(0.1), maxDepth: num(3) }, metrics: { rocAuc: 0.9, logLoss: 0.4 } }),
            run({ runId: 'b', params: { learningRate: num(0.01), maxDepth: num(3) }, metrics: { rocAuc: 0.85, logLoss: 0.3 } }),
          ],
          metricNames: ['log_loss', 'roc_auc'],
          differingParams: ['learning_rate'],
          bestRunId: 'a',
        };
      },
      // The trainer answers in pieces of its own choosing: 7 bytes here, so the file takes several.
      async readRunArtifact({ runId, offset }) {
        reads.push(offset);
        if (runId === 'huge') return { chunk: { object: HUGE, offset, data: new Uint8Array(7) } };
        const sha256 = runId === 'tampered' ? 'f'.repeat(64) : createHash('sha256').update(ARTIFACT).digest('hex');
        const object = { key: 'runs/search-1/model.json', sha256, sizeBytes: ARTIFACT.length, contentType: 'application/json' };
        return { chunk: { object, offset, data: new Uint8Array(ARTIFACT.subarray(offset, offset + 7)) } };
      },
    });

  beforeAll(async () => {
    kit = await ConsoleTestKit.start({ registry: signInRegistry([TOKEN]), trainer });
    reader = await kit.signIn(TOKEN);
  });
  afterAll(() => kit.close());
  beforeEach(() => {
    listed.splice(0);
    compared.splice(0);
    reads.splice(0);
  });

  describe('/runs', () => {
    it('lists the runs newest first, as the trainer answers, with a compare checkbox each', async () => {
      const page = await (await reader.get('/runs')).text();
      expect(rowIds(page, 'runs')).toEqual(['r-new', 'r-failed', 'r-old']);
      expect(page).toMatch(/<form method="get" action="\/runs\/compare">[\s\S]*name="run" value="r-new"[\s\S]*Compare selected/);
      expect(listed).toEqual([
        { modelName: '', status: trainerV1.RunStatus.RUN_STATUS_UNSPECIFIED, page: expect.anything(), parentRunId: '' },
      ]);
    });

    it('sorts numbers numerically either way, runs without the value last', async () => {
      const order = async (query: string) => rowIds(await (await reader.get(`/runs?${query}`)).text(), 'runs');
      expect(await order('sort=metric&order=desc')).toEqual(['r-old', 'r-new', 'r-failed']);
      expect(await order('sort=metric&order=asc')).toEqual(['r-new', 'r-old', 'r-failed']);
      // 9 s before 10 s: as text, "10000" would come first.
      expect(await order('sort=duration&order=asc')).toEqual(['r-new', 'r-old', 'r-failed']);
      expect(await order('sort=duration&order=desc')).toEqual(['r-old', 'r-new', 'r-failed']);
      expect(await order('sort=status&order=asc')).toEqual(['r-failed', 'r-new', 'r-old']);
      expect(await order('sort=nonsense')).toEqual(['r-new', 'r-failed', 'r-old']);
    });

    it('makes each heading a link that flips the order and keeps the model filter', async () => {
      const res = await reader.get('/runs?model=fraud&sort=metric&order=asc');
      const page = await res.text();
      expect(listed.map((r) => r.modelName)).toEqual(['fraud']);
      expect(page).toContain('<a href="/runs?model=fraud&amp;sort=metric&amp;order=desc">metric</a> ▲');
      expect(page).toContain('<a href="/runs?model=fraud&amp;sort=created&amp;order=asc">created</a>');
    });

    it('escapes what the trainer says', async () => {
      const page = await (await reader.get('/runs')).text();
      expect(page).not.toContain(HOSTILE);
      expect(page).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
    });
  });

  describe('/runs/:id', () => {
    it('shows a search: parameters, metrics, lineage, artifacts, escaped', async () => {
      const page = await (await reader.get('/runs/search-1')).text();
      expect(rowOf(page, 'params', 'learningRate')).toContain('<td>0.01</td>');
      expect(rowOf(page, 'metrics', 'roc_auc')).toContain('ranks and promotes');
      expect(rowOf(page, 'metrics', 'log_loss')).toContain('0.31');
      expect(page).toContain('<a href="/datasets/claims">claims</a> v2 – v5');
      expect(page).toMatch(/<dt>code version<\/dt>\s*<dd>flywheel-1\.4\.2<\/dd>/);
      expect(page).toMatch(/<dt>seed<\/dt>\s*<dd>42<\/dd>/);
      expect(page).toContain('<a href="/runs/search-1/artifacts/model" download>model</a>');
      expect(page).toContain('2 KiB');
      expect(page).not.toContain(HOSTILE);
      expect(rowOf(page, 'spec-params', '&lt;script&gt;')).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
    });

    it('shows the trials with the best marked, a parallel axis per parameter and the metric, and a link to compare them', async () => {
      const page = await (await reader.get('/runs/search-1')).text();
      expect(rowIds(page, 'trials')).toEqual(['t1', 't2', 't3']);
      expect(rowOf(page, 'trials', '<input type="checkbox" name="run" value="t2"')).toContain(
        '<td class="num best promoted" title="best">0.86</td>',
      );
      expect(page.match(/class="num best/g)).toHaveLength(1);
      const svg = /<figure id="trials-chart">([\s\S]*?)<\/figure>/.exec(page)?.[1] ?? '';
      expect(svg).toMatch(/^\s*<svg/);
      expect(svg.match(/<polyline/g)).toHaveLength(3);
      expect(axisNames(svg)).toEqual(['learningRate', 'maxDepth', 'penalty', 'roc_auc']);
      expect(page).toContain('<a id="compare-trials" href="/runs/compare?run=t1&amp;run=t2&amp;run=t3"');
    });

    it('says why a run failed', async () => {
      const page = await (await reader.get('/runs/r-failed')).text();
      expect(page).toContain('Failed (insufficient data): only 12 labelled rows; at least 50 are needed');
      expect(page).not.toContain('id="trials"');
    });

    it('shows the trainer’s NOT_FOUND with 404', async () => {
      const res = await reader.get('/runs/nope');
      expect(res.status).toBe(404);
      expect(await res.text()).toContain('Not found: run nope not found');
    });
  });

  describe('/runs/:id/artifacts/:name', () => {
    it('downloads the exact bytes, read in several pieces, as an attachment', async () => {
      const res = await reader.get('/runs/search-1/artifacts/model');
      expect(res.status).toBe(200);
      expect(Buffer.from(await res.arrayBuffer())).toEqual(ARTIFACT);
      expect(res.headers.get('content-disposition')).toBe('attachment; filename="search-1-model.json"');
      expect(res.headers.get('content-type')).toBe('application/json');
      expect(reads).toEqual([0, 7, 14, 21, 28, 35]);
    });

    it('refuses an artifact past the limit after its first piece, with 413', async () => {
      const res = await reader.get('/runs/huge/artifacts/holdout');
      expect(res.status).toBe(413);
      expect(await res.text()).toContain('the console hands over at most 64 MiB');
      expect(reads).toEqual([0]);
    });

    it('refuses bytes that do not match the sha256, and a name that is no artifact', async () => {
      const tampered = await reader.get('/runs/tampered/artifacts/model');
      expect(tampered.status).toBe(502);
      expect(await tampered.text()).toMatch(/the bytes read hash to [0-9a-f]{64}, not the [0-9a-f]{64} recorded/);
      const unknown = await reader.get('/runs/search-1/artifacts/secrets');
      expect(unknown.status).toBe(404);
      expect(await unknown.text()).toContain('it has model and holdout');
    });
  });

  describe('/runs/compare', () => {
    it('puts both runs side by side, best value per metric and differing parameters marked', async () => {
      const page = await (await reader.get('/runs/compare?run=a&run=b&run=a')).text();
      expect(compared).toEqual([['a', 'b']]);
      expect(rowOf(page, 'compare-metrics', 'roc_auc')).toMatch(
        /<td class="num best promoted" title="best">0\.9<\/td>\s*<td class="num">0\.85<\/td>/,
      );
      // log_loss: lower is better.
      expect(rowOf(page, 'compare-metrics', 'log_loss')).toMatch(
        /<td class="num">0\.4<\/td>\s*<td class="num best promoted" title="best">0\.3<\/td>/,
      );
      expect(rowOf(page, 'compare-params', 'learningRate')).toMatch(/differs[\s\S]*<strong>0\.1<\/strong>[\s\S]*<strong>0\.01<\/strong>/);
      expect(rowOf(page, 'compare-params', 'maxDepth')).not.toContain('differs');
      expect(page).toContain('<span class="tag">best run</span>');
      const svg = /<figure id="compare-chart">([\s\S]*?)<\/figure>/.exec(page)?.[1] ?? '';
      expect(axisNames(svg)).toEqual(['learningRate', 'log_loss', 'roc_auc']);
    });

    it.each([
      ['one run', '?run=a', 1],
      ['none', '', 0],
      ['21 runs', `?${Array.from({ length: 21 }, (_, i) => `run=r${i}`).join('&')}`, 21],
    ])('refuses %s with 400, without asking the trainer', async (_, query, count) => {
      const res = await reader.get(`/runs/compare${query}`);
      expect(res.status).toBe(400);
      expect(await res.text()).toContain(`Choose 2 to 20 runs to compare; ${count} ${count === 1 ? 'was' : 'were'} chosen.`);
      expect(compared).toEqual([]);
    });
  });
});

describe('readObject', () => {
  it('stops at the limit even when the object said it was smaller', async () => {
    let asked = 0;
    const liar = async (offset: number) => {
      asked++;
      return { object: { key: 'k', sha256: '', sizeBytes: 80, contentType: '' }, offset, data: new Uint8Array(64) };
    };
    expect(await readObject(liar, 100)).toEqual({ refused: 413, message: expect.stringContaining('at most 100 B') });
    expect(asked).toBe(2);
  });
});
