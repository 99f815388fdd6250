import { createHash } from 'node:crypto';
import { Role } from './role';
import { generateToken, hashToken, parseTokensFile, TokenIndex, type TokenRecord, TokensFileError } from './tokens';

function record(token: string, overrides: Partial<TokenRecord> = {}): TokenRecord {
  return {
    id: `tok_${token.slice(-6)}`,
    team: 'fraud',
    roles: [Role.Write],
    sha256: hashToken(token),
    createdAt: '2030-01-01T00:00:00.000Z',
    description: '',
    ...overrides,
  };
}

describe('tokens', () => {
  it('generates fw_ + 32 random bytes in base64url, never twice the same', () => {
    const tokens = new Set(Array.from({ length: 100 }, generateToken));
    expect(tokens.size).toBe(100);
    for (const token of tokens) {
      expect(token).toMatch(/^fw_[A-Za-z0-9_-]{43}$/);
      expect(Buffer.from(token.slice(3), 'base64url')).toHaveLength(32);
    }
  });

  it('hashes with sha256 as lowercase hex', () => {
    expect(hashToken('fw_abc')).toBe(createHash('sha256').update('fw_abc').digest('hex'));
    expect(hashToken('fw_abc')).toMatch(/^[0-9a-f]{64}$/);
  });

  it('verifies a presented token against the stored hashes only', () => {
    const first = generateToken();
    const second = generateToken();
    const index = new TokenIndex([record(first), record(second, { team: 'ops', roles: [Role.Admin] })]);
    expect(index.verify(first)?.team).toBe('fraud');
    expect(index.verify(second)?.roles).toEqual([Role.Admin]);
    expect(index.verify(generateToken())).toBeUndefined();
    expect(index.verify('')).toBeUndefined();
    // The stored hash itself is not a token.
    expect(index.verify(hashToken(first))).toBeUndefined();
  });

  it('parses the tokens file format and names what is wrong with a bad one', () => {
    const good = { tokens: [record(generateToken())] };
    expect(parseTokensFile(JSON.stringify(good), 'tokens.json').tokens).toHaveLength(1);
    expect(() => parseTokensFile('{', 'tokens.json')).toThrow(TokensFileError);
    expect(() => parseTokensFile(JSON.stringify({ tokens: [{ ...good.tokens[0], roles: ['root'] }] }), 'tokens.json')).toThrow(
      /tokens file tokens.json: tokens\.0\.roles\.0/,
    );
    expect(() => parseTokensFile(JSON.stringify({ tokens: [{ ...good.tokens[0], sha256: 'plaintext' }] }), 'tokens.json')).toThrow(
      /sha256: must be 64 lowercase hex digits/,
    );
    expect(() => parseTokensFile(JSON.stringify({ tokens: [good.tokens[0], good.tokens[0]] }), 'tokens.json')).toThrow(
      /duplicate token id/,
    );
  });
});
