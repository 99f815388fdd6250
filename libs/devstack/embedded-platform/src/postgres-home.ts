import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, chownSync, existsSync, lstatSync, mkdirSync, readFileSync, renameSync, rmSync, statSync } from 'node:fs';
import { dirname, join, parse } from 'node:path';
import { PRIVATE_DIR_MODE } from '@flywheel/dev-server-kit';
import { writePrivateFile } from '@flywheel/platform';

/**
 * Where, as root, the PostgreSQL clusters live: PostgreSQL refuses to run as root and runs as the
 * `postgres` OS user, which cannot enter the data folder (0700, root's) and perhaps not its
 * parents either (a `mktemp -d`, root's home). Nothing outside the data folder is opened for it:
 * each cluster gets a folder of its own here instead, owned by that user, 0700.
 */
export const DEFAULT_POSTGRES_ROOT = '/var/lib/flywheel/postgres';

/** The OS user PostgreSQL runs as when the launcher is root (embedded-postgres's choice). */
const POSTGRES_OS_USER = 'postgres';

/** The id of the data folder's cluster under the system folder (as root), kept in the data folder. */
const CLUSTER_ID = /^[0-9a-f]{32}$/;

export interface PostgresHome {
  /** The folder of PostgreSQL's own files: the cluster (`cluster/`) and, while it is initialised, the password file. */
  dir: string;
  /** Where it is when not in the data folder, to tell the user. */
  outsideDataDir: boolean;
}

const clusterIdFile = (dataDir: string) => join(dataDir, 'postgres', 'cluster-id');

/** The id kept in the data folder, '' when there is none yet. */
function readClusterId(dataDir: string): string {
  const file = clusterIdFile(dataDir);
  if (!existsSync(file)) return '';
  // 32 digits and a newline: anything much larger is not a file the launcher wrote.
  const id = statSync(file).size > 64 ? '(too large)' : readFileSync(file, 'utf8').trim();
  if (id && !CLUSTER_ID.test(id)) throw new Error(`${file} must hold 32 hexadecimal digits, not "${id.slice(0, 40)}"`);
  return id;
}

/**
 * Prepares PostgreSQL's folder for the data folder `dataDir`: `<dataDir>/postgres`, 0700, for an
 * ordinary user; as root, `<systemRoot>/<id>`, owned by the `postgres` OS user (created when
 * missing), 0700, with `<id>` kept in `<dataDir>/postgres/cluster-id`. A cluster that an older
 * version kept inside the data folder is moved there.
 */
export function preparePostgresHome(dataDir: string, systemRoot = DEFAULT_POSTGRES_ROOT): PostgresHome {
  const inDataDir = join(dataDir, 'postgres');
  mkdirSync(inDataDir, { recursive: true, mode: PRIVATE_DIR_MODE });
  if (process.getuid?.() !== 0) return { dir: inDataDir, outsideDataDir: false };

  const owner = postgresOsUser();
  ensureSystemRoot(systemRoot);
  let id = readClusterId(dataDir);
  if (!id) {
    id = randomBytes(16).toString('hex');
    writePrivateFile(clusterIdFile(dataDir), `${id}\n`);
  }
  const dir = join(systemRoot, id);
  if (!existsSync(dir)) mkdirSync(dir, { mode: PRIVATE_DIR_MODE });
  const stat = lstatSync(dir);
  if (!stat.isDirectory()) throw new Error(`${dir} must be a folder, not a link or a file`);
  chownSync(dir, owner.uid, owner.gid);
  chmodSync(dir, PRIVATE_DIR_MODE);

  const legacy = join(inDataDir, 'cluster');
  if (existsSync(join(legacy, 'PG_VERSION')) && !existsSync(join(dir, 'cluster'))) {
    try {
      renameSync(legacy, join(dir, 'cluster'));
    } catch (error) {
      throw new Error(
        `the PostgreSQL cluster in ${legacy} must move to ${join(dir, 'cluster')}, where the postgres user can reach it ` +
          `without any folder above the data folder being opened (${(error as Error).message}); move it there by hand`,
      );
    }
  }
  return { dir, outsideDataDir: true };
}

/** Where the PostgreSQL cluster of a prepared data folder is, without touching anything. */
export function postgresClusterOf(dataDir: string, systemRoot = DEFAULT_POSTGRES_ROOT): string {
  const id = readClusterId(dataDir);
  return id ? join(systemRoot, id, 'cluster') : join(dataDir, 'postgres', 'cluster');
}

/** Removes a data folder and, as root, the PostgreSQL folder it keeps outside (stop the platform first). */
export function removeDataFolder(dataDir: string, systemRoot = DEFAULT_POSTGRES_ROOT): void {
  const id = readClusterId(dataDir);
  if (id) rmSync(join(systemRoot, id), { recursive: true, force: true });
  rmSync(dataDir, { recursive: true, force: true });
}

/**
 * Every folder from `/` down to `root` must be root's, written by no one else (a sticky
 * folder such as /tmp aside, where no one can replace root's entries), and searchable by
 * others, so that the postgres user can reach its folder and no one can swap it. Missing
 * folders are created 0711: passable, not listable.
 */
function ensureSystemRoot(root: string): void {
  // The umask (077 in the launcher) would take the others' search bit off: set it on what was created.
  const created = mkdirSync(root, { recursive: true, mode: 0o711 });
  for (let dir = root; created !== undefined; dir = dirname(dir)) {
    chmodSync(dir, 0o711);
    if (dir === created) break;
  }
  for (let dir = root; ; dir = dirname(dir)) {
    const stat = lstatSync(dir);
    const problem = !stat.isDirectory()
      ? 'is not a folder (a link or a file)'
      : stat.uid !== 0
        ? `belongs to uid ${stat.uid}, not root`
        : (stat.mode & 0o022) !== 0 && (stat.mode & 0o1000) === 0
          ? 'may be written by other users'
          : (stat.mode & 0o001) === 0
            ? 'is not searchable by other users, so the postgres user cannot reach below it'
            : undefined;
    if (problem) throw new Error(`PostgreSQL's clusters go below ${root} when run as root, but ${dir} ${problem}`);
    if (dir === parse(dir).root) break;
  }
}

/** The `postgres` OS user, created (a system user without a login) when the machine has none. */
function postgresOsUser(): { uid: number; gid: number } {
  const lookUp = () => ({
    uid: Number(execFileSync('id', ['-u', POSTGRES_OS_USER], { encoding: 'utf8', stdio: 'pipe' }).trim()),
    gid: Number(execFileSync('id', ['-g', POSTGRES_OS_USER], { encoding: 'utf8', stdio: 'pipe' }).trim()),
  });
  try {
    return lookUp();
  } catch {
    execFileSync('useradd', ['--system', '--user-group', '--no-create-home', '--shell', '/usr/sbin/nologin', POSTGRES_OS_USER], {
      stdio: 'pipe',
    });
    return lookUp();
  }
}

/**
 * initdb reads the superuser's password from a file: written 0600 in PostgreSQL's own folder and
 * given to the folder's owner (the user initdb runs as), never in a shared temporary folder.
 * Returns the file; the caller removes it once the cluster is initialised.
 */
export function writeInitdbPasswordFile(home: string, password: string): string {
  const file = join(home, `initdb-password-${randomBytes(6).toString('hex')}`);
  writePrivateFile(file, `${password}\n`);
  const { uid, gid } = statSync(home);
  if (uid !== process.getuid?.()) chownSync(file, uid, gid);
  return file;
}
