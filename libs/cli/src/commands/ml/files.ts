import { readFileSync, writeFileSync } from 'node:fs';
import { type LoadedModel, type Schema, type Table, hasColumn, loadModel, parseCsv } from '@flywheel/ml';
import { UsageError, userInput } from '../../errors';

// File system errors the user can fix by changing the call; others (EIO, ENOSPC, …) are the machine's.
const USER_FS_ERRORS: Readonly<Record<string, string>> = {
  ENOENT: 'no such file or directory',
  EACCES: 'permission denied',
  EPERM: 'permission denied',
  EISDIR: 'is a directory',
  ENOTDIR: 'a parent is not a directory',
  EROFS: 'read-only file system',
};

function fsError(e: unknown, what: string): unknown {
  const code = (e as NodeJS.ErrnoException | null)?.code;
  return code && USER_FS_ERRORS[code] ? new UsageError(`${what}: ${USER_FS_ERRORS[code]}`) : e;
}

export function readBytes(path: string, option: string): Buffer {
  try {
    return readFileSync(path);
  } catch (e) {
    throw fsError(e, `cannot read ${option} ${path}`);
  }
}

export function writeText(path: string, option: string, text: string): void {
  try {
    writeFileSync(path, text);
  } catch (e) {
    throw fsError(e, `cannot write ${option} ${path}`);
  }
}

export interface ExpectedColumns {
  /** Columns that must be there, read as these types. */
  readonly schema: Schema;
  /** Columns that must be there, of whichever type. */
  readonly present?: readonly string[];
  /** The message when a column is absent, e.g. `has no column "x", a feature of the model`. */
  readonly missing: (name: string) => string;
}

/**
 * Reads a CSV file into a table, with errors that name the file (and the row and column of a
 * bad value). With `expected`, those columns must be present and are read as the given types:
 * the file is parsed once with inferred types, and again, forcing the types, only when some
 * expected column came out differently — so a zip code stays text for a model that saw text,
 * and a stray word in a numeric feature is reported by row and column.
 */
export function readCsv(path: string, option: string, expected?: ExpectedColumns): Table {
  const bytes = readBytes(path, option);
  const table = userInput(path, () => parseCsv(bytes));
  if (!expected) return table;
  for (const name of expected.present ?? []) if (!hasColumn(table, name)) throw new UsageError(`${path} ${expected.missing(name)}`);
  const differing: Record<string, 'numeric' | 'categorical'> = {};
  let reparse = false;
  for (const [name, type] of Object.entries(expected.schema)) {
    if (!hasColumn(table, name)) throw new UsageError(`${path} ${expected.missing(name)}`);
    if (table.columns.find((c) => c.name === name)?.type !== type) {
      differing[name] = type;
      reparse = true;
    }
  }
  return reparse ? userInput(path, () => parseCsv(bytes, { schema: differing })) : table;
}

export function readModel(path: string): LoadedModel {
  const text = readBytes(path, '--model').toString('utf8');
  return userInput(path, () => loadModel(text));
}

export function columnNames(table: Table): string {
  return table.columns.map((c) => c.name).join(', ');
}
