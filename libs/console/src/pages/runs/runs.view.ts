import { commonV1, durationToMillis, trainerV1 } from '@flywheel/contracts';
import { enumLabel, formatBytes, formatNumber, formatPercent, formatTime } from '../../format';
import { html, raw, type SafeHtml } from '../../html';
import { layout, tableOrEmpty, type Viewer } from '../../views/layout';
import { actorText, metricOf } from '../models/models.view';
import { parallelChart } from './runs.charts';
import { algorithmLabel, durationMs, primaryMetric, RUN_COLUMNS, type RunSort, runStatusLabel } from './runs.sort';
import {
  axisValue,
  bestIndexes,
  COMPARE_LIMITS,
  formatDuration,
  lowerIsBetter,
  namedIn,
  paramOf,
  RUN_ARTIFACTS,
  snakeCase,
  valueText,
} from './runs.values';

const runHref = (runId: string) => `/runs/${encodeURIComponent(runId)}`;
const runLink = (runId: string) => html`<a href="${runHref(runId)}">${runId}</a>`;
const modelLink = (name: string | undefined) => (name ? html`<a href="/runs?model=${encodeURIComponent(name)}">${name}</a>` : '-');
const compareHref = (runIds: readonly string[]) =>
  `/runs/compare?${new URLSearchParams(runIds.map((id): [string, string] => ['run', id]))}`;
const sortedKeys = (maps: ReadonlyArray<Record<string, unknown> | undefined>) =>
  [...new Set(maps.flatMap((m) => Object.keys(m ?? {})))].sort();

/** A best value: green and bold, and said in words for those who do not see the colour. */
const valueCell = (text: string, best: boolean) =>
  best ? html`<td class="num best promoted" title="best">${text}</td>` : html`<td class="num">${text}</td>`;

const compareBox = (runId: string) =>
  runId ? html`<input type="checkbox" name="run" value="${runId}" aria-label="compare ${runId}" />` : '';

const chartFigure = (id: string, svg: string, caption: string) =>
  html`<figure id="${id}">
    ${raw(svg)}
    <figcaption class="muted">${caption}</figcaption>
  </figure>`;

/** A table whose rows carry a checkbox each, in the form that opens the comparison of the checked runs. */
function compareForm(table: SafeHtml): SafeHtml {
  return html`<form method="get" action="/runs/compare">
    ${table}
    <button type="submit">Compare selected</button>
    <span class="muted">(${COMPARE_LIMITS.min} to ${COMPARE_LIMITS.max} runs)</span>
  </form>`;
}

// ---- /runs

function sortHeader(column: (typeof RUN_COLUMNS)[number], sort: RunSort | undefined, model: string): SafeHtml {
  const current = sort?.column === column.key ? sort.order : undefined;
  const query = new URLSearchParams({ ...(model && { model }), sort: column.key, order: current === 'asc' ? 'desc' : 'asc' });
  const arrow = current === 'asc' ? ' ▲' : current === 'desc' ? ' ▼' : '';
  return html`<a href="/runs?${query}">${column.label}</a>${arrow}`;
}

function metricText(run: trainerV1.Run): string {
  const value = primaryMetric(run);
  return value === undefined ? '-' : `${run.spec?.metric} ${formatNumber(value)}`;
}

function runRow(run: trainerV1.Run): SafeHtml {
  return html`<tr>
    <td>${compareBox(run.runId)}</td>
    <td>${runLink(run.runId)}</td>
    <td>${modelLink(run.spec?.modelName)}</td>
    <td>${runStatusLabel(run.status)}</td>
    <td>${enumLabel(trainerV1.RunTrigger, run.trigger, 'RUN_TRIGGER')}</td>
    <td>${algorithmLabel(run.spec?.algorithm) ?? '-'}</td>
    <td class="num">${metricText(run)}</td>
    <td>${formatTime(run.createTime)}</td>
    <td class="num">${formatDuration(durationMs(run))}</td>
  </tr>`;
}

export function runsView(runs: readonly trainerV1.Run[], sort: RunSort | undefined, model: string, viewer: Viewer): SafeHtml {
  const title = model ? `Runs of ${model}` : 'Runs';
  const headers = ['', ...RUN_COLUMNS.map((c) => sortHeader(c, sort, model))];
  return layout(
    title,
    html`<h1>${title}</h1>
      <form method="get" action="/runs">
        <label>Model <input type="text" name="model" value="${model}" size="30" /></label>
        <button type="submit">Filter</button>${model ? html` <a href="/runs">all runs</a>` : ''}
      </form>
      <p class="muted">The newest ${runs.length} runs (a search's trials are on its own page); a column's heading sorts by it.</p>
      ${runs.length ? compareForm(tableOrEmpty('runs', headers, runs.map(runRow), '')) : html`<p class="muted">No runs yet.</p>`}`,
    viewer,
  );
}

