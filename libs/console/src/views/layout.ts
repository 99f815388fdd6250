import { html, raw, type SafeHtml } from '../html';

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
th{background:#eaf2f8}th a{color:inherit}td.num{text-align:right;font-variant-numeric:tabular-nums}
.error{background:#fdedec;border:1px solid #c0392b;padding:.6rem 1rem;border-radius:4px}
.notice{background:#eafaf1;border:1px solid #1e8449;padding:.6rem 1rem;border-radius:4px}
.muted{color:#717d7e}.tag{background:#eaf2f8;border-radius:3px;padding:0 .3rem;margin-right:.2rem}
.refused{color:#c0392b;font-weight:600}.promoted{color:#1e8449;font-weight:600}
figure{margin:0 0 1.5rem}#audit td:first-child{white-space:nowrap}td ul{margin:0;padding-left:1rem}`;

/** The sections every signed-in page links to. */
const NAVIGATION: ReadonlyArray<[href: string, label: string]> = [
  ['/loop', 'Loop'],
  ['/datasets', 'Datasets'],
  ['/runs', 'Runs'],
  ['/models', 'Models'],
  ['/deployments', 'Deployments'],
  ['/monitoring', 'Monitoring'],
];

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
              ? html`${NAVIGATION.map(([href, label]) => html`<a href="${href}">${label}</a>`)}
                  <form method="post" action="/logout">${csrfField(viewer)}<button type="submit">Sign out</button></form>`
              : ''
          }
        </header>
        <main>${body}</main>
      </body>
    </html> `;
}

/** The hidden field every form of the console carries (checked against the session). */
export function csrfField(viewer: Viewer): SafeHtml {
  return html`<input type="hidden" name="csrf" value="${viewer.csrfToken}" />`;
}

/**
 * A table with a header row, or the sentence that says there is nothing to list. `headers` may
 * hold markup (a sort link) as well as text.
 */
export function tableOrEmpty(id: string, headers: ReadonlyArray<string | SafeHtml>, rows: readonly SafeHtml[], empty: string): SafeHtml {
  if (rows.length === 0) return html`<p class="muted">${empty}</p>`;
  return html`<table id="${id}">
    <thead>
      <tr>
        ${headers.map((h) => html`<th>${h}</th>`)}
      </tr>
    </thead>
    <tbody>
      ${rows}
    </tbody>
  </table>`;
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
