import { type commonV1 } from '@flywheel/contracts';
import { invalidArgument } from '@flywheel/platform';

const DEFAULT_PAGE_SIZE = 50;
const MAX_PAGE_SIZE = 1000;

/** Offset paging behind an opaque token. */
export function readPage(page: commonV1.PageRequest | null | undefined): { offset: number; limit: number } {
  const size = page?.pageSize ?? 0;
  if (size < 0) throw invalidArgument('page.page_size', 'must be at least 0');
  const limit = Math.min(size || DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE);
  const token = page?.pageToken ?? '';
  if (!token) return { offset: 0, limit };
  const match = /^o(\d{1,12})$/.exec(Buffer.from(token, 'base64url').toString('utf8'));
  if (!match) throw invalidArgument('page.page_token', 'is not a token this server issued');
  return { offset: Number(match[1]), limit };
}

export function nextPageToken(offset: number, limit: number, fetched: number): string {
  return fetched > limit ? Buffer.from(`o${offset + limit}`, 'utf8').toString('base64url') : '';
}
