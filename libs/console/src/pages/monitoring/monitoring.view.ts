import { type commonV1, monitorV1 } from '@flywheel/contracts';
import { driftChart } from '../../charts';
import { enumLabel, formatNumber, formatPercent, formatTime } from '../../format';
import { html, raw, type SafeHtml } from '../../html';
import { layout, tableOrEmpty, type Viewer } from '../../views/layout';
import { type Part } from '../page';
import {
  featureColour,
  featureHistories,
  type Histogram,
  histogramChart,
  histogramOf,
  P_VALUE_FLOOR,
  pValueHistoryChart,
  statisticHistoryChart,
} from './monitoring.charts';

/** The features whose distributions the page draws (two small charts each). */
export const MAX_HISTOGRAM_FEATURES = 30;

/** A part of the page: what its call returned, or the note that says why it could not be read. */

export interface MonitoringData {
  /** The report detailed, with its current profile; undefined before the first window closes. */
  readonly report: monitorV1.DriftReport | undefined;
  /** Whether it is the latest (else one asked for by id). */
  readonly latest: boolean;
  readonly health: Part<monitorV1.GetModelHealthResponse>;
  /** The newest reports, newest first, without profiles. */
  readonly history: Part<readonly monitorV1.DriftReport[]>;
  readonly alerts: Part<readonly monitorV1.Alert[]>;
  /** The latest report's version's training profile; undefined when there is no report to compare. */
  readonly reference: Part<commonV1.DataProfile | undefined> | undefined;
}

const STYLE = `.pair{display:flex;flex-wrap:wrap;gap:1rem}.pair figure{margin:0}.pair figcaption{font-size:.85rem}
table.bins{font-size:.8rem;margin:.2rem 0}table.bins td,table.bins th{padding:.1rem .4rem}`;

const note = (error: string): SafeHtml => html`<p class="error" role="note">${error}</p>`;

/** `/monitoring/:model`: health, drift over time, the latest report, distributions and open alerts. */
export function monitoringView(modelName: string, data: MonitoringData, viewer: Viewer): SafeHtml {
  const model = encodeURIComponent(modelName);
  // One colour per feature across every chart of the page.
  const names = featureNames([...(data.report ? [data.report] : []), ...('value' in data.history ? data.history.value : [])]);
  const colourOf = (feature: string) => featureColour(names.indexOf(feature));
  return layout(
    `Monitoring ${modelName}`,
    html`<style>
        ${raw(STYLE)}
      </style>
      <h1>Monitoring <a href="/models/${model}">${modelName}</a></h1>
      ${healthSection(data.health)} ${historySection(data.history, colourOf)} ${reportSection(data.report, data.latest, model)}
      ${data.report ? distributionsSection(data.report, data.reference, colourOf) : ''} ${alertsSection(data.alerts, model)}`,
    viewer,
  );
}

function healthSection(health: MonitoringData['health']): SafeHtml {
  if ('note' in health)
    return html`<section id="health">
      <h2>Health</h2>
      ${note(health.note)}
    </section>`;
  const h = health.value;
  const status = enumLabel(monitorV1.HealthStatus, h.status, 'HEALTH_STATUS');
  const bad = h.status === monitorV1.HealthStatus.HEALTH_STATUS_DRIFTING || h.status === monitorV1.HealthStatus.HEALTH_STATUS_DEGRADED;
  const accuracy = h.accuracy ?? undefined;
  const reference = h.referenceAccuracy ?? undefined;
  const drop = accuracy !== undefined && reference !== undefined ? reference - accuracy : undefined;
  return html`<section id="health">
    <h2>Health</h2>
    <table id="health-figures">
      <tbody>
        <tr>
          <th>status</th>
          <td class="${bad ? 'refused' : h.status === monitorV1.HealthStatus.HEALTH_STATUS_HEALTHY ? 'promoted' : ''}">${status}</td>
        </tr>
        <tr>
          <th>watched version</th>
          <td>${h.modelVersion ? `v${h.modelVersion}` : '-'}</td>
        </tr>
        <tr>
          <th>open window</th>
          <td>${h.windowPredictions} predictions, ${h.windowLabelled} labelled</td>
        </tr>
        <tr>
          <th>accuracy</th>
          <td>
            ${accuracy === undefined ? 'no labels yet' : formatPercent(accuracy)} vs reference
            ${reference === undefined ? '-' : formatPercent(reference)}${
              drop === undefined ? '' : html` <span class="muted">(${drop > 0 ? 'down' : 'up'} ${formatPercent(Math.abs(drop))})</span>`
            }
          </td>
        </tr>
      </tbody>
    </table>
  </section>`;
}

