import { execFileSync } from 'node:child_process';
import {
  chmodSync,
  chownSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { preparePostgresHome, removeDataFolder } from './postgres-home';

/**
 * What `npm start` does for PostgreSQL as root. Needs root (CI runs as root): elsewhere it fails
 * with that reason instead of passing without having checked anything.
 */
describe('PostgreSQL folder as root', () => {
  let scratch: string;
  let systemRoot: string;
  let dataDir: string;
  const postgresUid = () => Number(execFileSync('id', ['-u', 'postgres'], { encoding: 'utf8' }).trim());

  beforeAll(() => {
    if (process.getuid?.() !== 0) throw new Error('this suite checks what the launcher does as root: run it as root (CI does)');
  });

  beforeEach(() => {
    scratch = mkdtempSync(join(tmpdir(), 'flywheel-pg-home-'));
    // The stand-in for /var/lib/flywheel/postgres: root's, passable by others, below sticky /tmp.
    chmodSync(scratch, 0o711);
    systemRoot = join(scratch, 'system', 'postgres');
    const privateParent = mkdtempSync(join(scratch, 'private-'));
    dataDir = join(privateParent, 'data');
  });

  afterEach(() => rmSync(scratch, { recursive: true, force: true }));

  it("gives PostgreSQL's user a 0700 folder of its own outside the data folder, and opens no parent", () => {
    const parent = join(dataDir, '..');
    const before = statSync(parent).mode;
    // As under the launcher's umask, which must not leave the system folders closed to PostgreSQL's user.
    const umask = process.umask(0o077);
    let home: ReturnType<typeof preparePostgresHome>;
    try {
      home = preparePostgresHome(dataDir, systemRoot);
    } finally {
      process.umask(umask);
    }
    expect([statSync(systemRoot).mode & 0o777, statSync(join(systemRoot, '..')).mode & 0o777]).toEqual([0o711, 0o711]);

    expect(home.outsideDataDir).toBe(true);
    expect(home.dir.startsWith(`${systemRoot}/`)).toBe(true);
    const stat = statSync(home.dir);
    expect({ uid: stat.uid, mode: stat.mode & 0o777 }).toEqual({ uid: postgresUid(), mode: 0o700 });
    expect(statSync(parent).mode).toBe(before);
    expect(statSync(parent).mode & 0o777).toBe(0o700);
    const idFile = join(dataDir, 'postgres', 'cluster-id');
    expect(statSync(idFile).mode & 0o777).toBe(0o600);
    expect(statSync(join(dataDir, 'postgres')).mode & 0o777).toBe(0o700);
    // The same folder on the next start.
    expect(preparePostgresHome(dataDir, systemRoot)).toEqual(home);
  });

  it('moves a cluster an older version kept inside the data folder', () => {
    mkdirSync(join(dataDir, 'postgres', 'cluster'), { recursive: true });
    writeFileSync(join(dataDir, 'postgres', 'cluster', 'PG_VERSION'), '18\n');
    const home = preparePostgresHome(dataDir, systemRoot);
    expect(readFileSync(join(home.dir, 'cluster', 'PG_VERSION'), 'utf8')).toBe('18\n');
    expect(existsSync(join(dataDir, 'postgres', 'cluster'))).toBe(false);
  });

  it('removes the data folder and the PostgreSQL folder it keeps elsewhere', () => {
    const home = preparePostgresHome(dataDir, systemRoot);
    removeDataFolder(dataDir, systemRoot);
    expect([existsSync(dataDir), existsSync(home.dir), existsSync(systemRoot)]).toEqual([false, false, true]);
  });

  it('refuses a cluster id that is not one it wrote', () => {
    mkdirSync(join(dataDir, 'postgres'), { recursive: true });
    writeFileSync(join(dataDir, 'postgres', 'cluster-id'), '../../etc\n');
    expect(() => preparePostgresHome(dataDir, systemRoot)).toThrow(/cluster-id must hold 32 hexadecimal digits/);
    writeFileSync(join(dataDir, 'postgres', 'cluster-id'), 'a'.repeat(10_000_000));
    expect(() => preparePostgresHome(dataDir, systemRoot)).toThrow(/must hold 32 hexadecimal digits, not "\(too large\)"/);
    // Not a way to make the data folder's removal delete elsewhere either.
    expect(() => removeDataFolder(dataDir, systemRoot)).toThrow(/cluster-id must hold/);
  });

  it('refuses a system folder that another user could swap or the postgres user could not reach', () => {
    const closed = mkdtempSync(join(scratch, 'closed-'));
    expect(() => preparePostgresHome(dataDir, join(closed, 'postgres'))).toThrow(/closed-\w+ is not searchable by other users/);

    const foreign = join(scratch, 'foreign');
    mkdirSync(foreign, { mode: 0o755 });
    chownSync(foreign, 65534, 65534);
    expect(() => preparePostgresHome(dataDir, join(foreign, 'postgres'))).toThrow(/foreign belongs to uid 65534, not root/);

    const open = join(scratch, 'open');
    mkdirSync(open);
    chmodSync(open, 0o777);
    expect(() => preparePostgresHome(dataDir, join(open, 'postgres'))).toThrow(/open may be written by other users/);

    symlinkSync(foreign, join(scratch, 'link'));
    expect(() => preparePostgresHome(dataDir, join(scratch, 'link'))).toThrow(/link is not a folder/);
  });
});
