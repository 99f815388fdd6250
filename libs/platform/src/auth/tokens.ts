import { hash, randomBytes } from 'node:crypto';
import { z } from 'zod';
import { ALL_ROLES, type Role } from './role';
import { parseValidatedJson } from './validated-json';

export const TOKEN_PREFIX = 'fw_';

/** One entry of the tokens file. Only the hash of the token is ever stored. */
export interface TokenRecord {
  readonly id: string;
  readonly team: string;
  readonly roles: readonly Role[];
  readonly sha256: string;
  readonly createdAt: string;
  readonly description: string;
}

export interface TokensFile {
  readonly tokens: readonly TokenRecord[];
}

const tokenRecordSchema = z.object({
  id: z.string().min(1),
  team: z.string().min(1),
  roles: z.array(z.enum(ALL_ROLES as [Role, ...Role[]])).min(1),
  sha256: z.string().regex(/^[0-9a-f]{64}$/, 'must be 64 lowercase hex digits'),
  createdAt: z.string(),
  description: z.string().default(''),
});

const tokensFileSchema = z.object({ tokens: z.array(tokenRecordSchema) });

export class TokensFileError extends Error {
  constructor(source: string, reason: string) {
    super(`tokens file ${source}: ${reason}`);
    this.name = 'TokensFileError';
  }
}

/** `fw_` + 32 random bytes, base64url: high entropy, so a plain sha256 is the right hash. */
export function generateToken(): string {
  return TOKEN_PREFIX + randomBytes(32).toString('base64url');
}

export function hashToken(token: string): string {
  return hash('sha256', token, 'hex');
}

export function newTokenId(): string {
  return `tok_${randomBytes(8).toString('hex')}`;
}

export function parseTokensFile(text: string, source: string): TokensFile {
  const data = parseValidatedJson(text, tokensFileSchema, (reason) => new TokensFileError(source, reason));
  const ids = new Set<string>();
  for (const record of data.tokens) {
    if (ids.has(record.id)) throw new TokensFileError(source, `duplicate token id ${record.id}`);
    ids.add(record.id);
  }
  return data;
}

/**
 * Looks a presented token up by its sha256, one hash and one hash-table probe per call (it runs
 * on every request). The table holds digests only, and a token is 32 random bytes: a caller
 * cannot steer the digest of what it sends toward a stored one, so the probe's timing tells
 * nothing about the stored tokens (the reason the digests, never the tokens, are the keys).
 */
export class TokenIndex {
  private readonly byDigest = new Map<string, TokenRecord>();

  constructor(records: readonly TokenRecord[]) {
    // The file's first record of a digest wins, as a scan in file order would.
    for (const record of records) if (!this.byDigest.has(record.sha256)) this.byDigest.set(record.sha256, record);
  }

  get size(): number {
    return this.byDigest.size;
  }

  verify(token: string): TokenRecord | undefined {
    return this.byDigest.get(hashToken(token));
  }
}
