import { randomBytes } from 'node:crypto';
import { closeSync, fsyncSync, mkdirSync, openSync, readFileSync, renameSync, rmSync, writeSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { Role } from './role';
import { generateToken, hashToken, newTokenId, parseTokensFile, type TokenRecord, type TokensFile } from './tokens';

// Synchronous on purpose: these run at boot, in the launcher and in the CLI, on a file of a
// few kilobytes, and their callers want a plain value.

export function readTokensFile(file: string): TokensFile {
  return parseTokensFile(readFileSync(file, 'utf8'), file);
}

function readTokensFileOrEmpty(file: string): TokensFile {
  try {
    return readTokensFile(file);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { tokens: [] };
    throw error;
  }
}

/**
 * Writes the whole file beside itself and renames it into place, so a reader (a service
 * reloading it) sees the old or the new content, never half of one; mode 0600, in a folder
 * only its owner enters, because what it holds guards the platform (tokens, Kafka credentials).
 */
export function writePrivateFile(file: string, text: string): void {
  mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
  const temp = join(dirname(file), `.${basename(file)}.${randomBytes(6).toString('hex')}.tmp`);
  try {
    const fd = openSync(temp, 'wx', 0o600);
    try {
      writeSync(fd, text);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(temp, file);
  } catch (error) {
    rmSync(temp, { force: true });
    throw error;
  }
}

export function writeTokensFile(file: string, content: TokensFile): void {
  writePrivateFile(file, `${JSON.stringify(content, null, 2)}\n`);
}

export interface IssueTokenRequest {
  readonly team: string;
  readonly roles: readonly Role[];
  readonly description?: string;
}

export interface IssuedToken {
  readonly id: string;
  /** The only time the plaintext exists outside the caller's hands: show it once. */
  readonly token: string;
  readonly record: TokenRecord;
}

/** Adds a token to the file (creating it if needed) and returns its plaintext, which is not stored. */
export function issueToken(file: string, request: IssueTokenRequest, now = new Date()): IssuedToken {
  if (!request.team.trim()) throw new Error('issueToken: team must not be empty');
  if (request.roles.length === 0) throw new Error('issueToken: at least one role is required');
  const current = readTokensFileOrEmpty(file);
  const token = generateToken();
  const record: TokenRecord = {
    id: newTokenId(),
    team: request.team,
    roles: [...new Set(request.roles)],
    sha256: hashToken(token),
    createdAt: now.toISOString(),
    description: request.description ?? '',
  };
  writeTokensFile(file, { tokens: [...current.tokens, record] });
  return { id: record.id, token, record };
}

/**
 * First start: when the file holds no admin token, issues one and returns it so the launcher
 * prints it once. Later starts find it and return `{ created: false }`.
 */
export function ensureAdminToken(file: string): { created: boolean; token?: string } {
  const current = readTokensFileOrEmpty(file);
  if (current.tokens.some((record) => record.roles.includes(Role.Admin))) return { created: false };
  const issued = issueToken(file, { team: 'admin', roles: [Role.Admin], description: 'generated on first start' });
  return { created: true, token: issued.token };
}
