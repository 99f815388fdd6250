import { join } from 'node:path';
import { writePrivateFile } from '@flywheel/platform';

/** Where a new admin token goes when `npm start`'s output is not a terminal. */
export const ADMIN_TOKEN_FILE = 'admin-token';

/** Either a person watching a terminal, or a file only the platform's user can read. */
export type AdminTokenDestination = { terminal: true } | { file: string };

/**
 * The first start's admin token is the key to every API. On a terminal it is shown once; when
 * the output goes anywhere else (`npm start > log`, a CI log, a service manager's journal) it
 * would outlive the moment in a file others may read, so only the path of a 0600 file is printed.
 */
export function adminTokenLines(token: string, destination: AdminTokenDestination): string[] {
  const usage = 'Use it as gRPC metadata "authorization: Bearer <token>" or FLYWHEEL_TOKEN for the flywheel command.';
  if ('terminal' in destination) return ['', 'Admin token (shown once; it is stored only as a hash):', '', `    ${token}`, '', usage];
  return [
    '',
    `Admin token written to ${destination.file} (mode 0600; output is not a terminal, so it is not printed).`,
    'Keep it in your secret store, then delete the file: the platform keeps only its hash.',
    usage,
  ];
}

/** Writes the token to `<dataDir>/admin-token`, mode 0600, and returns the file's path. */
export function saveAdminToken(dataDir: string, token: string): string {
  const file = join(dataDir, ADMIN_TOKEN_FILE);
  writePrivateFile(file, `${token}\n`);
  return file;
}
