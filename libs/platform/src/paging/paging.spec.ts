import { InvalidArgumentException } from '../errors/invalid-argument.exception';
import { DEFAULT_PAGE_SIZE, isStringCursor, MAX_PAGE_SIZE, offsetPageOf, pageOf, readOffsetPage, readPage } from './paging';

const names = ['a', 'b', 'c', 'd', 'e'];

/** Reads a sorted list the way a repository does: after the cursor, at most `limit` rows. */
function listAfter(after: string | undefined, limit: number): string[] {
  return names.filter((name) => after === undefined || name > after).slice(0, limit);
}

describe('paging', () => {
  it('walks a keyset list page by page and ends without an empty page', () => {
    const seen: string[][] = [];
    let token = '';
    do {
      const page = readPage({ pageSize: 2, pageToken: token }, isStringCursor);
      const listed = pageOf(listAfter(page.after, page.size + 1), page, (last) => last);
      seen.push(listed.items);
      token = listed.page.nextPageToken;
    } while (token !== '');
    expect(seen).toEqual([['a', 'b'], ['c', 'd'], ['e']]);
  });

  it('issues no token when the last page is exactly full', () => {
    const page = readPage({ pageSize: 5, pageToken: '' }, isStringCursor);
    expect(pageOf(listAfter(page.after, page.size + 1), page, (last) => last).page.nextPageToken).toBe('');
  });

  it('defaults and caps the page size', () => {
    expect(readPage({}, isStringCursor).size).toBe(DEFAULT_PAGE_SIZE);
    expect(readPage(null, isStringCursor).size).toBe(DEFAULT_PAGE_SIZE);
    expect(readPage({ pageSize: 1_000_000 }, isStringCursor).size).toBe(MAX_PAGE_SIZE);
  });

  it('names the field of a negative size or a forged token', () => {
    expect(() => readPage({ pageSize: -1 }, isStringCursor)).toThrow('page.page_size: must be 0 (the default) or more');
    for (const forged of ['not-base64-json', Buffer.from('{"after":7}').toString('base64url'), Buffer.from('[]').toString('base64url')]) {
      expect(() => readPage({ pageToken: forged }, isStringCursor)).toThrow(InvalidArgumentException);
      expect(() => readPage({ pageToken: forged }, isStringCursor)).toThrow(
        'page.page_token: is not a token from a previous page of this list',
      );
    }
    expect(() => readOffsetPage({ pageToken: 'x' }, 'query.page')).toThrow('query.page.page_token');
  });

  it('pages by offset when a list has no unique key', () => {
    const rows = ['r0', 'r1', 'r2', 'r3', 'r4'];
    const first = readOffsetPage({ pageSize: 3 });
    const one = offsetPageOf(rows.slice(first.offset, first.offset + first.limit + 1), first);
    expect(one.items).toEqual(['r0', 'r1', 'r2']);
    const second = readOffsetPage({ pageSize: 3, pageToken: one.page.nextPageToken });
    expect(second).toEqual({ offset: 3, limit: 3 });
    const two = offsetPageOf(rows.slice(second.offset, second.offset + second.limit + 1), second);
    expect(two).toEqual({ items: ['r3', 'r4'], page: { nextPageToken: '' } });
  });
});
