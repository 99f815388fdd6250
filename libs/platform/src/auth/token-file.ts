import { readFileSync } from 'node:fs';
import { writePrivateFile } from '../files/write-private-file';
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
 * Written whole and renamed into place, so a reader (a service reloading it) sees the old or
 * the new content, never half of one; mode 0600 because it guards every API.
 */
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