// ---- /runs/:id

function summary(run: trainerV1.Run): SafeHtml {
  return html`<p id="summary">
      Model ${modelLink(run.spec?.modelName)} · <strong>${runStatusLabel(run.status)}</strong> · trigger
      ${enumLabel(trainerV1.RunTrigger, run.trigger, 'RUN_TRIGGER')} by ${actorText(run.actor)}
      ${run.causeEventId ? html`(event <code>${run.causeEventId}</code>)` : ''}
    </p>
    <p>
      Created ${formatTime(run.createTime)} · started ${formatTime(run.startTime)} · ended ${formatTime(run.endTime)} · took
      ${formatDuration(durationMs(run))}
    </p>
    ${run.parentRunId ? html`<p>A trial of the search ${runLink(run.parentRunId)}.</p>` : ''}
    ${
      run.status === trainerV1.RunStatus.RUN_STATUS_FAILED || run.error
        ? html`<p class="error" role="alert" id="failure">
            Failed (${enumLabel(trainerV1.FailureCode, run.failureCode, 'FAILURE_CODE')}): ${run.error || 'no message'}
          </p>`
        : ''
    }`;
}

function metricsTable(run: trainerV1.Run): SafeHtml {
  const ranking = run.spec?.metric ?? '';
  const rows = Object.keys(run.metrics ?? {})
    .sort()
    .map(
      (name) =>
        html`<tr>
          <td>${snakeCase(name)}${namedIn([ranking], name) ? html` <span class="tag">ranks and promotes</span>` : ''}</td>
          <td class="num">${formatNumber(run.metrics[name])}</td>
        </tr>`,
    );
  return tableOrEmpty('metrics', ['metric', 'value'], rows, 'No metrics (yet).');
}

function paramsTable(id: string, params: Record<string, commonV1.Value> | undefined, empty: string): SafeHtml {
  const rows = sortedKeys([params]).map(
    (name) =>
      html`<tr>
        <td>${name}</td>
        <td>${valueText(params?.[name])}</td>
      </tr>`,
  );
  return tableOrEmpty(id, ['parameter', 'value'], rows, empty);
}

const definitions = (entries: ReadonlyArray<[term: string, value: SafeHtml | string | number]>) =>
  html`<dl>
    ${entries.map(
      ([term, value]) =>
        html`<dt>${term}</dt>
          <dd>${value}</dd>`,
    )}
  </dl>`;

function domainText(p: trainerV1.ParameterSpace): string {
  if (p.range) return `${p.range.min} … ${p.range.max}${p.range.logScale ? ', log scale' : ''}${p.range.integer ? ', whole numbers' : ''}`;
  return `one of ${(p.choices?.values ?? []).map(valueText).join(', ')}`;
}

/** What `max_trials` 0 means (trainer.proto). */
const DEFAULT_MAX_TRIALS = 20;

function searchText(search: trainerV1.SearchSpace | undefined): SafeHtml | string {
  if (!search) return 'none: trained once with the fixed parameters';
  return html`${enumLabel(trainerV1.SearchStrategy, search.strategy, 'SEARCH_STRATEGY')} search, at most
    ${search.maxTrials || DEFAULT_MAX_TRIALS} trials
    <ul>
      ${search.parameters.map((p) => html`<li>${p.name}: ${domainText(p)}</li>`)}
    </ul>`;
}

function evaluationText(window: trainerV1.EvaluationWindow | undefined): string {
  if (window?.recent) return `the last ${formatDuration(durationToMillis(window.recent))} of event time`;
  if (window?.recentFraction) return `the most recent ${formatPercent(window.recentFraction)} of rows`;
  return 'the trainer default';
}