function historySection(history: MonitoringData['history'], colourOf: (feature: string) => string): SafeHtml {
  if ('note' in history)
    return html`<section id="history">
      <h2>Drift over time</h2>
      ${note(history.note)}
    </section>`;
  const reports = history.value;
  if (reports.length === 0)
    return html`<section id="history">
      <h2>Drift over time</h2>
      <p class="muted">No drift report yet.</p>
    </section>`;
  const histories = featureHistories(reports, colourOf);
  const pValues = pValueHistoryChart(histories);
  return html`<section id="history">
    <h2>Drift over time</h2>
    <p class="muted">
      The newest ${reports.length} reports, ${formatTime(reports[reports.length - 1].createTime)} to ${formatTime(reports[0].createTime)}.
      Dashed lines are thresholds, on the chart of what each test judges: the statistic for distance tests (PSI, Wasserstein,
      Jensen-Shannon), the p-value for KS, chi-square and z.
    </p>
    <figure id="statistic-history">${raw(statisticHistoryChart(histories))}</figure>
    ${
      pValues
        ? html`<figure id="p-value-history">
            ${raw(pValues)}
            <figcaption class="muted">p-values below ${P_VALUE_FLOOR} are drawn at ${P_VALUE_FLOOR}.</figcaption>
          </figure>`
        : ''
    }
  </section>`;
}

/** Feature names in the newest report's order, then any only older reports tested. */
function featureNames(reports: readonly monitorV1.DriftReport[]): string[] {
  const names = new Set<string>();
  for (const report of reports) for (const f of report.features ?? []) names.add(f.feature);
  return [...names];
}

function reportSection(report: monitorV1.DriftReport | undefined, latest: boolean, model: string): SafeHtml {
  if (!report)
    return html`<section id="latest">
      <h2>Latest report</h2>
      <p class="muted">No drift report yet: the monitor writes one when a window of predictions fills.</p>
    </section>`;
  const features = report.features ?? [];
  const rows = features.map(
    (f) =>
      html`<tr>
        <td>${f.feature}</td>
        <td>${enumLabel(monitorV1.DriftTest, f.test, 'DRIFT_TEST')}</td>
        <td class="num">${formatNumber(f.statistic)}</td>
        <td class="num">${formatNumber(f.pValue)}</td>
        <td class="num">${formatNumber(f.threshold)}</td>
        <td class="${f.drifted ? 'refused' : ''}">${f.drifted ? 'drifted' : 'no'}</td>
        <td class="num">${f.referenceCount}</td>
        <td class="num">${f.currentCount}</td>
      </tr>`,
  );
  const chart = features.length
    ? raw(driftChart(features.map((f) => ({ feature: f.feature, statistic: f.statistic, threshold: f.threshold, drifted: f.drifted }))))
    : '';
  return html`<section id="latest">
    <h2>${latest ? 'Latest report' : html`Report ${report.reportId} <a class="muted" href="/monitoring/${model}">(see the latest)</a>`}</h2>
    <p>
      ${latest ? 'Latest drift report' : 'Drift report'} ${report.reportId} on v${report.modelVersion}, computed
      ${formatTime(report.createTime)}: ${formatPercent(report.driftedShare)} of features drifted (threshold
      ${formatPercent(report.driftShareThreshold)}) —
      ${report.datasetDrift ? html`<span class="refused">dataset drift</span>` : 'no dataset drift'}.
    </p>
    ${tableOrEmpty(
      'drift',
      ['feature', 'test', 'statistic', 'p-value', 'threshold', 'drifted', 'reference rows', 'current rows'],
      rows,
      'The report tested no features.',
    )}
    <figure>${chart}</figure>
  </section>`;
}

