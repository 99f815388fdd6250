import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { type BrokerSecurity } from '@flywheel/contracts';
import { parseBrokerSecurity } from './broker-security';

/** A users file holds a few users and ACLs: anything larger is not one. */
export const MAX_USERS_FILE_BYTES = 1024 * 1024;

/**
 * Reads the broker's users file (users with passwords, ACLs, super users) as `npm run broker
 * --users-file` takes it. It holds passwords, so, like ssh with a private key, the broker
 * refuses a file that its group or other users may read.
 */
export function readUsersFile(path: string): BrokerSecurity {
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch (error) {
    throw new Error(`cannot open users file ${path}: ${(error as Error).message}`);
  }
  try {
    // Checked on the opened file, so that it cannot be swapped between the check and the read.
    const stat = fstatSync(fd);
    if (!stat.isFile()) throw new Error(`users file ${path} is not a regular file`);
    if ((stat.mode & 0o077) !== 0) {
      throw new Error(
        `users file ${path} is readable by others (mode ${(stat.mode & 0o777).toString(8)}); it holds passwords: chmod 600 ${path}`,
      );
    }
    if (stat.size > MAX_USERS_FILE_BYTES) throw new Error(`users file ${path} is ${stat.size} bytes, over ${MAX_USERS_FILE_BYTES}`);
    const buffer = Buffer.alloc(stat.size);
    let read = 0;
    while (read < stat.size) {
      const n = readSync(fd, buffer, read, stat.size - read, read);
      if (n === 0) break;
      read += n;
    }
    let json: unknown;
    try {
      json = JSON.parse(buffer.subarray(0, read).toString('utf8'));
    } catch (error) {
      throw new Error(`users file ${path} is not JSON: ${(error as Error).message}`);
    }
    try {
      return parseBrokerSecurity(json);
    } catch (error) {
      throw new Error(`users file ${path}: ${(error as Error).message}`);
    }
  } finally {
    closeSync(fd);
  }
}
