import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';

/** Credentials of the embedded infrastructure, generated on first start and kept for the next. */
export interface LauncherSecrets {
  postgresPassword: string;
  s3AccessKey: string;
  s3SecretKey: string;
}

const random = (bytes: number) => randomBytes(bytes).toString('base64url');

/**
 * No fixed default password anywhere: the first start generates every credential and stores
 * it (mode 0600) in the data folder, so a restart finds its databases and objects again.
 */
export function loadOrCreateSecrets(file: string): LauncherSecrets {
  if (existsSync(file)) return JSON.parse(readFileSync(file, 'utf8')) as LauncherSecrets;
  const secrets: LauncherSecrets = {
    postgresPassword: random(24),
    s3AccessKey: `FW${randomBytes(9).toString('hex').toUpperCase()}`,
    s3SecretKey: random(30),
  };
  writeFileSync(`${file}.tmp`, JSON.stringify(secrets, null, 2), { mode: 0o600 });
  renameSync(`${file}.tmp`, file);
  return secrets;
}
