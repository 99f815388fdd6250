import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { protoRoot } from '@flywheel/contracts';
import { ECHO_PROTO_PATH } from './echo-app';

/** Where echo.proto would live if it were one of proto/'s files, which is how reflection names it. */
export const ECHO_PROTO_FILE_NAME = 'flywheel/platformtest/v1/echo.proto';
const OPTIONS_PROTO = 'flywheel/common/v1/options.proto';

let built: Uint8Array | undefined;

/**
 * echo.proto compiled by `buf build` into a FileDescriptorSet for reflection, without its imports:
 * the contracts' set already holds them.
 */
export function echoDescriptorSet(): Uint8Array {
  if (built) return built;
  const staging = mkdtempSync(join(tmpdir(), 'flywheel-echo-proto-'));
  try {
    for (const [source, name] of [
      [ECHO_PROTO_PATH, ECHO_PROTO_FILE_NAME],
      [join(protoRoot(), OPTIONS_PROTO), OPTIONS_PROTO],
    ]) {
      mkdirSync(join(staging, dirname(name)), { recursive: true });
      copyFileSync(source, join(staging, name));
    }
    const buf = join(protoRoot(), '..', 'node_modules', '.bin', 'buf');
    const args = ['build', staging, '--exclude-imports', '--exclude-source-info', '--as-file-descriptor-set', '-o', '-#format=binpb'];
    const result = spawnSync(buf, args, { maxBuffer: 16 * 1024 * 1024 });
    if (result.error) throw result.error;
    if (result.status !== 0) throw new Error(`buf build of echo.proto failed: ${result.stderr.toString()}`);
    built = new Uint8Array(result.stdout);
    return built;
  } finally {
    rmSync(staging, { recursive: true, force: true });
  }
}
