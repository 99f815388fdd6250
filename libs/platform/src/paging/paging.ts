import { invalidArgument } from '../errors/invalid-argument.exception';

/** The wire's paging messages (flywheel.common.v1.PageRequest / PageResponse), as every list uses them. */
export interface PageRequestLike {
  readonly pageSize?: number | null;
  readonly pageToken?: string | null;
}

export interface PageResponseLike {
  nextPageToken: string;
}

export const DEFAULT_PAGE_SIZE = 50;
export const MAX_PAGE_SIZE = 1000;

/** A page to read: at most `size` items after `after` (undefined for the first page). */
export interface Page<Cursor> {
  readonly size: number;
  readonly after: Cursor | undefined;
}

/**
 * Paging for every list of every service, one rule throughout:
 * - a token is opaque to callers: base64url of `{"after": <cursor>}`, where the cursor is the
 *   sort key of the previous page's last item (keyset paging, so a page is stable while rows are
 *   added in front of it) or, for lists without a stable key, the offset of the next item;
 * - a list reads one item more than the page holds; a next token is issued only when that extra
 *   item came back, so the last page never ends with an empty one;
 * - page_size 0 means {@link DEFAULT_PAGE_SIZE}; larger than {@link MAX_PAGE_SIZE} is cut to it.
 *
 * `isCursor` checks that a token's cursor has the shape this list issues.
 */
export function readPage<Cursor>(
  request: PageRequestLike | null | undefined,
  isCursor: (value: unknown) => value is Cursor,
  field = 'page',
): Page<Cursor> {
  const requested = request?.pageSize ?? 0;
  if (!Number.isInteger(requested) || requested < 0) throw invalidArgument(`${field}.page_size`, 'must be 0 (the default) or more');
  const size = requested === 0 ? DEFAULT_PAGE_SIZE : Math.min(requested, MAX_PAGE_SIZE);
  const token = request?.pageToken ?? '';
  if (token === '') return { size, after: undefined };
  const after = decodeCursor(token);
  if (after === undefined || !isCursor(after))
    throw invalidArgument(`${field}.page_token`, 'is not a token from a previous page of this list');
  return { size, after };
}

/**
 * Cuts the rows a list read (up to `page.size + 1`) to the page and says whether more follow.
 * `cursorOf` gives the cursor of the page's last item.
 */
export function pageOf<Row, Cursor>(
  rows: readonly Row[],
  page: Page<Cursor>,
  cursorOf: (last: Row) => Cursor,
): { items: Row[]; page: PageResponseLike } {
  const items = rows.slice(0, page.size);
  const more = rows.length > page.size;
  return { items, page: { nextPageToken: more ? encodeCursor(cursorOf(items[items.length - 1])) : '' } };
}

/** Offset paging, for lists whose order has no unique key to continue from. */
export interface OffsetPage {
  readonly offset: number;
  readonly limit: number;
}

export function readOffsetPage(request: PageRequestLike | null | undefined, field = 'page'): OffsetPage {
  const page = readPage(request, isOffset, field);
  return { offset: page.after ?? 0, limit: page.size };
}

/** Cuts rows read with `limit + 1` to the page; the token carries the next item's offset. */
export function offsetPageOf<Row>(rows: readonly Row[], page: OffsetPage): { items: Row[]; page: PageResponseLike } {
  return pageOf(rows, { size: page.limit, after: page.offset }, () => page.offset + page.limit);
}

export const isStringCursor = (value: unknown): value is string => typeof value === 'string';
export const isPositiveIntegerCursor = (value: unknown): value is number => Number.isSafeInteger(value) && (value as number) > 0;
const isOffset = (value: unknown): value is number => Number.isSafeInteger(value) && (value as number) >= 0;

function encodeCursor(cursor: unknown): string {
  return Buffer.from(JSON.stringify({ after: cursor }), 'utf8').toString('base64url');
}

function decodeCursor(token: string): unknown {
  try {
    const parsed = JSON.parse(Buffer.from(token, 'base64url').toString('utf8')) as unknown;
    return typeof parsed === 'object' && parsed !== null && 'after' in parsed ? (parsed as { after: unknown }).after : undefined;
  } catch {
    return undefined;
  }
}
