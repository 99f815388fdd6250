import fc from 'fast-check';
import { continuationToken, listPage, readContinuationToken, urlEncodeKey } from './listing';

describe('listing pages', () => {
  const keys = ['a/1', 'a/2', 'a/b/3', 'b', 'c/1', 'c/2'].sort();

  it('rolls keys under a delimiter into common prefixes', () => {
    expect(listPage(keys, { prefix: '', delimiter: '/', after: '', maxKeys: 1000 })).toMatchObject({
      keys: ['b'],
      commonPrefixes: ['a/', 'c/'],
      truncated: false,
    });
    expect(listPage(keys, { prefix: 'a/', delimiter: '/', after: '', maxKeys: 1000 })).toMatchObject({
      keys: ['a/1', 'a/2'],
      commonPrefixes: ['a/b/'],
    });
  });

  it('visits every key exactly once across pages, for any page size, prefix and delimiter', () => {
    fc.assert(
      fc.property(
        fc.uniqueArray(fc.stringMatching(/^[ab/]{1,6}$/), { maxLength: 40 }),
        fc.integer({ min: 1, max: 7 }),
        fc.constantFrom('', 'a', 'a/', 'b'),
        fc.constantFrom('', '/'),
        (unsorted, maxKeys, prefix, delimiter) => {
          const sorted = [...unsorted].sort();
          const everything = listPage(sorted, { prefix, delimiter, after: '', maxKeys: 10_000 });
          const seen: string[] = [];
          let position: { after: string; skipPrefix?: string } = { after: '' };
          for (let pages = 0; pages <= sorted.length + 1; pages++) {
            const page = listPage(sorted, { prefix, delimiter, maxKeys, ...position });
            seen.push(...page.keys, ...page.commonPrefixes);
            if (!page.truncated) break;
            position = readContinuationToken(continuationToken(page.last!));
          }
          expect(seen.sort()).toEqual([...everything.keys, ...everything.commonPrefixes].sort());
        },
      ),
    );
  });

  it('encodes keys for encoding-type=url without ever producing number-like text', () => {
    expect(urlEncodeKey('a b/c+d')).toBe('a%20b/c%2Bd');
    expect(urlEncodeKey('12345')).toBe('%312345');
    expect(decodeURIComponent(urlEncodeKey('0x1f'))).toBe('0x1f');
    expect(() => readContinuationToken('12')).toThrow();
  });
});
