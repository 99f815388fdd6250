import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { KAFKA_ADMIN_USER, SERVICE_KAFKA_ACCESS } from '@flywheel/contracts';
import { writePrivateFile } from '@flywheel/platform';
import { SERVICES, type ServiceName } from './service-catalog';

/** The embedded broker's SCRAM users the launcher keeps passwords for: the admin and each service. */
const KAFKA_USERS = [KAFKA_ADMIN_USER, ...Object.values(SERVICE_KAFKA_ACCESS).map((access) => access.user)];

/** Credentials of the embedded infrastructure, generated on first start and kept for the next. */
export interface LauncherSecrets {
  /** PostgreSQL's superuser: only the launcher uses it, to create each service's role and database. */
  postgresPassword: string;
  s3AccessKey: string;
  s3SecretKey: string;
  /** Each service's own PostgreSQL role's password. */
  databasePasswords: Record<ServiceName, string>;
  /** The embedded broker's users' passwords, by SCRAM user name: the admin's and each service's. */
  kafkaPasswords: Record<string, string>;
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
  const kafkaPasswords = { ...stored.kafkaPasswords };
  for (const user of KAFKA_USERS) kafkaPasswords[user] ??= random(32);
  const secrets: LauncherSecrets = {
    postgresPassword: stored.postgresPassword ?? random(24),
    s3AccessKey: stored.s3AccessKey ?? `FW${randomBytes(9).toString('hex').toUpperCase()}`,
    s3SecretKey: stored.s3SecretKey ?? random(30),
    databasePasswords,
    kafkaPasswords,
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
  const checkEach = (key: string, names: readonly string[]) => {
    const passwords = record[key];
    if (passwords === undefined) return;
    if (typeof passwords !== 'object' || passwords === null || Array.isArray(passwords))
      throw new Error(`${file}: ${key} must be an object`);
    for (const name of names) check(`${key}.${name}`, (passwords as Record<string, unknown>)[name]);
  };
  checkEach('databasePasswords', SERVICES);
  checkEach('kafkaPasswords', KAFKA_USERS);
  return record as Partial<LauncherSecrets>;
}
