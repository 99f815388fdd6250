// Adds lockfile entries for optional, platform-specific packages that the npm registry mirror
// of our build machines does not serve (other operating systems' native binaries). npm records
// an optional dependency it cannot fetch as a hole, and `npm ci` then refuses the lockfile as
// "out of sync". An entry with the package's os/cpu lets `npm ci` validate the tree and skip the
// package on platforms it is not for, as it would with a complete lockfile.
// Run after changing dependencies: node .ci/complete-lockfile.mjs
import { readFileSync, writeFileSync } from 'node:fs';

const file = new URL('../package-lock.json', import.meta.url);
const lock = JSON.parse(readFileSync(file, 'utf8'));
const packages = lock.packages;
const OS = /(darwin|linux|win32|android|freebsd|openharmony|sunos|aix)/;
const CPU = /(arm64|aarch64|x64|ia32|armv7|arm|ppc64|s390x|riscv64|loong64)/;

let added = 0;
for (const entry of Object.values(packages)) {
  for (const [name, version] of Object.entries(entry.optionalDependencies ?? {})) {
    const key = `node_modules/${name}`;
    if (packages[key]) continue;
    const base = name.split('/').pop();
    const os = OS.exec(base)?.[1];
    const cpu = CPU.exec(os ? base.replace(os, '') : base)?.[1];
    packages[key] = {
      version,
      ...(entry.dev ? { dev: true } : {}),
      optional: true,
      ...(os ? { os: [os] } : {}),
      ...(cpu ? { cpu: [cpu === 'aarch64' ? 'arm64' : cpu === 'armv7' ? 'arm' : cpu] } : {}),
    };
    added++;
  }
}
lock.packages = Object.fromEntries(
  Object.entries(packages).sort(([a], [b]) => (a === '' ? -1 : b === '' ? 1 : a < b ? -1 : a > b ? 1 : 0)),
);
writeFileSync(file, `${JSON.stringify(lock, null, 2)}\n`);
console.log(`complete-lockfile: added ${added} optional platform entr${added === 1 ? 'y' : 'ies'}`);
