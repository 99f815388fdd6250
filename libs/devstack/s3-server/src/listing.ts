import { Errors } from './s3-errors';
import { awsUriEncode } from './sigv4';

export interface ListWindow {
  prefix: string;
  delimiter: string;
  /** List only keys strictly after this one. */
  after: string;
  /** Also skip keys under this common prefix (it was the last entry of the previous page). */
  skipPrefix?: string;
  maxKeys: number;
}

export interface ListPage {
  keys: string[];
  commonPrefixes: string[];
  truncated: boolean;
  /** The last entry returned, where the next page resumes. */
  last?: { value: string; isPrefix: boolean };
}

/** Index of the first key greater than or equal to `target` in an ascending array. */
function lowerBound(sorted: readonly string[], target: string): number {
  let low = 0;
  let high = sorted.length;
  while (low < high) {
    const mid = (low + high) >>> 1;
    if (sorted[mid]! < target) low = mid + 1;
    else high = mid;
  }
  return low;
}

/** One page of a ListObjects answer over ascending keys: objects and rolled-up common prefixes. */
export function listPage(sorted: readonly string[], window: ListWindow): ListPage {
  const page: ListPage = { keys: [], commonPrefixes: [], truncated: false };
  if (window.maxKeys === 0) return page;
  let start = lowerBound(sorted, window.prefix > window.after ? window.prefix : window.after);
  if (sorted[start] === window.after) start += 1;
  let count = 0;
  for (let i = start; i < sorted.length; i++) {
    const key = sorted[i]!;
    if (!key.startsWith(window.prefix)) break;
    if (window.skipPrefix !== undefined && key.startsWith(window.skipPrefix)) continue;
    let commonPrefix: string | undefined;
    if (window.delimiter !== '') {
      const at = key.indexOf(window.delimiter, window.prefix.length);
      if (at !== -1) commonPrefix = key.slice(0, at + window.delimiter.length);
    }
    if (commonPrefix !== undefined && commonPrefix === page.last?.value) continue;
    if (count === window.maxKeys) {
      page.truncated = true;
      break;
    }
    if (commonPrefix !== undefined) {
      page.commonPrefixes.push(commonPrefix);
      page.last = { value: commonPrefix, isPrefix: true };
    } else {
      page.keys.push(key);
      page.last = { value: key, isPrefix: false };
    }
    count += 1;
  }
  return page;
}

const TOKEN_PREFIX = 'fw1.';

/** Opaque V2 continuation token; never looks like a number, which XML readers would convert. */
export function continuationToken(last: { value: string; isPrefix: boolean }): string {
  const body = JSON.stringify(last.isPrefix ? { a: last.value, s: last.value } : { a: last.value });
  return TOKEN_PREFIX + Buffer.from(body).toString('base64url');
}

export function readContinuationToken(token: string): { after: string; skipPrefix?: string } {
  const invalid = () => Errors.invalidArgument('The continuation token provided is incorrect');
  if (!token.startsWith(TOKEN_PREFIX)) throw invalid();
  try {
    const parsed = JSON.parse(Buffer.from(token.slice(TOKEN_PREFIX.length), 'base64url').toString('utf8')) as { a?: unknown; s?: unknown };
    if (typeof parsed.a !== 'string' || (parsed.s !== undefined && typeof parsed.s !== 'string')) throw invalid();
    return parsed.s === undefined ? { after: parsed.a } : { after: parsed.a, skipPrefix: parsed.s as string };
  } catch {
    throw invalid();
  }
}

const NUMBER_LIKE = /^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$|^0[xX][0-9a-fA-F]+$/;

/**
 * `encoding-type=url` encoding of keys and prefixes. A key that would read as a number is
 * encoded one character further, because some clients' XML readers turn such text into numbers.
 */
export function urlEncodeKey(key: string): string {
  const encoded = awsUriEncode(key, true);
  if (!NUMBER_LIKE.test(encoded)) return encoded;
  return `%${encoded.charCodeAt(0).toString(16).toUpperCase().padStart(2, '0')}${encoded.slice(1)}`;
}
