import { status as GrpcStatus } from '@grpc/grpc-js';
import { type ConsoleBackend, ServiceNotConfigured } from '../backend';
import { type SafeHtml } from '../html';
import { type Viewer } from '../views/layout';

/** A file a page hands over instead of HTML (a run's artifact). */
export interface Download {
  name: string;
  contentType: string;
  bytes: Buffer;
}

export interface PageResult {
  status: number;
  body?: SafeHtml;
  download?: Download;
  /** The service refused the token itself: the session is over. */
  signedOut?: boolean;
}

/** Where the browser goes after a form did what it asked. */
export interface Redirect {
  redirect: string;
}

export interface PageContext {
  backend: ConsoleBackend;
  token: string;
  viewer: Viewer;
  /** The address's query (sort order, filters, what to compare). */
  query: URLSearchParams;
}

/** A page: its path pattern (captures are its parameters, URL-decoded) and how it renders. */
export interface PageRoute {
  pattern: RegExp;
  title: string;
  render(context: PageContext, params: string[]): Promise<PageResult>;
}

/**
 * A form the console accepts (POST, CSRF-checked before it gets here). It changes something only
 * through a service's write call, which checks the token's role itself.
 */
export interface FormAction {
  pattern: RegExp;
  title: string;
  submit(context: PageContext, params: string[], form: URLSearchParams): Promise<Redirect | PageResult>;
}

export const ok = (body: SafeHtml): PageResult => ({ status: 200, body });

/** One page of a list call: the pages show the newest 200. */
export const PAGE = { pageSize: 200, pageToken: '' };

export function grpcCode(error: unknown): number | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'number' ? code : undefined;
}

/** What a service said when it refused or failed a call (its status details), else the error's message. */
export function serviceMessage(error: unknown): string {
  const details = (error as { details?: unknown } | null)?.details;
  if (typeof details === 'string' && details) return details;
  return error instanceof Error ? error.message : String(error);
}

/** How the console tells a refusal or failure, by gRPC status: the words and the page's HTTP status. */
const FAILURES: Partial<Record<number, { words: string; httpStatus: number }>> = {
  [GrpcStatus.PERMISSION_DENIED]: { words: 'Permission denied', httpStatus: 403 },
  [GrpcStatus.NOT_FOUND]: { words: 'Not found', httpStatus: 404 },
  [GrpcStatus.INVALID_ARGUMENT]: { words: 'Invalid request', httpStatus: 400 },
  [GrpcStatus.FAILED_PRECONDITION]: { words: 'Not possible now', httpStatus: 409 },
  [GrpcStatus.UNAUTHENTICATED]: { words: 'Your token is no longer accepted', httpStatus: 401 },
  [GrpcStatus.UNAVAILABLE]: { words: 'The service is unavailable', httpStatus: 503 },
  [GrpcStatus.DEADLINE_EXCEEDED]: { words: 'The service did not answer in time', httpStatus: 504 },
};

/** A refusal or failure in words (`Permission denied: team "x" may not …`) and the HTTP status a page of it gets. */
export function describeFailure(error: unknown): { text: string; httpStatus: number } {
  if (error instanceof ServiceNotConfigured) return { text: `${error.message}.`, httpStatus: 503 };
  const known = FAILURES[grpcCode(error) ?? -1] ?? { words: 'The service failed', httpStatus: 502 };
  return { text: `${known.words}: ${serviceMessage(error)}`, httpStatus: known.httpStatus };
}

/** A part of a page read on its own: its value, or why it is not shown. */
export type Part<T> = { value: T } | { note: string };

/**
 * Reads one part of a page: a refusal or failure becomes a note in that part, so a role a service
 * refuses one read still sees the rest of the page. A token no longer accepted still ends the
 * session: UNAUTHENTICATED is thrown on to the router, as is any status in `failsThePage`.
 */
export async function readPart<T>(read: () => Promise<T>, failsThePage: readonly GrpcStatus[] = []): Promise<Part<T>> {
  try {
    return { value: await read() };
  } catch (error) {
    const code = grpcCode(error);
    if (code === GrpcStatus.UNAUTHENTICATED || failsThePage.includes(code as GrpcStatus)) throw error;
    return { note: describeFailure(error).text };
  }
}
