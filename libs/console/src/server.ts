import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { type AddressInfo } from 'node:net';
import { status as GrpcStatus } from '@grpc/grpc-js';
import { type ConsoleBackend, grpcBackend, ServiceNotConfigured, type ServiceAddresses } from './backend';
import { html, type SafeHtml } from './html';
import { type Download, type PageResult } from './pages/page';
import { renderPage, submitForm } from './pages/router';
import {
  clearedSessionCookie,
  type CookieOptions,
  csrfMatches,
  parseCookies,
  type Session,
  SESSION_COOKIE,
  sessionCookie,
  SessionStore,
} from './sessions';
import { errorView, layout, loginView } from './views/layout';

export interface ConsoleOptions {
  /** 0 for any free port. */
  port: number;
  /** Default 127.0.0.1. */
  host?: string;
  /** Where each service's gRPC API is; a page of a service without one says so. */
  addresses: ServiceAddresses;
  /** Adds `Secure` to the session cookie, for a console behind an HTTPS proxy. */
  secureCookies?: boolean;
  /** A session unused this long is forgotten (default 8 hours). */
  sessionIdleMs?: number;
  /** PEM of the CA that signed the services' certificates; unset, the gRPC clients use plaintext. */
  tlsCaFile?: string;
  /** Instead of gRPC clients for `addresses` (tests). */
  backend?: ConsoleBackend;
}

export interface RunningConsole {
  url: string;
  close(): Promise<void>;
}

const MAX_FORM_BYTES = 16 * 1024;

const SECURITY_HEADERS: Record<string, string> = {
  'content-security-policy':
    "default-src 'none'; style-src 'unsafe-inline'; img-src 'self' data:; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
  // same-origin, not no-referrer: with no-referrer Chromium sends `Origin: null` on the console's own forms.
  'referrer-policy': 'same-origin',
  'cache-control': 'no-store',
};

/**
 * The web console: server-rendered pages that read the services over gRPC with the signed-in
 * team's token. It owns no data; its sessions live in memory and end with it.
 */
export async function startConsole(options: ConsoleOptions): Promise<RunningConsole> {
  const backend = options.backend ?? grpcBackend(options.addresses, { tlsCaFile: options.tlsCaFile });
  const sessions = new SessionStore({ idleMs: options.sessionIdleMs });
  const handler = consoleHandler(backend, sessions, { secure: options.secureCookies });
  const server = createServer((req, res) => {
    handler(req, res).catch((error: unknown) => {
      if (!res.headersSent) send(res, 500, layout('Error', html`<p class="error">The console failed: ${(error as Error).message}</p>`));
      else res.destroy();
    });
  });
  const host = options.host ?? '127.0.0.1';
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  const shownHost = host.includes(':') ? `[${host}]` : host === '0.0.0.0' ? '127.0.0.1' : host;
  return {
    url: `http://${shownHost}:${port}`,
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      if (!options.backend) backend.close();
    },
  };
}

function send(res: ServerResponse, status: number, body: SafeHtml, headers: Record<string, string | string[]> = {}): void {
  res.writeHead(status, { ...SECURITY_HEADERS, 'content-type': 'text/html; charset=utf-8', ...headers });
  res.end(body.value);
}

function redirect(res: ServerResponse, location: string, headers: Record<string, string | string[]> = {}): void {
  res.writeHead(303, { ...SECURITY_HEADERS, location, ...headers });
  res.end();
}

/** An `application/x-www-form-urlencoded` body, refused beyond 16 KiB. */
async function readForm(req: IncomingMessage): Promise<URLSearchParams | undefined> {
  const type = (req.headers['content-type'] ?? '').split(';')[0].trim().toLowerCase();
  if (type !== 'application/x-www-form-urlencoded') return undefined;
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_FORM_BYTES) return undefined;
    chunks.push(chunk);
  }
  return new URLSearchParams(Buffer.concat(chunks).toString('utf8'));
}

/** A POST from another site: its Origin (which browsers send on POST) names another host. */
function crossOrigin(req: IncomingMessage): boolean {
  const origin = req.headers.origin;
  if (!origin || origin === 'null') return origin === 'null';
  try {
    return new URL(origin).host !== req.headers.host;
  } catch {
    return true;
  }
}