function distributionsSection(
  report: monitorV1.DriftReport,
  reference: MonitoringData['reference'],
  colourOf: (feature: string) => string,
): SafeHtml {
  const features = (report.features ?? []).slice(0, MAX_HISTOGRAM_FEATURES);
  const total = report.features?.length ?? 0;
  const referenceColumns = reference && 'value' in reference ? (reference.value?.columns ?? []) : [];
  const currentColumns = report.currentProfile?.columns ?? [];
  const pairs = features.map((f) => {
    const colour = colourOf(f.feature);
    const referenceHistogram = histogramOf(referenceColumns.find((c) => c.name === f.feature));
    const currentHistogram = histogramOf(currentColumns.find((c) => c.name === f.feature));
    return html`<section class="feature-distribution">
      <h3>${f.feature}${f.drifted ? html` <span class="refused">drifted</span>` : ''}</h3>
      <div class="pair">
        ${histogramFigure(`reference (v${report.modelVersion} training set)`, 'reference', referenceHistogram, colour)}
        ${histogramFigure('current (the report’s window)', 'current', currentHistogram, colour)}
      </div>
    </section>`;
  });
  return html`<section id="distributions">
    <h2>Distributions: reference vs current</h2>
    ${reference && 'note' in reference ? note(`No reference profile: ${reference.note}`) : ''}
    ${
      reference && 'value' in reference && !reference.value
        ? html`<p class="muted">The registry holds no training profile for v${report.modelVersion}.</p>`
        : ''
    }
    ${total > MAX_HISTOGRAM_FEATURES ? html`<p class="muted">The first ${MAX_HISTOGRAM_FEATURES} of ${total} features.</p>` : ''} ${pairs}
  </section>`;
}

function histogramFigure(title: string, kind: 'reference' | 'current', histogram: Histogram | undefined, colour: string): SafeHtml {
  if (!histogram)
    return html`<figure class="${kind}">
      <figcaption>${title}</figcaption>
      <p class="muted">No histogram.</p>
    </figure>`;
  const rows = histogram.labels.map(
    (label, i) =>
      html`<tr>
        <td>${label}</td>
        <td class="num">${histogram.counts[i]}</td>
      </tr>`,
  );
  return html`<figure class="${kind}">
    ${raw(histogramChart(title, histogram, colour))}
    <details>
      <summary>${title}: counts</summary>
      <table class="bins">
        <thead>
          <tr>
            <th>bin</th>
            <th>rows</th>
          </tr>
        </thead>
        <tbody>
          ${rows}
        </tbody>
      </table>
    </details>
  </figure>`;
}

function alertsSection(alerts: MonitoringData['alerts'], model: string): SafeHtml {
  if ('note' in alerts)
    return html`<section id="open-alerts">
      <h2>Open alerts</h2>
      ${note(alerts.note)}
    </section>`;
  const rows = alerts.value.map(
    (a) =>
      html`<tr>
        <td>${formatTime(a.raiseTime)}</td>
        <td>${enumLabel(monitorV1.AlertKind, a.kind, 'ALERT_KIND')}</td>
        <td class="num">v${a.modelVersion}</td>
        <td>${a.message}</td>
        <td>${a.reportId ? html`<a href="/monitoring/${model}?report=${encodeURIComponent(a.reportId)}">${a.reportId}</a>` : '-'}</td>
      </tr>`,
  );
  return html`<section id="open-alerts">
    <h2>Open alerts</h2>
    ${tableOrEmpty('alerts', ['raised', 'kind', 'version', 'message', 'report'], rows, 'No open alerts.')}
  </section>`;
}
