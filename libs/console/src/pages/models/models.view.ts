import { commonV1, registryV1 } from '@flywheel/contracts';
import { enumLabel, formatNumber, formatTime } from '../../format';
import { html, raw, type SafeHtml } from '../../html';
import { layout, tableOrEmpty, type Viewer } from '../../views/layout';
import { type LineageGraph } from './lineage-chart';

/** The champion's lineage on the model page: its graph, or why there is none. */
export interface LineageSection {
  /** Which version it is, in words: `production (v3)`. */
  which: string;
  graph?: LineageGraph;
  /** The graph drawn by ECharts (SVG). */
  svg?: string;
  /** Calls that failed. */
  notes: string[];
}

function lineageHtml(section: LineageSection | undefined): SafeHtml | string {
  if (!section) return '';
  const links = (section.graph?.nodes ?? []).filter((n) => n.href && n.kind !== 'version');
  return html`<h2>Lineage of ${section.which}</h2>
    ${section.svg ? html`<figure id="lineage">${raw(section.svg)}</figure>` : ''}
    ${
      links.length
        ? html`<ul id="lineage-links">
            ${links.map((n) => html`<li>${n.kind}: <a href="${n.href}">${n.label.filter(Boolean).slice(1).join(' ')}</a></li>`)}
          </ul>`
        : ''
    }
    ${section.notes.map((note) => html`<p class="muted">Lineage incomplete: ${note}</p>`)}`;
}

export const aliasTags = (aliases: Record<string, number>) =>
  Object.entries(aliases)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([alias, version]) => html`<span class="tag">${alias} → v${version}</span>`);

/** The index of a section whose pages are per model (models, loop, monitoring). */
export interface ModelIndex {
  title: string;
  /** Where a model's page of the section is: `${path}/${name}`. */
  path: string;
  intro?: string;
}

/** The registry's models, each linking to its page of the section. */
export function modelIndexView(index: ModelIndex, models: readonly registryV1.Model[], viewer: Viewer): SafeHtml {
  const rows = models.map(
    (m) =>
      html`<tr>
        <td><a href="${index.path}/${encodeURIComponent(m.name)}">${m.name}</a></td>
        <td class="num">${m.latestVersion ? `v${m.latestVersion}` : '-'}</td>
        <td>${aliasTags(m.aliases ?? {})}</td>
        <td>${m.ownerTeam || '-'}</td>
        <td>${formatTime(m.createTime)}</td>
      </tr>`,
  );
  return layout(
    index.title,
    html`<h1>${index.title}</h1>
      ${index.intro ? html`<p>${index.intro}</p>` : ''}
      ${tableOrEmpty('models', ['name', 'latest version', 'aliases', 'owner', 'created'], rows, 'No models yet.')}`,
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

export function actorText(actor: commonV1.Actor | undefined): string {
  if (!actor) return '-';
  if (actor.service) return `${actor.service} (automatic)`;
  return actor.team || '-';
}

/**
 * A metric by the name the services give it (`roc_auc`) in a map the gRPC client handed over:
 * the client turns map keys into lowerCamelCase (`rocAuc`), as it does field names.
 */
export function metricOf(metrics: Record<string, number> | undefined, name: string): number | undefined {
  if (!metrics || !name) return undefined;
  return metrics[name] ?? metrics[name.replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase())];
}

export function modelView(
  model: registryV1.Model,
  versions: readonly registryV1.ModelVersion[],
  audit: readonly registryV1.AuditEntry[],
  viewer: Viewer,
  lineage?: LineageSection,
): SafeHtml {
  const versionRows = versions.map(
    (v) =>
      html`<tr>
        <td class="num">v${v.version}</td>
        <td>${enumLabel(commonV1.Algorithm, v.algorithm, 'ALGORITHM')}</td>
        <td>${v.metric || '-'}</td>
        <td class="num">${formatNumber(metricOf(v.metrics, v.metric))}</td>
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
        <a href="/monitoring/${encodeURIComponent(model.name)}">monitoring</a> ·
        <a href="/loop/${encodeURIComponent(model.name)}">loop</a>
      </p>
      ${lineageHtml(lineage)}
      <h2>Versions</h2>
      ${tableOrEmpty('versions', ['version', 'algorithm', 'metric', 'value', 'aliases', 'created'], versionRows, 'No versions yet.')}
      <h2>Audit timeline</h2>
      ${tableOrEmpty('audit', ['time', 'action', 'version', 'alias', 'reasons', 'comparison', 'by'], auditRows, 'Nothing audited yet.')}`,
    viewer,
  );
}
