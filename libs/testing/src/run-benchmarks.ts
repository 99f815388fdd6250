// `npm run bench [filter]`: runs every `bench/*.bench.ts` of the libraries and services, one
// process each so that one benchmark's heap and timers cannot colour the next.
import { spawnSync } from 'node:child_process';
import { readdirSync, existsSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';

const root = resolve(__dirname, '../../..');
const filter = process.argv[2] ?? '';
const files: string[] = [];
for (const area of ['libs', 'services']) {
  const areaDir = join(root, area);
  if (!existsSync(areaDir)) continue;
  for (const project of readdirSync(areaDir)) {
    const benchDir = join(areaDir, project, 'bench');
    if (!existsSync(benchDir)) continue;
    for (const file of readdirSync(benchDir)) if (file.endsWith('.bench.ts')) files.push(join(benchDir, file));
  }
}
const selected = files.filter((f) => relative(root, f).includes(filter));
if (selected.length === 0) {
  process.stderr.write(`no benchmark matches "${filter}"\n`);
  process.exit(2);
}
let failed = 0;
for (const file of selected) {
  process.stdout.write(`\n### ${relative(root, file)}\n`);
  const result = spawnSync(process.execPath, ['-r', '@swc-node/register', file], { cwd: root, stdio: 'inherit' });
  if (result.status !== 0) failed++;
}
process.exit(failed ? 1 : 0);
