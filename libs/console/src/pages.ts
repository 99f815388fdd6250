import { status as GrpcStatus } from '@grpc/grpc-js';
import { type ConsoleBackend, ServiceNotConfigured } from './backend';
import { type SafeHtml } from './html';
import { deploymentsView, errorView, modelsView, modelView, monitoringView, rolloutView, type Viewer } from './views';

export interface PageResult {
  status: number;
  body: SafeHtml;
  /** The service refused the token itself: the session is over. */
  signedOut?: boolean;
}

interface PageContext {
  backend: ConsoleBackend;
  token: string;
  viewer: Viewer;
}

type PageHandler = (context: PageContext, params: string[]) => Promise<PageResult>;

const ok = (body: SafeHtml): PageResult => ({ status: 200, body });
const PAGE = { pageSize: 200, pageToken: '' };

/** The console's pages by path pattern; each reads the services with the viewer's token. */
const ROUTES: ReadonlyArray<[RegExp, string, PageHandler]> = [
  [
    /^\/models$/,
    'Models',
    async ({ backend, token, viewer }) => ok(modelsView((await backend.registry(token).listModels({ page: PAGE })).models, viewer)),
  ],
  [
    /^\/models\/([^/]+)$/,
    'Model',
    async ({ backend, token, viewer }, [name]) => {
      const registry = backend.registry(token);
      const [model, versions, audit] = await Promise.all([
        registry.getModel({ name }),
        registry.listModelVersions({ modelName: name, page: PAGE }),
        registry.listAuditLog({ modelName: name, action: 0, page: PAGE }),
      ]);
      return ok(
        modelView(
          model.model ?? { name, description: '', tags: {}, ownerTeam: '', createTime: undefined, aliases: {}, latestVersion: 0 },
          versions.versions,
          audit.entries,
          viewer,
        ),
      );
    },
  ],
  [
    /^\/deployments$/,
    'Deployments',
    async ({ backend, token, viewer }) =>
      ok(deploymentsView((await backend.deployer(token).listDeployments({ page: PAGE })).deployments, viewer)),
  ],
  [
    /^\/deployments\/([^/]+)$/,
    'Deployment',
    async ({ backend, token, viewer }, [name]) =>
      ok(rolloutView(await backend.deployer(token).getRolloutStatus({ deployment: name }), name, viewer)),
  ],
  [
    /^\/monitoring\/([^/]+)$/,
    'Monitoring',
    async ({ backend, token, viewer }, [name]) => {
      try {
        return ok(monitoringView(name, (await backend.monitor(token).getDriftReport({ modelName: name, reportId: '' })).report, viewer));
      } catch (error) {
        if (grpcCode(error) === GrpcStatus.NOT_FOUND) return ok(monitoringView(name, undefined, viewer));
        throw error;
      }
    },
  ],
];

/** The page at `path` (already without its query), or undefined when there is none. */
export async function renderPage(path: string, context: PageContext): Promise<PageResult | undefined> {
  for (const [pattern, title, handler] of ROUTES) {
    const match = pattern.exec(path);
    if (!match) continue;
    let params: string[];
    try {
      params = match.slice(1).map((p) => decodeURIComponent(p));
    } catch {
      return { status: 400, body: errorView(title, 'That address is not valid.', context.viewer) };
    }
    try {
      return await handler(context, params);
    } catch (error) {
      return failedPage(title, error, context.viewer);
    }
  }
  return undefined;
}

function grpcCode(error: unknown): number | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'number' ? code : undefined;
}

/** A service's refusal or failure as a page: its own message, with the HTTP status that fits. */
export function failedPage(title: string, error: unknown, viewer: Viewer): PageResult {
  if (error instanceof ServiceNotConfigured) return { status: 503, body: errorView(title, `${error.message}.`, viewer) };
  const code = grpcCode(error);
  const details = (error as { details?: unknown }).details;
  const said = typeof details === 'string' && details ? details : (error as Error).message;
  switch (code) {
    case GrpcStatus.PERMISSION_DENIED:
      return { status: 403, body: errorView(title, `Permission denied: ${said}`, viewer) };
    case GrpcStatus.NOT_FOUND:
      return { status: 404, body: errorView(title, `Not found: ${said}`, viewer) };
    case GrpcStatus.INVALID_ARGUMENT:
      return { status: 400, body: errorView(title, `Invalid request: ${said}`, viewer) };
    case GrpcStatus.UNAUTHENTICATED:
      return { status: 401, body: errorView(title, `Your token is no longer accepted: ${said}`, viewer), signedOut: true };
    case GrpcStatus.UNAVAILABLE:
      return { status: 503, body: errorView(title, `The service is unavailable: ${said}`, viewer) };
    case GrpcStatus.DEADLINE_EXCEEDED:
      return { status: 504, body: errorView(title, `The service did not answer in time: ${said}`, viewer) };
    default:
      return { status: 502, body: errorView(title, `The service failed: ${said}`, viewer) };
  }
}
