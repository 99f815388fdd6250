import { type commonV1 } from '@flywheel/contracts';
import { invalidArgument } from '@flywheel/platform';

const DEFAULT_PAGE_SIZE = 50;
const MAX_PAGE_SIZE = 1000;

export interface Page<Cursor> {
  readonly size: number;
  /** Where the previous page stopped; undefined for the first page. */
  readonly after: Cursor | undefined;
}

/**
 * Keyset paging: a token is the last key of the previous page (base64url JSON), so a page is
 * stable while rows are added in front of it. `isCursor` checks a token this server issued.
 */
export function readPage<Cursor>(
  request: commonV1.PageRequest | null | undefined,
  isCursor: (value: unknown) => value is Cursor,
): Page<Cursor> {
  const requested = request?.pageSize ?? 0;
  if (!Number.isInteger(requested) || requested < 0) throw invalidArgument('page.page_size', 'must be ≥ 0');
  const size = requested === 0 ? DEFAULT_PAGE_SIZE : Math.min(requested, MAX_PAGE_SIZE);
  const token = request?.pageToken ?? '';
  if (token === '') return { size, after: undefined };
  let cursor: unknown;
  try {
    cursor = JSON.parse(Buffer.from(token, 'base64url').toString('utf8'));
  } catch {
    cursor = undefined;
  }
  if (!isCursor(cursor)) throw invalidArgument('page.page_token', 'is not a token from a previous page of this list');
  return { size, after: cursor };
}

/** The response's paging: a token when the list was cut at `size` (rows holds one extra to tell). */
export function pageOf<Row, Cursor>(rows: readonly Row[], size: number, cursorOf: (row: Row) => Cursor): { items: Row[]; page: commonV1.PageResponse } {
  const items = rows.slice(0, size);
  const more = rows.length > size;
  const nextPageToken = more ? Buffer.from(JSON.stringify(cursorOf(items[items.length - 1]))).toString('base64url') : '';
  return { items, page: { nextPageToken } };
}

export const isString = (value: unknown): value is string => typeof value === 'string';
export const isPositiveInteger = (value: unknown): value is number => Number.isSafeInteger(value) && (value as number) > 0;
