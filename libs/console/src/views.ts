import { commonV1, deployerV1, monitorV1, registryV1 } from '@flywheel/contracts';
import { driftChart, rolloutChart } from './charts';
import { enumLabel, formatNumber, formatPercent, formatTime } from './format';
import { html, raw, type SafeHtml } from './html';

/** What a page needs to know about who is looking at it. */
export interface Viewer {
  csrfToken: string;
}

const STYLE = `
body{font-family:system-ui,sans-serif;margin:0;color:#1c2833;background:#fbfcfc}
header{background:#1b4f72;color:#fff;padding:.6rem 1.2rem;display:flex;gap:1.2rem;align-items:center}
header a{color:#fff;text-decoration:none;font-weight:600}header form{margin-left:auto}
main{padding:1rem 1.2rem;max-width:72rem}
table{border-collapse:collapse;margin:.5rem 0 1.5rem}th,td{border-bottom:1px solid #d5d8dc;padding:.3rem .7rem;text-align:left;vertical-align:top}
th{background:#eaf2f8}td.num{text-align:right;font-variant-numeric:tabular-nums}
.error{background:#fdedec;border:1px solid #c0392b;padding:.6rem 1rem;border-radius:4px}
.muted{color:#717d7e}.tag{background:#eaf2f8;border-radius:3px;padding:0 .3rem;margin-right:.2rem}
.refused{color:#c0392b;font-weight:600}.promoted{color:#1e8449;font-weight:600}
figure{margin:0 0 1.5rem}#audit td:first-child{white-space:nowrap}td ul{margin:0;padding-left:1rem}`;

export function layout(title: string, body: SafeHtml, viewer?: Viewer): SafeHtml {
  return html`<!doctype html>
    <html lang="en">
      <head>
        <meta charset="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <title>${title} · Flywheel</title>
        <style>
          ${raw(STYLE)}
        </style>
      </head>
      <body>
        <header>
          <span>Flywheel</span>${
            viewer
              ? html`<a href="/models">Models</a><a href="/deployments">Deployments</a>
                  <form method="post" action="/logout">
                    <input type="hidden" name="csrf" value="${viewer.csrfToken}" /><button type="submit">Sign out</button>
                  </form>`
              : ''
          }
        </header>
        <main>${body}</main>
      </body>
    </html> `;
}

export function loginView(message?: string): SafeHtml {
  return layout(
    'Sign in',
    html`<h1>Sign in</h1>
      <p>
        Paste your team's API token (from <code>flywheel auth issue</code>). The console reads the services with it, so you see what your
        team may see.
      </p>
      ${message ? html`<p class="error" role="alert">${message}</p>` : ''}
      <form method="post" action="/login">
        <label>Team token <input type="password" name="token" autocomplete="off" required autofocus size="50" /></label>
        <button type="submit">Sign in</button>
      </form>`,
  );
}

/** A page that could not be shown: what the service said, or why the console could not ask. */
export function errorView(title: string, message: string, viewer: Viewer): SafeHtml {
  return layout(
    title,
    html`<h1>${title}</h1>
      <p class="error" role="alert">${message}</p>`,
    viewer,
  );
}

const aliasTags = (aliases: Record<string, number>) =>
  Object.entries(aliases)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([alias, version]) => html`<span class="tag">${alias} → v${version}</span>`);

export function modelsView(models: readonly registryV1.Model[], viewer: Viewer): SafeHtml {
  const rows = models.map(
    (m) =>
      html`<tr>
        <td><a href="/models/${encodeURIComponent(m.name)}">${m.name}</a></td>
        <td class="num">${m.latestVersion ? `v${m.latestVersion}` : '-'}</td>
        <td>${aliasTags(m.aliases ?? {})}</td>
        <td>${m.ownerTeam || '-'}</td>
        <td>${formatTime(m.createTime)}</td>
      </tr>`,
  );
  return layout(
    'Models',
    html`<h1>Models</h1>
      ${
        models.length === 0
          ? html`<p class="muted">No models yet.</p>`
          : html`<table>
              <thead>
                <tr>
                  <th>name</th>
                  <th>latest version</th>
                  <th>aliases</th>
                  <th>owner</th>
                  <th>created</th>
                </tr>
              </thead>
              <tbody>
                ${rows}
              </tbody>
            </table>`
      }`,
    viewer,
  );
}

