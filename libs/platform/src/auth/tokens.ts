import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
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
  return createHash('sha256').update(token, 'utf8').digest('hex');
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
 * Looks a presented token up among the stored hashes. Every stored hash is compared, each in
 * constant time, so neither the position of a match nor a near miss shows in the timing.
 */
export class TokenIndex {
  private readonly entries: ReadonlyArray<{ digest: Buffer; record: TokenRecord }>;

  constructor(records: readonly TokenRecord[]) {
    this.entries = records.map((record) => ({ digest: Buffer.from(record.sha256, 'hex'), record }));
  }

  get size(): number {
    return this.entries.length;
  }

  verify(token: string): TokenRecord | undefined {
    const presented = createHash('sha256').update(token, 'utf8').digest();
    let found: TokenRecord | undefined;
    for (const entry of this.entries) {
      if (timingSafeEqual(entry.digest, presented) && !found) found = entry.record;
    }
    return found;
  }
}
