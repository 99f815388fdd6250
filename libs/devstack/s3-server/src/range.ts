import { Errors } from './s3-errors';

export interface ByteRange {
  start: number;
  /** Inclusive. */
  end: number;
}

/**
 * Resolves an HTTP Range header against an object size the way S3 does: one `bytes=` range
 * (`a-b`, `a-`, `-n`); a header S3 would not understand is ignored (whole object), and a range
 * starting past the end is InvalidRange.
 */
export function resolveRange(header: string | undefined, size: number): ByteRange | undefined {
  if (header === undefined) return undefined;
  const m = /^bytes=(\d*)-(\d*)$/.exec(header.trim());
  if (!m || (m[1] === '' && m[2] === '')) return undefined;
  if (m[1] === '') {
    const suffix = Number(m[2]);
    if (suffix === 0 || size === 0) throw Errors.invalidRange(size);
    return { start: Math.max(0, size - suffix), end: size - 1 };
  }
  const start = Number(m[1]);
  const end = m[2] === '' ? size - 1 : Number(m[2]);
  if (start >= size) throw Errors.invalidRange(size);
  if (end < start) return undefined;
  return { start, end: Math.min(end, size - 1) };
}