function comparisonText(c: registryV1.MetricComparison | undefined): SafeHtml | string {
  if (!c) return '-';
  const champion = c.championValue === undefined ? 'no champion' : `champion ${formatNumber(c.championValue)}`;
  return html`${c.metric}: ${champion}, challenger ${formatNumber(c.challengerValue)}
    <span class="muted"
      >(${c.higherIsBetter ? 'higher' : 'lower'} is better; Δ
      ${formatNumber(c.absoluteImprovement)}${c.holdout ? `, ${c.holdout.rowCount} holdout rows` : ''})</span
    >`;
}

function actionCell(action: registryV1.AuditAction): SafeHtml {
  const label = enumLabel(registryV1.AuditAction, action, 'AUDIT_ACTION');
  const cls =
    action === registryV1.AuditAction.AUDIT_ACTION_PROMOTION_REFUSED
      ? 'refused'
      : action === registryV1.AuditAction.AUDIT_ACTION_ALIAS_SET
        ? 'promoted'
        : '';
  return html`<td class="${cls}">${label}</td>`;
}

function actorText(actor: commonV1.Actor | undefined): string {
  if (!actor) return '-';
  if (actor.service) return `${actor.service} (automatic)`;
  return actor.team || '-';
}

/**
 * A version's value of its own metric. The metric is named as the registry names it (`roc_auc`);
 * the gRPC client hands map keys over in lowerCamelCase (`rocAuc`), as it does field names.
 */
function metricValue(v: registryV1.ModelVersion): number | undefined {
  if (!v.metric || !v.metrics) return undefined;
  return v.metrics[v.metric] ?? v.metrics[v.metric.replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase())];
}

export function modelView(
  model: registryV1.Model,
  versions: readonly registryV1.ModelVersion[],
  audit: readonly registryV1.AuditEntry[],
  viewer: Viewer,
): SafeHtml {
  const versionRows = versions.map(
    (v) =>
      html`<tr>
        <td class="num">v${v.version}</td>
        <td>${enumLabel(commonV1.Algorithm, v.algorithm, 'ALGORITHM')}</td>
        <td>${v.metric || '-'}</td>
        <td class="num">${formatNumber(metricValue(v))}</td>
        <td>${(v.aliases ?? []).map((a) => html`<span class="tag">${a}</span>`)}</td>
        <td>${formatTime(v.createTime)}</td>
      </tr>`,
  );
  const auditRows = audit.map(
    (e) =>
      html`<tr>
        <td>${formatTime(e.time)}</td>
        ${actionCell(e.action)}
        <td class="num">${e.version ? `v${e.version}` : '-'}</td>
        <td>${e.alias || ''}${e.previousVersion ? ` (was v${e.previousVersion})` : ''}</td>
        <td>
          ${
            e.reasons?.length
              ? html`<ul>
                  ${e.reasons.map((r) => html`<li>${r}</li>`)}
                </ul>`
              : '-'
          }
        </td>
        <td>${comparisonText(e.comparison)}</td>
        <td>${actorText(e.actor)}</td>
      </tr>`,
  );
  return layout(
    `Model ${model.name}`,
    html`<h1>Model ${model.name}</h1>
      <p>${model.description || ''}</p>
      <p>
        Owner: ${model.ownerTeam || '-'} · created ${formatTime(model.createTime)} · aliases:
        ${Object.keys(model.aliases ?? {}).length ? aliasTags(model.aliases) : 'none'} ·
        <a href="/monitoring/${encodeURIComponent(model.name)}">monitoring</a>
      </p>
      <h2>Versions</h2>
      ${
        versions.length === 0
          ? html`<p class="muted">No versions yet.</p>`
          : html`<table id="versions">
              <thead>
                <tr>
                  <th>version</th>
                  <th>algorithm</th>
                  <th>metric</th>
                  <th>value</th>
                  <th>aliases</th>
                  <th>created</th>
                </tr>
              </thead>
              <tbody>
                ${versionRows}
              </tbody>
            </table>`
      }
      <h2>Audit timeline</h2>
      ${
        audit.length === 0
          ? html`<p class="muted">Nothing audited yet.</p>`
          : html`<table id="audit">
              <thead>
                <tr>
                  <th>time</th>
                  <th>action</th>
                  <th>version</th>
                  <th>alias</th>
                  <th>reasons</th>
                  <th>comparison</th>
                  <th>by</th>
                </tr>
              </thead>
              <tbody>
                ${auditRows}
              </tbody>
            </table>`
      }`,
    viewer,
  );
}

const stateLabel = (state: deployerV1.DeploymentState) => enumLabel(deployerV1.DeploymentState, state, 'DEPLOYMENT_STATE');