function specSection(spec: trainerV1.ModelSpec | undefined): SafeHtml {
  if (!spec) return html`<p class="muted">No spec recorded.</p>`;
  return html`${definitions([
      ['task', enumLabel(commonV1.ModelTask, spec.task, 'MODEL_TASK')],
      ['algorithm', algorithmLabel(spec.algorithm) ?? '-'],
      ['metric', spec.metric || '-'],
      ['feature view', spec.featureView || '-'],
      ['features', spec.features?.length ? spec.features.join(', ') : 'all of the view'],
      ['label', spec.label || '-'],
      ['search', searchText(spec.searchSpace)],
      ['evaluated on', evaluationText(spec.evaluation)],
      ['trained on', spec.trainingWindow ? `the last ${formatDuration(durationToMillis(spec.trainingWindow))}` : 'all data'],
      ['seed', spec.seed || 'picked by the trainer'],
    ])}
    <h3>Fixed parameters</h3>
    ${paramsTable('spec-params', spec.params, 'None: the algorithm defaults.')}`;
}

function noLineageReason(run: trainerV1.Run): string {
  if (run.parentRunId) return 'a trial has none of its own';
  return run.status === trainerV1.RunStatus.RUN_STATUS_FAILED ? 'the run failed' : 'the run has not finished';
}

function lineageSection(run: trainerV1.Run): SafeHtml {
  const l = run.lineage;
  if (!l) return html`<p class="muted">No lineage: ${noLineageReason(run)}.</p>`;
  const holdout = run.holdout;
  return definitions([
    [
      'dataset',
      html`<a href="/datasets/${encodeURIComponent(l.dataset)}">${l.dataset}</a> v${l.datasetVersionFrom} – v${l.datasetVersionTo}`,
    ],
    ['feature view', `${l.featureView} (revision ${l.featureViewRevision})`],
    ['features', l.features?.join(', ') || '-'],
    ['label', l.label || '-'],
    ['seed', l.seed],
    ['code version', l.codeVersion || '-'],
    ['training set', l.trainingSet ? html`<code>${l.trainingSet.key}</code> (sha256 <code>${l.trainingSet.sha256}</code>)` : '-'],
    [
      'holdout',
      holdout
        ? `${holdout.rowCount} rows, label ${holdout.labelColumn}, event time ${formatTime(holdout.eventTimeRange?.start)} to ${formatTime(holdout.eventTimeRange?.end)}`
        : '-',
    ],
  ]);
}

function artifactsTable(run: trainerV1.Run): SafeHtml {
  const rows = Object.entries(RUN_ARTIFACTS).flatMap(([name, { ref }]) => {
    const object = ref(run);
    if (!object?.key) return [];
    return [
      html`<tr>
        <td><a href="${runHref(run.runId)}/artifacts/${name}" download>${name}</a></td>
        <td><code>${object.key}</code></td>
        <td>${object.contentType || '-'}</td>
        <td class="num">${formatBytes(object.sizeBytes)}</td>
        <td><code>${object.sha256}</code></td>
      </tr>`,
    ];
  });
  return tableOrEmpty(
    'artifacts',
    ['download', 'object', 'type', 'size', 'sha256'],
    rows,
    'No artifacts: only a run that succeeded has them.',
  );
}

/** The trials worth comparing: all of them, or the best the comparison takes when there are more. */
function trialsToCompare(trials: readonly trainerV1.Trial[], metric: string): string[] {
  const sign = lowerIsBetter(metric) ? 1 : -1;
  const withRuns = trials.filter((t) => t.runId);
  const ranked = withRuns.length > COMPARE_LIMITS.max ? [...withRuns].sort((a, b) => sign * (a.metricValue - b.metricValue)) : withRuns;
  return ranked.slice(0, COMPARE_LIMITS.max).map((t) => t.runId);
}

function trialsSection(run: trainerV1.Run): SafeHtml {
  const metric = run.spec?.metric || 'metric';
  const names = sortedKeys(run.trials.map((t) => t.params));
  const best = bestIndexes(
    run.trials.map((t) => t.metricValue),
    metric,
  );
  const rows = run.trials.map(
    (t, i) =>
      html`<tr>
        <td>${compareBox(t.runId)}</td>
        <td class="num">${i + 1}</td>
        <td>${t.runId ? runLink(t.runId) : '-'}</td>
        ${names.map((name) => html`<td>${valueText(t.params[name])}</td>`)} ${valueCell(formatNumber(t.metricValue), best.has(i))}
        <td class="num">${t.rows}</td>
      </tr>`,
  );
  const chart = parallelChart(
    [...names, metric],
    run.trials.map((t) => ({ values: [...names.map((name) => axisValue(t.params[name])), t.metricValue] })),
  );
  const compared = trialsToCompare(run.trials, metric);
  return html`<h2>Search trials</h2>
    <p>
      ${run.trials.length} trials, scored by ${metric} on the validation split (best in green).
      ${
        compared.length >= COMPARE_LIMITS.min
          ? html`<a id="compare-trials" href="${compareHref(compared)}"
              >Compare ${compared.length < run.trials.length ? `the ${compared.length} best trials` : 'the trials'}</a
            >`
          : ''
      }
    </p>
    ${compareForm(tableOrEmpty('trials', ['', '#', 'trial run', ...names, metric, 'rows'], rows, ''))}
    ${chartFigure('trials-chart', chart, `One line per trial; the darker, the higher its ${metric}.`)}`;
}

