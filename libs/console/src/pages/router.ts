import { status as GrpcStatus } from '@grpc/grpc-js';
import { ServiceNotConfigured } from '../backend';
import { errorView, type Viewer } from '../views/layout';
import { type FormAction, grpcCode, type PageContext, type PageResult, type PageRoute, type Redirect } from './page';
import { CONSOLE_ACTIONS, CONSOLE_PAGES } from './routes';

type Matched<T> = { route: T; params: string[] } | { invalid: PageResult } | undefined;

function match<T extends { pattern: RegExp; title: string }>(routes: readonly T[], path: string, viewer: Viewer): Matched<T> {
  for (const route of routes) {
    const found = route.pattern.exec(path);
    if (!found) continue;
    try {
      return { route, params: found.slice(1).map((p) => decodeURIComponent(p)) };
    } catch {
      return { invalid: { status: 400, body: errorView(route.title, 'That address is not valid.', viewer) } };
    }
  }
  return undefined;
}

/** The page at `path` (already without its query), or undefined when there is none. */
export async function renderPage(
  path: string,
  context: PageContext,
  pages: readonly PageRoute[] = CONSOLE_PAGES,
): Promise<PageResult | undefined> {
  const found = match(pages, path, context.viewer);
  if (!found || 'invalid' in found) return found?.invalid;
  try {
    return await found.route.render(context, found.params);
  } catch (error) {
    return failedPage(found.route.title, error, context.viewer);
  }
}

/** What a form posted to `path` leads to, or undefined when there is no such form. */
export async function submitForm(
  path: string,
  context: PageContext,
  form: URLSearchParams,
  actions: readonly FormAction[] = CONSOLE_ACTIONS,
): Promise<Redirect | PageResult | undefined> {
  const found = match(actions, path, context.viewer);
  if (!found || 'invalid' in found) return found?.invalid;
  try {
    return await found.route.submit(context, found.params, form);
  } catch (error) {
    return failedPage(found.route.title, error, context.viewer);
  }
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
    case GrpcStatus.FAILED_PRECONDITION:
      return { status: 409, body: errorView(title, `Not possible now: ${said}`, viewer) };
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