export function deploymentsView(deployments: readonly deployerV1.Deployment[], viewer: Viewer): SafeHtml {
  const rows = deployments.map(
    (d) =>
      html`<tr>
        <td><a href="/deployments/${encodeURIComponent(d.name)}">${d.name}</a></td>
        <td><a href="/models/${encodeURIComponent(d.modelName)}">${d.modelName}</a>@${d.alias}</td>
        <td>${stateLabel(d.state)}</td>
        <td class="num">${d.stableVersion ? `v${d.stableVersion}` : '-'}</td>
        <td class="num">${d.canaryVersion ? `v${d.canaryVersion}` : '-'}</td>
        <td class="num">${d.canaryVersion ? formatPercent(d.canaryTrafficShare) : '-'}</td>
        <td>${formatTime(d.updateTime)}</td>
      </tr>`,
  );
  return layout(
    'Deployments',
    html`<h1>Deployments</h1>
      ${
        deployments.length === 0
          ? html`<p class="muted">No deployments yet.</p>`
          : html`<table>
              <thead>
                <tr>
                  <th>name</th>
                  <th>model</th>
                  <th>state</th>
                  <th>stable</th>
                  <th>canary</th>
                  <th>canary traffic</th>
                  <th>updated</th>
                </tr>
              </thead>
              <tbody>
                ${rows}
              </tbody>
            </table>`
      }`,
    viewer,
  );
}

function statsRow(role: string, s: deployerV1.VersionStats | undefined): SafeHtml | string {
  if (!s) return '';
  return html`<tr>
    <td>${role}</td>
    <td class="num">v${s.version}</td>
    <td class="num">${s.requests}</td>
    <td class="num">${s.errors}</td>
    <td class="num">${formatPercent(s.errorRate)}</td>
    <td class="num">${formatNumber(s.latencyP50Ms)}</td>
    <td class="num">${formatNumber(s.latencyP95Ms)}</td>
    <td class="num">${formatNumber(s.latencyP99Ms)}</td>
    <td class="num">${s.labelled}</td>
    <td class="num">${formatNumber(s.accuracy)}</td>
  </tr>`;
}

export function rolloutView(status: deployerV1.GetRolloutStatusResponse, name: string, viewer: Viewer): SafeHtml {
  const d = status.deployment;
  const versions = [
    ...(status.stable ? [{ role: 'stable', stats: status.stable }] : []),
    ...(status.canary ? [{ role: 'canary', stats: status.canary }] : []),
  ];
  const chart = versions.length
    ? raw(
        rolloutChart(
          versions.map(({ role, stats }) => ({
            label: `v${stats.version} (${role})`,
            requests: stats.requests,
            errors: stats.errors,
            latencyP50Ms: stats.latencyP50Ms,
            latencyP95Ms: stats.latencyP95Ms,
          })),
        ),
      )
    : '';
  return layout(
    `Deployment ${name}`,
    html`<h1>Deployment ${name}</h1>
      ${
        d
          ? html`<p>
              Serves <a href="/models/${encodeURIComponent(d.modelName)}">${d.modelName}</a>@${d.alias} ·
              ${stateLabel(d.state)}${
                d.canaryVersion ? ` · canary v${d.canaryVersion} on ${formatPercent(d.canaryTrafficShare)} of traffic` : ''
              }
              · updated ${formatTime(d.updateTime)}
            </p>`
          : ''
      }
      ${status.summary ? html`<p id="summary">${status.summary}</p>` : ''}
      <h2>Rollout</h2>
      ${
        versions.length === 0
          ? html`<p class="muted">No traffic figures yet.</p>`
          : html`<table id="rollout">
                <thead>
                  <tr>
                    <th></th>
                    <th>version</th>
                    <th>requests</th>
                    <th>errors</th>
                    <th>error rate</th>
                    <th>p50 ms</th>
                    <th>p95 ms</th>
                    <th>p99 ms</th>
                    <th>labelled</th>
                    <th>accuracy</th>
                  </tr>
                </thead>
                <tbody>
                  ${versions.map(({ role, stats }) => statsRow(role, stats))}
                </tbody>
              </table>
              <figure>${chart}</figure>`
      }`,
    viewer,
  );
}

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
      <table id="drift">
        <thead>
          <tr>
            <th>feature</th>
            <th>test</th>
            <th>statistic</th>
            <th>p-value</th>
            <th>threshold</th>
            <th>drifted</th>
            <th>reference rows</th>
            <th>current rows</th>
          </tr>
        </thead>
        <tbody>
          ${rows}
        </tbody>
      </table>
      <figure>${chart}</figure>`,
    viewer,
  );
}
