import { type ConsoleBackend } from '../backend';
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
