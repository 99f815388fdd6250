import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { writePrivateFile } from '@flywheel/platform';
import { SERVICES, type ServiceName } from './service-catalog';

/** Credentials of the embedded infrastructure, generated on first start and kept for the next. */
export interface LauncherSecrets {
  /** PostgreSQL's superuser: only the launcher uses it, to create each service's role and database. */
  postgresPassword: string;
  s3AccessKey: string;
  s3SecretKey: string;
  /** Each service's own PostgreSQL role's password. */
  databasePasswords: Record<ServiceName, string>;
}

/** The file holds a few short strings; anything larger is not ours. */
const MAX_SECRETS_FILE_BYTES = 64 * 1024;

const random = (bytes: number) => randomBytes(bytes).toString('base64url');

/**
 * No fixed default password anywhere: the first start generates every credential and stores
 * it (mode 0600) in the data folder, so a restart finds its databases and objects again. A file
 * from an older version is completed with the credentials it lacks.
 */
export function loadOrCreateSecrets(file: string): LauncherSecrets {
  const stored = existsSync(file) ? readSecretsFile(file) : {};
  const databasePasswords = { ...stored.databasePasswords } as Record<ServiceName, string>;
  for (const service of SERVICES) databasePasswords[service] ??= random(24);
  const secrets: LauncherSecrets = {
    postgresPassword: stored.postgresPassword ?? random(24),
    s3AccessKey: stored.s3AccessKey ?? `FW${randomBytes(9).toString('hex').toUpperCase()}`,
    s3SecretKey: stored.s3SecretKey ?? random(30),
    databasePasswords,
  };
  const text = JSON.stringify(secrets, null, 2);
  if (text !== JSON.stringify(stored, null, 2)) writePrivateFile(file, text);
  return secrets;
}

/** Only strings of a safe alphabet: they go into URLs and SQL literals. */
const SECRET = /^[A-Za-z0-9_-]{16,128}$/;

function readSecretsFile(file: string): Partial<LauncherSecrets> {
  const size = statSync(file).size;
  if (size > MAX_SECRETS_FILE_BYTES)
    throw new Error(`${file} is ${size} bytes, more than a secrets file can be (${MAX_SECRETS_FILE_BYTES})`);
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(file, 'utf8'));
  } catch (error) {
    throw new Error(`${file} is not JSON (${(error as Error).message}); remove it only together with the data it unlocks`);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new Error(`${file} must hold a JSON object`);
  const record = parsed as Record<string, unknown>;
  const check = (where: string, value: unknown) => {
    if (value !== undefined && (typeof value !== 'string' || !SECRET.test(value))) {
      throw new Error(`${file}: ${where} must be 16 to 128 characters of A-Z a-z 0-9 _ -`);
    }
  };
  for (const key of ['postgresPassword', 's3AccessKey', 's3SecretKey']) check(key, record[key]);
  const passwords = record.databasePasswords;
  if (passwords !== undefined) {
    if (typeof passwords !== 'object' || passwords === null || Array.isArray(passwords)) {
      throw new Error(`${file}: databasePasswords must be an object`);
    }
    for (const service of SERVICES) check(`databasePasswords.${service}`, (passwords as Record<string, unknown>)[service]);
  }
  return record as Partial<LauncherSecrets>;
}
