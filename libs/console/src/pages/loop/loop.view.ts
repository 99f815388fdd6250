import { formatTime } from '../../format';
import { html, type SafeHtml } from '../../html';
import { layout, tableOrEmpty, type Viewer } from '../../views/layout';
import { type LoopSource, type Stage, type StageSummary, type TimelineRow } from './loop-timeline';

const enc = encodeURIComponent;

// ---------------------------------------------------------------------------------------------
// The picture
//
// Drawn by hand in the `html` template rather than with an ECharts `graph`: each box holds four
// lines of different weight (stage, subject, latest event, time) plus a warning when its service
// failed, is a link to the stage's page, and is outlined by its state; ECharts would need a
// rich-text label per node and draws no links. Every text still goes through `html`, so what
// the services say is escaped like anywhere else on the page.

const BOX = { width: 240, height: 112 };
const GAP = 36;
const col = (i: number) => 20 + i * (BOX.width + GAP);
const ROW = [24, 24 + BOX.height + 70];
/** data in → features → training → registry on top; deployment and monitor below, so training → registry → deployment → monitor → training is a ring. */
const PLACE: Record<Stage, { x: number; y: number }> = {
  'data in': { x: col(0), y: ROW[0] },
  features: { x: col(1), y: ROW[0] },
  training: { x: col(2), y: ROW[0] },
  registry: { x: col(3), y: ROW[0] },
  deployment: { x: col(3), y: ROW[1] },
  monitor: { x: col(2), y: ROW[1] },
};
const WIDTH = col(4) - GAP + 20;
const HEIGHT = ROW[1] + BOX.height + 24;

/** Text cut to fit a box (the whole text is the box's tooltip and in the table below). */
function fit(text: string, max = 28): string {
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}

function box(s: StageSummary): SafeHtml {
  const { x, y } = PLACE[s.stage];
  const failed = s.notes.length > 0;
  const lines = html`<text x="${x + 12}" y="${y + 22}" font-weight="700" font-size="13" fill="#1b4f72">${s.stage.toUpperCase()}</text>
    <text x="${x + 12}" y="${y + 42}" font-size="13" font-weight="600">${fit(s.subject)}</text>
    <text x="${x + 12}" y="${y + 61}" font-size="12">${fit(s.line, 36)}</text>
    <text x="${x + 12}" y="${y + 79}" font-size="11" fill="#717d7e">${s.time ? formatTime(s.time) : 'no event yet'}</text>
    ${failed ? html`<text x="${x + 12}" y="${y + 99}" font-size="11" fill="#c0392b">⚠ ${fit(s.notes[0], 38)}</text>` : ''}`;
  const shape = html`<g class="stage" data-stage="${s.stage}">
    <title>${s.stage}: ${s.subject} — ${s.line}${s.notes.length ? ` (${s.notes.join('; ')})` : ''}</title>
    <rect
      x="${x}"
      y="${y}"
      width="${BOX.width}"
      height="${BOX.height}"
      rx="8"
      fill="${failed ? '#fdedec' : '#eaf2f8'}"
      stroke="${failed ? '#c0392b' : '#2e86c1'}"
      stroke-width="1.5"
    />
    ${lines}
  </g>`;
  return s.href ? html`<a href="${s.href}">${shape}</a>` : shape;
}

/** A straight arrow between two boxes' facing sides. */
function arrow(from: Stage, to: Stage, label?: string, loop = false): SafeHtml {
  const a = PLACE[from];
  const b = PLACE[to];
  let x1: number, y1: number, x2: number, y2: number;
  if (a.y === b.y) {
    const right = b.x > a.x;
    [x1, x2] = right ? [a.x + BOX.width, b.x] : [a.x, b.x + BOX.width];
    y1 = y2 = a.y + BOX.height / 2;
  } else {
    const down = b.y > a.y;
    x1 = x2 = a.x + BOX.width / 2;
    [y1, y2] = down ? [a.y + BOX.height, b.y] : [a.y, b.y + BOX.height];
  }
  const colour = loop ? '#c0392b' : '#1c2833';
  return html`<line
      x1="${x1}"
      y1="${y1}"
      x2="${x2 - Math.sign(x2 - x1) * 4}"
      y2="${y2 - Math.sign(y2 - y1) * 4}"
      stroke="${colour}"
      stroke-width="${loop ? 2 : 1.5}"
      ${loop ? html`stroke-dasharray="6 4"` : ''}
      marker-end="url(#${loop ? 'loop-head' : 'head'})"
    />
    ${label ? html`<text x="${x1 + 8}" y="${(y1 + y2) / 2 + 4}" font-size="12" fill="${colour}" font-weight="600">${label}</text>` : ''}`;
}

