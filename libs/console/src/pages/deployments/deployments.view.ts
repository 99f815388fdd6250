import { deployerV1 } from '@flywheel/contracts';
import { enumLabel, formatNumber, formatPercent, formatTime } from '../../format';
import { html, raw, type SafeHtml } from '../../html';
import { csrfField, layout, tableOrEmpty, type Viewer } from '../../views/layout';
import { latencyHistoryChart, qualityHistoryChart, rolloutChart, trafficHistoryChart, versionHistories } from './deployments.charts';

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
      ${tableOrEmpty(
        'deployments',
        ['name', 'model', 'state', 'stable', 'canary', 'canary traffic', 'updated'],
        rows,
        'No deployments yet.',
      )}`,
    viewer,
  );
}

function statsRow(role: string, s: deployerV1.VersionStats): SafeHtml {
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

/**
 * The deployer's samples of each served version over time: latency percentiles, requests and
 * errors per interval, and accuracy (RMSE) where labels arrived.
 */
function historySection(history: readonly deployerV1.RolloutSample[], name: string): SafeHtml {
  const versions = versionHistories(history ?? []);
  if (versions.length === 0) {
    return html`<section id="history">
      <h2>Over time</h2>
      <p class="muted">No history yet.</p>
    </section>`;
  }
  const quality = qualityHistoryChart(name, versions);
  return html`<section id="history">
    <h2>Over time</h2>
    <p class="muted">
      Sampled by the deployer replica that answered, of the traffic it served: requests, errors and latency per interval; labelled figures
      since the current phase began (they restart when a canary starts or ends).
    </p>
    <figure id="latency-history">${raw(latencyHistoryChart(name, versions))}</figure>
    <figure id="traffic-history">${raw(trafficHistoryChart(name, versions))}</figure>
    ${
      quality
        ? html`<figure id="quality-history">${raw(quality)}</figure>`
        : html`<p class="muted" id="quality-history">No labelled predictions yet: no accuracy over time.</p>`
    }
  </section>`;
}

/**
 * Rolling back: drops the canary when there is one, else returns to the previous stable version.
 * Offered to everyone who can read the page; the deployer refuses a token without the promote role.
 */
function rollbackForm(d: deployerV1.Deployment, viewer: Viewer): SafeHtml {
  const what = d.canaryVersion
    ? `Drop canary v${d.canaryVersion} and keep v${d.stableVersion}`
    : `Return from v${d.stableVersion} to the previous stable version`;
  return html`<h2>Roll back</h2>
    <form method="post" action="/deployments/${encodeURIComponent(d.name)}/rollback" id="rollback">
      ${csrfField(viewer)}
      <p>${what}. Needs a token with the promote role.</p>
      <label>Reason <input type="text" name="reason" maxlength="500" size="50" required /></label>
      <button type="submit">Roll back</button>
    </form>`;
}

const changeLabel = (change: deployerV1.DeploymentChange) => enumLabel(deployerV1.DeploymentChange, change, 'DEPLOYMENT_CHANGE');

/** The versions a change concerns: from the stable one before to the one it is about. */
function changeVersions(c: deployerV1.DeploymentChanged): string {
  const to = c.toVersion ? `v${c.toVersion}` : '-';
  const versions = c.fromVersion && c.fromVersion !== c.toVersion ? `v${c.fromVersion} → ${to}` : to;
  return c.change === deployerV1.DeploymentChange.DEPLOYMENT_CHANGE_CANARY_STARTED
    ? `${versions} (canary on ${formatPercent(c.canaryTrafficShare)})`
    : versions;
}

/** The deployment's latest changes, newest first, as the deployer kept them: what changed, why and who. */
function changesSection(changes: { value: readonly deployerV1.DeploymentChanged[] } | { note: string } | undefined): SafeHtml {
  if (!changes) return html``;
  if ('note' in changes) {
    return html`<section id="changes">
      <h2>Changes</h2>
      <p class="muted note">Not shown: ${changes.note}</p>
    </section>`;
  }
  const rows = changes.value.map(
    (c) =>
      html`<tr>
        <td>${formatTime(c.changeTime)}</td>
        <td>${changeLabel(c.change)}</td>
        <td>${changeVersions(c)}</td>
        <td>${c.reason || '-'}</td>
        <td>${c.actor?.team || c.actor?.service || '-'}</td>
      </tr>`,
  );
  return html`<section id="changes">
    <h2>Changes</h2>
    ${tableOrEmpty('change-log', ['time', 'change', 'versions', 'reason', 'actor'], rows, 'No changes recorded yet.')}
  </section>`;
}

export function rolloutView(
  status: deployerV1.GetRolloutStatusResponse,
  name: string,
  viewer: Viewer,
  notice?: string,
  changes?: { value: readonly deployerV1.DeploymentChanged[] } | { note: string },
): SafeHtml {
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
      ${notice ? html`<p class="notice" role="status">${notice}</p>` : ''}
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
          : html`${tableOrEmpty(
                'rollout',
                ['', 'version', 'requests', 'errors', 'error rate', 'p50 ms', 'p95 ms', 'p99 ms', 'labelled', 'accuracy'],
                versions.map(({ role, stats }) => statsRow(role, stats)),
                '',
              )}
              <figure>${chart}</figure>`
      }
      ${historySection(status.history, d?.name ?? name)} ${changesSection(changes)} ${d && d.stableVersion ? rollbackForm(d, viewer) : ''}`,
    viewer,
  );
}
