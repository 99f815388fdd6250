import { type commonV1 } from '@flywheel/contracts';
import { invalidArgument } from '@flywheel/platform';

const DEFAULT_PAGE_SIZE = 50;
const MAX_PAGE_SIZE = 1000;

export interface Page {
  readonly offset: number;
  readonly limit: number;
}

/** Reads a PageRequest; the token is opaque to callers (an offset, base64url-encoded). */
export function readPage(page: commonV1.PageRequest | null | undefined, field = 'page'): Page {
  const size = page?.pageSize ?? 0;
  if (!Number.isInteger(size) || size < 0) throw invalidArgument(`${field}.page_size`, 'must be 0 or positive');
  const limit = size === 0 ? DEFAULT_PAGE_SIZE : Math.min(size, MAX_PAGE_SIZE);
  const token = page?.pageToken ?? '';
  if (token === '') return { offset: 0, limit };
  const offset = Number(Buffer.from(token, 'base64url').toString('utf8').replace(/^o:/, ''));
  if (!Number.isSafeInteger(offset) || offset < 0) throw invalidArgument(`${field}.page_token`, 'is not a token this server issued');
  return { offset, limit };
}

/** Fetch one item more than the page holds to know whether another page follows. */
export function pageResponse<T>(items: readonly T[], page: Page): { items: T[]; page: commonV1.PageResponse } {
  const more = items.length > page.limit;
  return {
    items: items.slice(0, page.limit),
    page: { nextPageToken: more ? Buffer.from(`o:${page.offset + page.limit}`, 'utf8').toString('base64url') : '' },
  };
}
