import { status as GrpcStatus } from '@grpc/grpc-js';
import { errorView, type Viewer } from '../views/layout';
import { describeFailure, type FormAction, grpcCode, type PageContext, type PageResult, type PageRoute, type Redirect } from './page';
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
  const { text, httpStatus } = describeFailure(error);
  return { status: httpStatus, body: errorView(title, text, viewer), signedOut: grpcCode(error) === GrpcStatus.UNAUTHENTICATED };
}
