import { commonV1 } from '@flywheel/contracts';
import { formatNumber, formatPercent, formatTime } from '../../format';
import { html, raw, type SafeHtml } from '../../html';
import { tableOrEmpty } from '../../views/layout';
import { categoriesChart, histogramChart } from './datasets.charts';
import { columnTypeLabel, formatDurationMs } from './datasets.format';

/** Beyond this many columns a page of small charts grows too heavy to render and read. */
export const MAX_PROFILED_COLUMNS = 60;
const TOP_CATEGORIES_CHARTED = 8;
const TOP_CATEGORIES_LISTED = 3;
const CATEGORY_LABEL_CHARS = 12;

/** How one column's values read: timestamps are profiled as epoch milliseconds. */
interface ValueFormat {
  value(v: number): string;
  spread(v: number): string;
  binEdge(v: number): string;
}

const NUMBER_FORMAT: ValueFormat = {
  value: (v) => formatNumber(v),
  spread: (v) => formatNumber(v),
  binEdge: (v) => formatNumber(v, 3),
};

const TIME_FORMAT: ValueFormat = {
  value: (v) => formatTime(new Date(v)),
  spread: formatDurationMs,
  binEdge: (v) => formatTime(new Date(v)).slice(0, 10),
};

const formatOf = (type: commonV1.ColumnType): ValueFormat =>
  type === commonV1.ColumnType.COLUMN_TYPE_TIMESTAMP ? TIME_FORMAT : NUMBER_FORMAT;

/** Rows with no value among all rows profiled, as a percentage. */
export function missingShare(column: commonV1.ColumnProfile): string {
  const total = column.count + column.nullCount;
  return total > 0 ? formatPercent(column.nullCount / total) : '-';
}

const truncate = (text: string, chars: number) => (text.length > chars ? `${text.slice(0, chars - 1)}…` : text);

function numericSummary(summary: commonV1.NumericSummary, format: ValueFormat): SafeHtml {
  return html`mean ${format.value(summary.mean)} · std ${format.spread(summary.std)}<br />min ${format.value(summary.min)} · max
    ${format.value(summary.max)}`;
}

function categoricalSummary(summary: commonV1.CategoricalSummary): SafeHtml {
  const top = summary.topValues.slice(0, TOP_CATEGORIES_LISTED).map((c) => `${c.value} (${c.count})`);
  return html`${summary.distinctCount}
  distinct${top.length ? html`<br />top: ${top.join(', ')}` : ''}${summary.otherCount ? html`<br />others: ${summary.otherCount}` : ''}`;
}

function histogram(summary: commonV1.NumericSummary, format: ValueFormat): SafeHtml | string {
  const counts = summary.histogramCounts;
  if (!counts.length) return '';
  const labels = counts.map((_, i) => (i < summary.histogramEdges.length ? format.binEdge(summary.histogramEdges[i]) : ''));
  return html`<figure class="histogram">${raw(histogramChart(labels, counts))}</figure>`;
}

function topCategories(summary: commonV1.CategoricalSummary): SafeHtml | string {
  const top = summary.topValues.slice(0, TOP_CATEGORIES_CHARTED);
  if (!top.length) return '';
  const chart = categoriesChart(top.map((c) => ({ label: truncate(c.value, CATEGORY_LABEL_CHARS), count: c.count })));
  return html`<figure class="categories">${raw(chart)}</figure>`;
}

function profileRow(column: commonV1.ColumnProfile): SafeHtml {
  const format = formatOf(column.type);
  const { numeric, categorical } = column;
  return html`<tr>
    <td>${column.name}</td>
    <td>${columnTypeLabel(column.type)}</td>
    <td class="num">${column.count}</td>
    <td class="num">${missingShare(column)} <span class="muted">(${column.nullCount})</span></td>
    <td>${numeric ? numericSummary(numeric, format) : categorical ? categoricalSummary(categorical) : '-'}</td>
    <td>${numeric ? histogram(numeric, format) : categorical ? topCategories(categorical) : ''}</td>
  </tr>`;
}

/** Each column's profile with a small chart of its distribution, for the first columns of a wide table. */
export function columnProfilesView(profile: commonV1.DataProfile | undefined, empty: string): SafeHtml {
  const columns = profile?.columns ?? [];
  const shown = columns.slice(0, MAX_PROFILED_COLUMNS);
  const leftOut = columns.length - shown.length;
  return html`${tableOrEmpty('profiles', ['column', 'type', 'values', 'missing', 'summary', 'distribution'], shown.map(profileRow), empty)}
  ${
    leftOut > 0
      ? html`<p class="muted" id="profiles-left-out">
          ${leftOut} more ${leftOut === 1 ? 'column is' : 'columns are'} not profiled here (only the first ${MAX_PROFILED_COLUMNS}).
        </p>`
      : ''
  }`;
}
