import { durationToMillis, type featureStoreV1, ingestionV1 } from '@flywheel/contracts';
import { enumLabel, formatBytes, formatNumber, formatTime } from '../../format';
import { html, raw, type SafeHtml } from '../../html';
import { layout, tableOrEmpty, type Viewer } from '../../views/layout';
import { type Part } from '../page';
import { columnProfilesView } from './column-profiles.view';
import { versionsChart } from './datasets.charts';
import { columnTypeLabel, formatDurationMs, formatRange, shortHash } from './datasets.format';

/** The contract's own defaults for a limit left at 0 (see ingestion.proto). */
const DEFAULT_MAX_RECORD_BYTES = 1024 * 1024;
const DEFAULT_MAX_VALUE_BYTES = 64 * 1024;
const DEFAULT_COMMIT_ROWS = 10_000;
const DEFAULT_COMMIT_INTERVAL_MS = 60_000;
const MAX_ALLOWED_VALUES_SHOWN = 20;
const MAX_FEATURES_SHOWN = 12;
const RAW_RECORD_CHARS = 300;

export interface VersionsSection {
  versions: ingestionV1.DatasetVersion[];
  /** More (older) versions exist than were listed. */
  more: boolean;
}

export interface QuarantineSection {
  records: ingestionV1.QuarantinedRecord[];
  nextPageToken: string;
}

/** Which quarantine records the page lists (ListQuarantineRequest's filter and paging). */
export interface QuarantineQuery {
  includeReplayed: boolean;
  pageToken: string;
}

export interface DatasetPageData {
  dataset: ingestionV1.Dataset;
  versions: Part<VersionsSection>;
  quarantine: Part<QuarantineSection>;
  quarantineQuery: QuarantineQuery;
  featureViews: Part<featureStoreV1.FeatureView[]>;
}

const datasetHref = (name: string) => `/datasets/${encodeURIComponent(name)}`;
const versionHref = (name: string, version: number) => `${datasetHref(name)}/versions/${version}`;

function section<T>(part: Part<T>, render: (value: T) => SafeHtml): SafeHtml {
  return 'note' in part ? html`<p class="muted note">Not shown: ${part.note}</p>` : render(part.value);
}

export function datasetsView(
  datasets: readonly ingestionV1.Dataset[],
  totalRows: ReadonlyMap<string, number>,
  unregistered: readonly ingestionV1.UnregisteredTopic[],
  viewer: Viewer,
): SafeHtml {
  const rows = datasets.map(
    (d) =>
      html`<tr>
        <td><a href="${datasetHref(d.name)}">${d.name}</a></td>
        <td>${d.ownerTeam || '-'}</td>
        <td class="num">${d.contract?.columns.length ?? 0}</td>
        <td class="num">${d.latestVersion ? `v${d.latestVersion}` : '-'}</td>
        <td class="num">${totalRows.get(d.name) ?? (d.latestVersion ? '-' : 0)}</td>
        <td><code>${d.ingestTopic}</code></td>
        <td>${formatTime(d.createTime)}</td>
      </tr>`,
  );
  return layout(
    'Datasets',
    html`<h1>Datasets</h1>
      ${tableOrEmpty(
        'datasets',
        ['name', 'owner', 'columns', 'latest version', 'rows in total', 'ingest topic', 'created'],
        rows,
        'No datasets yet.',
      )}
      ${unregistered.length ? unregisteredTopics(unregistered) : ''}`,
    viewer,
  );
}

function unregisteredTopics(topics: readonly ingestionV1.UnregisteredTopic[]): SafeHtml {
  const rows = topics.map(
    (t) =>
      html`<tr>
        <td><code>${t.topic}</code></td>
        <td class="num">${t.deadLettered}</td>
        <td>${formatTime(t.firstSeen)}</td>
        <td>${formatTime(t.lastSeen)}</td>
      </tr>`,
  );
  return html`<h2>Topics with no dataset</h2>
    <p class="muted">Records arrive on these topics while no dataset of that name is registered; they go to the dead-letter topic.</p>
    ${tableOrEmpty('unregistered-topics', ['topic', 'dead-lettered', 'first seen', 'last seen'], rows, '')}`;
}

function constraints(column: ingestionV1.ColumnSpec): string {
  const parts: string[] = [];
  if (column.min !== undefined && column.max !== undefined) parts.push(`${formatNumber(column.min)} ≤ value ≤ ${formatNumber(column.max)}`);
  else if (column.min !== undefined) parts.push(`≥ ${formatNumber(column.min)}`);
  else if (column.max !== undefined) parts.push(`≤ ${formatNumber(column.max)}`);
  const allowed = column.allowedValues ?? [];
  if (allowed.length) {
    const more = allowed.length > MAX_ALLOWED_VALUES_SHOWN ? ` … (${allowed.length} in all)` : '';
    parts.push(`one of ${allowed.slice(0, MAX_ALLOWED_VALUES_SHOWN).join(', ')}${more}`);
  }
  return parts.join('; ') || '-';
}