export function runView(run: trainerV1.Run, viewer: Viewer): SafeHtml {
  const title = `Run ${run.runId}`;
  return layout(
    title,
    html`<h1>${title}</h1>
      ${summary(run)}
      <h2>Metrics</h2>
      ${metricsTable(run)}
      <h2>Parameters</h2>
      ${paramsTable('params', run.params, 'None recorded (yet).')} ${run.trials?.length ? trialsSection(run) : ''}
      <h2>Spec</h2>
      ${specSection(run.spec)}
      <h2>Lineage</h2>
      ${lineageSection(run)}
      <h2>Artifacts</h2>
      ${artifactsTable(run)}`,
    viewer,
  );
}

// ---- /runs/compare

function metricRows(c: trainerV1.CompareRunsResponse): SafeHtml[] {
  return c.metricNames.map((name) => {
    const values = c.runs.map((r) => metricOf(r.metrics, name));
    const best = bestIndexes(values, name);
    return html`<tr>
      <td>${name} <span class="muted">(${lowerIsBetter(name) ? 'lower' : 'higher'} is better)</span></td>
      ${values.map((v, i) => valueCell(formatNumber(v), best.has(i)))}
    </tr>`;
  });
}

function paramRows(c: trainerV1.CompareRunsResponse, names: readonly string[]): SafeHtml[] {
  return names.map((name) => {
    const differs = namedIn(c.differingParams, name);
    return html`<tr class="${differs ? 'differs' : ''}">
      <td>${name}${differs ? html` <span class="tag">differs</span>` : ''}</td>
      ${c.runs.map((r) => {
        const text = valueText(paramOf(r.params, name));
        return differs ? html`<td><strong>${text}</strong></td>` : html`<td>${text}</td>`;
      })}
    </tr>`;
  });
}

/** Parameters that are the same in every run would draw flat lines: the chart shows those that differ, and the metrics. */
function comparisonChart(c: trainerV1.CompareRunsResponse, paramNames: readonly string[]): SafeHtml | string {
  const differing = paramNames.filter((name) => namedIn(c.differingParams, name));
  const axes = [...differing, ...c.metricNames];
  if (axes.length === 0) return '';
  const ranking = axes.indexOf(c.runs[0]?.spec?.metric ?? '', differing.length);
  const colourBy = ranking >= 0 ? ranking : axes.length - 1;
  const chart = parallelChart(
    axes,
    c.runs.map((r) => ({
      values: [...differing.map((name) => axisValue(paramOf(r.params, name))), ...c.metricNames.map((name) => metricOf(r.metrics, name))],
    })),
    colourBy,
  );
  return chartFigure('compare-chart', chart, `One line per run; the darker, the higher its ${axes[colourBy]}.`);
}

export function compareView(c: trainerV1.CompareRunsResponse, viewer: Viewer): SafeHtml {
  const headers = [
    '',
    ...c.runs.map(
      (r) =>
        html`${runLink(r.runId)}<br /><span class="muted">${r.spec?.modelName ?? '-'}</span>${
            r.runId === c.bestRunId ? html` <span class="tag">best run</span>` : ''
          }`,
    ),
  ];
  const paramNames = sortedKeys(c.runs.map((r) => r.params));
  return layout(
    'Compare runs',
    html`<h1>Compare ${c.runs.length} runs</h1>
      ${
        c.bestRunId
          ? html`<p>Best by their shared metric: ${runLink(c.bestRunId)}.</p>`
          : html`<p class="muted">No overall best: the runs do not all have a value of one shared metric.</p>`
      }
      <h2>Metrics</h2>
      ${tableOrEmpty('compare-metrics', headers, metricRows(c), 'No metrics.')}
      <h2>Parameters</h2>
      ${tableOrEmpty('compare-params', headers, paramRows(c, paramNames), 'No parameters.')} ${comparisonChart(c, paramNames)}`,
    viewer,
  );
}
