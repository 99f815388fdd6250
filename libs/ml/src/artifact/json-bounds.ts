import { ArtifactError } from './format';
import { type ArtifactLimits } from './limits';

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const COMMA = 0x2c;
const OPEN_ARRAY = 0x5b;
const CLOSE_ARRAY = 0x5d;
const OPEN_OBJECT = 0x7b;
const CLOSE_OBJECT = 0x7d;

/** Longest string an artifact holds (names, categories, dates), in bytes. */
export const MAX_JSON_STRING_BYTES = 65_536;
/** Deepest nesting of arrays and objects; an artifact's is under ten. */
export const MAX_JSON_NESTING = 64;

/**
 * Most members of one array or object in an artifact within `limits`: a tree's node arrays,
 * the trees, the classes, a row of coefficients or a categorical's categories (and its
 * profile's frequencies).
 */
export function maxJsonMembers(limits: ArtifactLimits): number {
  return Math.max(limits.maxNodesPerTree, limits.maxTrees, limits.maxClasses, 2 * limits.maxFeatures + limits.maxCategories);
}

/** Heap bytes JSON.parse may take, at most, per slot of an array or object, per container, per number and per string. */
const PARSED_SLOT_BYTES = 8;
const PARSED_CONTAINER_BYTES = 64;
const PARSED_NUMBER_BYTES = 16;
const PARSED_STRING_BYTES = 16;

/**
 * Bounds what JSON.parse would build from `bytes` before it builds anything: no array or object
 * of more than `maxMembers` members, no string over MAX_JSON_STRING_BYTES, no nesting deeper
 * than MAX_JSON_NESTING, and, with `maxParsedBytes`, no more heap in all than that (a bound
 * from the tokens: every slot, container, number and string at its largest). V8 allocates an
 * array's or a string's storage in one piece, and a parse cannot be stopped part way: past a
 * worker's heap limit by more than the leeway Node gives it, the whole process aborts instead
 * of the thread ending, so such input is refused first. One pass over the bytes (structural
 * characters are ASCII, never part of a multi-byte UTF-8 sequence); the syntax is left to JSON.parse.
 */
export function checkJsonBounds(bytes: Uint8Array, maxMembers: number, options: { readonly maxParsedBytes?: number } = {}): void {
  const separators = new Int32Array(MAX_JSON_NESTING + 1);
  let depth = 0;
  let size = 0;
  let inNumber = false;
  for (let i = 0; i < bytes.length; i++) {
    const c = bytes[i];
    const numeric = (c >= 0x30 && c <= 0x39) || c === 0x2d;
    if (numeric && !inNumber) size += PARSED_NUMBER_BYTES + PARSED_SLOT_BYTES;
    inNumber = numeric || (inNumber && (c === 0x2e || c === 0x2b || c === 0x65 || c === 0x45));
    if (c === QUOTE) {
      const start = i;
      for (i++; i < bytes.length && bytes[i] !== QUOTE; i++) if (bytes[i] === BACKSLASH) i++;
      if (i - start - 1 > MAX_JSON_STRING_BYTES)
        throw new ArtifactError(`a string at byte ${start} is longer than ${MAX_JSON_STRING_BYTES} bytes`, '$');
      size += PARSED_STRING_BYTES + PARSED_SLOT_BYTES + (i - start - 1);
    } else if (c === OPEN_ARRAY || c === OPEN_OBJECT) {
      if (++depth > MAX_JSON_NESTING) throw new ArtifactError(`nested deeper than ${MAX_JSON_NESTING} levels at byte ${i}`, '$');
      separators[depth] = 0;
      size += PARSED_CONTAINER_BYTES + PARSED_SLOT_BYTES;
    } else if (c === CLOSE_ARRAY || c === CLOSE_OBJECT) {
      if (depth > 0) depth--;
    } else if (c === COMMA && ++separators[depth] >= maxMembers) {
      throw new ArtifactError(`an array or object has more than ${maxMembers} members (at byte ${i})`, '$');
    }
    if (options.maxParsedBytes !== undefined && size > options.maxParsedBytes)
      throw new ArtifactError(
        `would take more than ${mebibytes(options.maxParsedBytes)} MiB once parsed (at byte ${i} of ${bytes.length})`,
        '$',
      );
  }
}

function mebibytes(bytes: number): string {
  return (bytes / 2 ** 20).toFixed(0);
}