function contractView(contract: ingestionV1.DataContract | undefined, policy: ingestionV1.CommitPolicy | undefined): SafeHtml {
  const columns = contract?.columns ?? [];
  const rows = columns.map(
    (c) =>
      html`<tr>
        <td>${c.name}</td>
        <td>${columnTypeLabel(c.type)}</td>
        <td>${c.required ? 'no' : 'yes'}</td>
        <td>${constraints(c)}</td>
        <td>${c.description || ''}</td>
      </tr>`,
  );
  const uniqueKey = contract?.uniqueKey.length ? contract.uniqueKey.join(', ') : 'none (records are not deduplicated)';
  const recordBytes = contract?.maxRecordBytes || DEFAULT_MAX_RECORD_BYTES;
  const valueBytes = contract?.maxValueBytes || DEFAULT_MAX_VALUE_BYTES;
  const commitRows = policy?.maxRows || DEFAULT_COMMIT_ROWS;
  const commitEvery = durationToMillis(policy?.maxInterval, DEFAULT_COMMIT_INTERVAL_MS);
  return html`<h2>Contract</h2>
    ${tableOrEmpty('contract', ['column', 'type', 'nullable', 'constraints', 'description'], rows, 'The contract lists no columns.')}
    <ul id="contract-rules">
      <li>Unique key: ${uniqueKey}</li>
      <li>Event time: ${contract?.eventTimeColumn || 'none'}</li>
      <li>Size limits: a record up to ${formatBytes(recordBytes)}, a string value up to ${formatBytes(valueBytes)}</li>
      <li>Commits a version every ${commitRows} records or ${formatDurationMs(commitEvery)}, whichever comes first</li>
    </ul>`;
}

function versionRow(name: string, v: ingestionV1.DatasetVersion): SafeHtml {
  return html`<tr>
    <td class="num"><a href="${versionHref(name, v.version)}">v${v.version}</a></td>
    <td class="num">${v.rowCount}</td>
    <td class="num">${v.cumulativeRowCount}</td>
    <td class="num">${v.quarantinedCount}</td>
    <td>${formatRange(v.eventTimeRange)}</td>
    <td>${formatTime(v.commitTime)}</td>
    <td>${triggerLabel(v.trigger)}</td>
    <td><code title="${v.object?.key ?? ''}">${shortHash(v.object?.sha256 ?? '')}</code></td>
  </tr>`;
}

const triggerLabel = (trigger: ingestionV1.CommitTrigger) => enumLabel(ingestionV1.CommitTrigger, trigger, 'COMMIT_TRIGGER');

function versionsChartFigure(versions: readonly ingestionV1.DatasetVersion[]): SafeHtml | string {
  const points = versions
    .filter((v) => v.commitTime)
    .map((v) => ({ commitTimeMs: new Date(v.commitTime!).getTime(), rows: v.rowCount, quarantined: v.quarantinedCount }))
    .sort((a, b) => a.commitTimeMs - b.commitTimeMs);
  return points.length ? html`<figure id="versions-chart">${raw(versionsChart(points))}</figure>` : '';
}

function versionsView(name: string, { versions, more }: VersionsSection): SafeHtml {
  return html`${versionsChartFigure(versions)}
  ${tableOrEmpty(
    'versions',
    ['version', 'rows', 'cumulative rows', 'quarantined', 'event time', 'committed', 'trigger', 'sha256'],
    versions.map((v) => versionRow(name, v)),
    'No versions committed yet.',
  )}
  ${more ? html`<p class="muted">Only the newest ${versions.length} versions are listed.</p>` : ''}`;
}

function latestProfileView(name: string, { versions }: VersionsSection): SafeHtml | string {
  const latest = versions[0];
  if (!latest) return '';
  return html`<h2>Column profiles of <a href="${versionHref(name, latest.version)}">v${latest.version}</a> (latest)</h2>
    ${columnProfilesView(latest.profile, 'This version has no profile.')}`;
}

function violationItem(v: ingestionV1.Violation): SafeHtml {
  return html`<li>
    <strong>${v.field || 'whole record'}</strong>:
    ${enumLabel(ingestionV1.ViolationCode, v.code, 'VIOLATION_CODE')}${v.message ? html` — ${v.message}` : ''}
  </li>`;
}

function replayText(r: ingestionV1.QuarantinedRecord): string {
  if (!r.replayTime && !r.replayOutcome) return 'waiting';
  return `${enumLabel(ingestionV1.ReplayOutcome, r.replayOutcome, 'REPLAY_OUTCOME')} ${formatTime(r.replayTime)}`;
}

function quarantineRow(r: ingestionV1.QuarantinedRecord): SafeHtml {
  const cut = r.raw.length > RAW_RECORD_CHARS || r.rawTruncated;
  return html`<tr>
    <td>${formatTime(r.quarantineTime)}</td>
    <td>
      <ul>
        ${r.violations.map(violationItem)}
      </ul>
    </td>
    <td><code>${r.raw.slice(0, RAW_RECORD_CHARS)}${cut ? '…' : ''}</code> <span class="muted">(${formatBytes(r.rawSizeBytes)})</span></td>
    <td><code>${r.origin}</code></td>
    <td>${replayText(r)}</td>
  </tr>`;
}

