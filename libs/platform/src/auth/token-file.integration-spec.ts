import { mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { eventually } from '@flywheel/test-kit';
import { Role } from './role';
import { ensureAdminToken, issueToken, readTokensFile, writeTokensFile } from './token-file';
import { TokenStore } from './token-store';
import { hashToken, TokensFileError } from './tokens';

describe('tokens file', () => {
  let dir: string;
  let file: string;

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'flywheel-tokens-'));
    file = join(dir, 'auth', 'tokens.json');
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('issues a token: returns the plaintext once, stores only its hash, mode 0600, no temp file left', () => {
    const issued = issueToken(file, { team: 'fraud', roles: [Role.Write, Role.Write], description: 'CI deploys' });
    const text = readFileSync(file, 'utf8');
    expect(text).not.toContain(issued.token);
    expect(readTokensFile(file).tokens).toEqual([
      {
        id: issued.id,
        team: 'fraud',
        roles: ['write'],
        sha256: hashToken(issued.token),
        createdAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
        description: 'CI deploys',
      },
    ]);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(readdirSync(join(dir, 'auth'))).toEqual(['tokens.json']);
    const second = issueToken(file, { team: 'ops', roles: [Role.Read] });
    expect(readTokensFile(file).tokens.map((record) => record.id)).toEqual([issued.id, second.id]);
  });

  it('refuses to issue a token without a team or a role', () => {
    expect(() => issueToken(file, { team: ' ', roles: [Role.Read] })).toThrow(/team/);
    expect(() => issueToken(file, { team: 'x', roles: [] })).toThrow(/role/);
  });

  it('creates the admin token on first start only', () => {
    const first = ensureAdminToken(file);
    expect(first.created).toBe(true);
    expect(first.token).toMatch(/^fw_/);
    expect(ensureAdminToken(file)).toEqual({ created: false });
    const store = TokenStore.open(file);
    try {
      expect(store.verify(first.token!)).toMatchObject({ team: 'admin', roles: ['admin'] });
    } finally {
      store.close();
    }
  });

  it('adds an admin token to a file that has only other tokens', () => {
    issueToken(file, { team: 'fraud', roles: [Role.Write] });
    expect(ensureAdminToken(file).created).toBe(true);
    expect(readTokensFile(file).tokens).toHaveLength(2);
  });

  it('will not open a missing or malformed file, and keeps the loaded tokens when a reload fails', async () => {
    expect(() => TokenStore.open(file)).toThrow(/ENOENT/);
    const { token } = issueToken(file, { team: 'fraud', roles: [Role.Read] });
    const errors: Error[] = [];
    const store = TokenStore.open(file, { pollIntervalMs: 20, onReloadError: (error) => errors.push(error) });
    try {
      writeFileSync(file, '{ not json');
      expect(await eventually(() => errors.length > 0, 5_000, 20)).toBe(true);
      expect(errors[0]).toBeInstanceOf(TokensFileError);
      expect(store.verify(token)?.team).toBe('fraud');
    } finally {
      store.close();
    }
  });

  it('sees a revoked token at once through its directory watch, long before its poll', async () => {
    const kept = issueToken(file, { team: 'fraud', roles: [Role.Read] });
    const revoked = issueToken(file, { team: 'claims', roles: [Role.Write] });
    const store = TokenStore.open(file, { pollIntervalMs: 600_000 });
    try {
      expect(store.verify(revoked.token)?.team).toBe('claims');
      const content = readTokensFile(file);
      writeTokensFile(file, { ...content, tokens: content.tokens.filter((t) => t.id !== revoked.id) });
      const started = Date.now();
      expect(await eventually(() => store.verify(revoked.token) === undefined, 5_000, 10)).toBe(true);
      expect(Date.now() - started).toBeLessThan(2_000);
      expect(store.verify(kept.token)?.team).toBe('fraud');
    } finally {
      store.close();
    }
  });

  it('follows a mounted Secret swapped by renaming the symlink its file goes through', async () => {
    // A Kubernetes Secret volume: tokens.json -> ..data/tokens.json, ..data -> a timestamped directory.
    const mount = join(dir, 'secret');
    const [first, second] = [join(mount, '..2026_01_01_first'), join(mount, '..2026_01_02_second')];
    mkdirSync(first, { recursive: true });
    mkdirSync(second);
    const old = issueToken(join(first, 'tokens.json'), { team: 'fraud', roles: [Role.Read] });
    const rotated = issueToken(join(second, 'tokens.json'), { team: 'fraud', roles: [Role.Read] });
    symlinkSync(first, join(mount, '..data'));
    symlinkSync(join('..data', 'tokens.json'), join(mount, 'tokens.json'));
    const store = TokenStore.open(join(mount, 'tokens.json'), { pollIntervalMs: 600_000 });
    try {
      expect(store.verify(old.token)?.team).toBe('fraud');
      symlinkSync(second, join(mount, '..data_tmp'));
      renameSync(join(mount, '..data_tmp'), join(mount, '..data'));
      expect(await eventually(() => store.verify(rotated.token) !== undefined, 5_000, 10)).toBe(true);
      expect(store.verify(old.token)).toBeUndefined();
    } finally {
      store.close();
    }
  });
});