export function loopPicture(stages: readonly StageSummary[]): SafeHtml {
  return html`<svg
    xmlns="http://www.w3.org/2000/svg"
    width="${WIDTH}"
    height="${HEIGHT}"
    viewBox="0 0 ${WIDTH} ${HEIGHT}"
    role="img"
    aria-label="The closed loop"
    font-family="system-ui,sans-serif"
  >
    <defs>
      <marker id="head" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse">
        <path d="M0 0L10 5L0 10z" fill="#1c2833" />
      </marker>
      <marker id="loop-head" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse">
        <path d="M0 0L10 5L0 10z" fill="#c0392b" />
      </marker>
    </defs>
    ${arrow('data in', 'features')} ${arrow('features', 'training')} ${arrow('training', 'registry')} ${arrow('registry', 'deployment')}
    ${arrow('deployment', 'monitor')} ${arrow('monitor', 'training', 'drift → retraining', true)} ${stages.map(box)}
  </svg>`;
}

// ---------------------------------------------------------------------------------------------
// The page

function causeCell(row: TimelineRow): SafeHtml | string {
  if (row.causedBy.length === 0) return '-';
  return html`${row.causedBy.map(
    (c, i) =>
      html`${i ? html`<br />` : ''}${c.rowId ? html`<a href="#${c.rowId}">${c.text}</a>` : html`<span class="muted">${c.text}</span>`}`,
  )}`;
}

export function loopView(
  modelName: string,
  stages: readonly StageSummary[],
  timeline: readonly TimelineRow[],
  source: LoopSource,
  viewer: Viewer,
): SafeHtml {
  const stageRows = stages.map(
    (s) =>
      html`<tr>
        <td>${s.href ? html`<a href="${s.href}">${s.stage}</a>` : s.stage}</td>
        <td>${s.subject}</td>
        <td>${s.line}</td>
        <td>${s.time ? formatTime(s.time) : '-'}</td>
        <td>${s.notes.length ? html`<span class="refused">${s.notes.join('; ')}</span>` : ''}</td>
      </tr>`,
  );
  const rows = timeline.map(
    (r) =>
      html`<tr id="${r.id}">
        <td style="white-space:nowrap">${r.time ? formatTime(r.time) : '-'}</td>
        <td>${r.stage}</td>
        <td>${r.href ? html`<a href="${r.href}">${r.what}</a>` : r.what}</td>
        <td>${causeCell(r)}</td>
      </tr>`,
  );
  return layout(
    `Loop ${modelName}`,
    html`<h1>The loop of ${modelName}</h1>
      <p>
        <a href="/models/${enc(modelName)}">model</a> · <a href="/monitoring/${enc(modelName)}">monitoring</a>
        ${source.foundIn ? html` · data and features as named by ${source.foundIn}` : ''}
      </p>
      <figure id="loop-picture">${loopPicture(stages)}</figure>
      ${tableOrEmpty('stages', ['stage', 'what', 'latest event', 'when', 'note'], stageRows, '')}
      <h2>Timeline</h2>
      <p class="muted">
        Newest first, from each service's records (the newest 200 of each); consecutive dataset commits are folded into one row. Each
        deployment change is a row (the deployer keeps the newest of each deployment); a deployment whose changes could not be read shows
        where it stands now.
      </p>
      ${tableOrEmpty('timeline', ['time', 'stage', 'what happened', 'caused by'], rows, 'Nothing has happened yet.')}`,
    viewer,
  );
}