function quarantineHref(name: string, query: QuarantineQuery): string {
  const params = new URLSearchParams();
  if (query.includeReplayed) params.set('replayed', '1');
  if (query.pageToken) params.set('quarantine-page', query.pageToken);
  const search = params.toString();
  return `${datasetHref(name)}${search ? `?${search}` : ''}#quarantine`;
}

function quarantineView(name: string, { records, nextPageToken }: QuarantineSection, query: QuarantineQuery): SafeHtml {
  const toggle = query.includeReplayed
    ? html`Listing waiting and replayed records ·
        <a href="${quarantineHref(name, { includeReplayed: false, pageToken: '' })}">waiting only</a>`
    : html`Listing records waiting for replay ·
        <a href="${quarantineHref(name, { includeReplayed: true, pageToken: '' })}">include replayed</a>`;
  return html`<p>${toggle}${query.pageToken ? html` · <a href="${quarantineHref(name, { ...query, pageToken: '' })}">newest</a>` : ''}</p>
    ${tableOrEmpty('quarantine', ['quarantined', 'reasons', 'record', 'origin', 'replay'], records.map(quarantineRow), 'Nothing in quarantine.')}
    ${nextPageToken ? html`<p><a id="quarantine-older" href="${quarantineHref(name, { ...query, pageToken: nextPageToken })}">Older records</a></p>` : ''}`;
}

function featureViewsView(views: readonly featureStoreV1.FeatureView[]): SafeHtml {
  const rows = views.map((v) => {
    const names = v.features.map((f) => f.name);
    const more = names.length > MAX_FEATURES_SHOWN ? ` … (${names.length} in all)` : '';
    return html`<tr>
      <td>${v.name}</td>
      <td class="num">${v.revision}</td>
      <td>${v.entityKey}</td>
      <td>${names.slice(0, MAX_FEATURES_SHOWN).join(', ')}${more}</td>
      <td class="num">${v.materialisedDatasetVersion ? `v${v.materialisedDatasetVersion}` : '-'}</td>
      <td>${formatTime(v.applyTime)}</td>
    </tr>`;
  });
  return tableOrEmpty(
    'feature-views',
    ['name', 'revision', 'entity key', 'features', 'materialised up to', 'applied'],
    rows,
    'No feature view reads this dataset.',
  );
}

export function datasetView(data: DatasetPageData, viewer: Viewer): SafeHtml {
  const d = data.dataset;
  return layout(
    `Dataset ${d.name}`,
    html`<h1>Dataset ${d.name}</h1>
      <p>${d.description || ''}</p>
      <p>
        Owner: ${d.ownerTeam || '-'} · created ${formatTime(d.createTime)} · latest version:
        ${d.latestVersion ? `v${d.latestVersion}` : 'none'} · ingest topic <code>${d.ingestTopic}</code>
      </p>
      ${contractView(d.contract, d.commitPolicy)}
      <h2>Versions</h2>
      ${section(data.versions, (versions) => versionsView(d.name, versions))}
      ${'value' in data.versions ? latestProfileView(d.name, data.versions.value) : ''}
      <h2 id="quarantine">Quarantine</h2>
      ${section(data.quarantine, (quarantine) => quarantineView(d.name, quarantine, data.quarantineQuery))}
      <h2>Feature views reading it</h2>
      ${section(data.featureViews, featureViewsView)}`,
    viewer,
  );
}

function versionDetails(v: ingestionV1.DatasetVersion): Array<[label: string, value: string | SafeHtml]> {
  const object = v.object;
  return [
    ['rows', String(v.rowCount)],
    ['cumulative rows', String(v.cumulativeRowCount)],
    ['quarantined since the previous version', String(v.quarantinedCount)],
    ['event time', formatRange(v.eventTimeRange)],
    ['committed', `${formatTime(v.commitTime)} (${triggerLabel(v.trigger)})`],
    ['object', html`<code>${object?.key || '-'}</code>`],
    ['sha256', html`<code>${object?.sha256 || '-'}</code>`],
    ['size', object ? `${formatBytes(object.sizeBytes)} (${object.contentType || 'unknown type'})` : '-'],
  ];
}

export function versionView(name: string, v: ingestionV1.DatasetVersion, viewer: Viewer): SafeHtml {
  const title = `Dataset ${name} v${v.version}`;
  return layout(
    title,
    html`<h1><a href="${datasetHref(name)}">Dataset ${name}</a> v${v.version}</h1>
      <table id="version">
        <tbody>
          ${versionDetails(v).map(
            ([label, value]) =>
              html`<tr>
                <th>${label}</th>
                <td>${value}</td>
              </tr>`,
          )}
        </tbody>
      </table>
      <h2>Column profiles</h2>
      ${columnProfilesView(v.profile, 'This version has no profile.')}`,
    viewer,
  );
}
