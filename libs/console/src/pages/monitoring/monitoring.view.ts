import { monitorV1 } from '@flywheel/contracts';
import { driftChart } from '../../charts';
import { enumLabel, formatNumber, formatPercent, formatTime } from '../../format';
import { html, raw, type SafeHtml } from '../../html';
import { layout, tableOrEmpty, type Viewer } from '../../views/layout';

export function monitoringView(modelName: string, report: monitorV1.DriftReport | undefined, viewer: Viewer): SafeHtml {
  if (!report)
    return layout(
      `Monitoring ${modelName}`,
      html`<h1>Monitoring ${modelName}</h1>
        <p class="muted">No drift report yet: the monitor writes one when a window of predictions fills.</p>`,
      viewer,
    );
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
  return layout(
    `Monitoring ${modelName}`,
    html`<h1>Monitoring <a href="/models/${encodeURIComponent(modelName)}">${modelName}</a></h1>
      <p>
        Latest drift report ${report.reportId} on v${report.modelVersion}, computed ${formatTime(report.createTime)}:
        ${formatPercent(report.driftedShare)} of features drifted (threshold ${formatPercent(report.driftShareThreshold)}) —
        ${report.datasetDrift ? html`<span class="refused">dataset drift</span>` : 'no dataset drift'}.
      </p>
      ${tableOrEmpty(
        'drift',
        ['feature', 'test', 'statistic', 'p-value', 'threshold', 'drifted', 'reference rows', 'current rows'],
        rows,
        'The report tested no features.',
      )}
      <figure>${chart}</figure>`,
    viewer,
  );
}