/** The request handler, given the services and the sessions (exported for tests). */
export function consoleHandler(
  backend: ConsoleBackend,
  sessions: SessionStore,
  cookieOptions: CookieOptions = {},
): (req: IncomingMessage, res: ServerResponse) => Promise<void> {
  const sessionOf = (req: IncomingMessage): Session | undefined => sessions.get(parseCookies(req.headers.cookie)[SESSION_COOKIE]);

  async function login(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const form = await readForm(req);
    const token = form?.get('token')?.trim() ?? '';
    if (!token) return send(res, 400, loginView('Enter a team token.'));
    try {
      // Any read proves the token: the registry's list of models is one every role may read.
      await backend.registry(token).listModels({ page: { pageSize: 1, pageToken: '' } });
    } catch (error) {
      const code = (error as { code?: unknown }).code;
      if (code === GrpcStatus.UNAUTHENTICATED) {
        backend.forget(token);
        return send(res, 401, loginView('That token was not accepted. Check it and try again.'));
      }
      // A token the registry knows but whose role may not list models still signs in.
      if (code !== GrpcStatus.PERMISSION_DENIED) {
        backend.forget(token);
        const reason =
          error instanceof ServiceNotConfigured ? error.message : `the registry could not check it (${(error as Error).message})`;
        return send(res, 503, loginView(`Cannot sign in now: ${reason}.`));
      }
    }
    const session = sessions.create(token);
    redirect(res, '/models', { 'set-cookie': sessionCookie(session.id, cookieOptions) });
  }

  return async (req, res) => {
    const url = new URL(req.url ?? '/', 'http://console');
    const path = url.pathname.length > 1 ? url.pathname.replace(/\/+$/, '') : url.pathname;
    const method = req.method ?? 'GET';

    if (method === 'POST' && crossOrigin(req))
      return send(res, 403, layout('Refused', html`<p class="error">Cross-site request refused.</p>`));

    if (path === '/login') {
      if (method === 'GET') return send(res, 200, loginView());
      if (method === 'POST') return login(req, res);
      return send(res, 405, loginView(), { allow: 'GET, POST' });
    }
    if (path === '/healthz' && method === 'GET') {
      res.writeHead(200, { 'content-type': 'text/plain' });
      return void res.end('ok');
    }

    const session = sessionOf(req);
    if (!session) return redirect(res, '/login', { 'set-cookie': clearedSessionCookie(cookieOptions) });
    const viewer = { csrfToken: session.csrfToken };
    const context = { backend, token: session.token, viewer, query: url.searchParams };

    if (method === 'POST') {
      const form = await readForm(req);
      if (!csrfMatches(session, form?.get('csrf') ?? undefined))
        return send(
          res,
          403,
          errorView('Refused', 'This form has expired or did not come from the console. Reload the page and try again.', viewer),
        );
      if (path === '/logout') {
        sessions.delete(session.id);
        if (!sessions.hasToken(session.token)) backend.forget(session.token);
        return redirect(res, '/login', { 'set-cookie': clearedSessionCookie(cookieOptions) });
      }
      const outcome = await submitForm(path, context, form!);
      if (!outcome) return send(res, 404, errorView('Not found', 'There is no such form.', viewer));
      if ('redirect' in outcome) return redirect(res, outcome.redirect);
      return answer(res, session, outcome);
    }
    if (method !== 'GET' && method !== 'HEAD') return send(res, 405, errorView('Not allowed', `${method} is not allowed here.`, viewer));

    if (path === '/') return redirect(res, '/models');
    const page = await renderPage(path, context);
    if (!page) return send(res, 404, errorView('Not found', 'There is no such page.', viewer));
    answer(res, session, page);
  };

  function answer(res: ServerResponse, session: Session, page: PageResult): void {
    const headers: Record<string, string> = {};
    if (page.signedOut) {
      sessions.delete(session.id);
      headers['set-cookie'] = clearedSessionCookie(cookieOptions);
    }
    if (page.download) return sendDownload(res, page.download);
    send(res, page.status, page.body ?? html``, headers);
  }
}

/** A file as an attachment, never rendered by the browser as a page of the console's origin. */
function sendDownload(res: ServerResponse, file: Download): void {
  const safeName = file.name.replace(/[^A-Za-z0-9._-]/g, '_').slice(0, 120) || 'download';
  res.writeHead(200, {
    ...SECURITY_HEADERS,
    'content-type': file.contentType,
    'content-length': String(file.bytes.length),
    'content-disposition': `attachment; filename="${safeName}"`,
  });
  res.end(file.bytes);
}
