import { type commonV1 } from '@flywheel/contracts';
import { invalidArgument } from '@flywheel/platform';

const DEFAULT_PAGE_SIZE = 50;
const MAX_PAGE_SIZE = 1000;

export interface Page<C> {
  readonly size: number;
  /** Where the previous page stopped; undefined for the first page. */
  readonly after: C | undefined;
}

/** Reads a PageRequest whose token carries the last item's cursor (opaque to callers). */
export function readPage<C extends string | number>(page: commonV1.PageRequest | null | undefined, kind: 'string' | 'number'): Page<C> {
  const requested = page?.pageSize ?? 0;
  if (requested < 0) throw invalidArgument('page.page_size', 'must not be negative');
  const size = requested === 0 ? DEFAULT_PAGE_SIZE : Math.min(requested, MAX_PAGE_SIZE);
  const token = page?.pageToken ?? '';
  if (token === '') return { size, after: undefined };
  let after: unknown;
  try {
    after = (JSON.parse(Buffer.from(token, 'base64url').toString('utf8')) as { after?: unknown }).after;
  } catch {
    after = undefined;
  }
  if (typeof after !== kind) throw invalidArgument('page.page_token', 'is not a token this server issued');
  return { size, after: after as C };
}

/** The response's paging: a token when a full page came back (there may be more). */
export function nextPage<C extends string | number>(items: readonly unknown[], size: number, cursor: () => C): commonV1.PageResponse {
  if (items.length < size) return { nextPageToken: '' };
  return { nextPageToken: Buffer.from(JSON.stringify({ after: cursor() }), 'utf8').toString('base64url') };
}
