// `npm run bench [filter]`: runs the `bench/*.bench.ts` of the libraries and services, one
// process each so that one benchmark's heap and timers cannot colour the next.
import { spawnSync } from 'node:child_process';
import { readdirSync, existsSync } from 'node:fs';
import { basename, join, relative, resolve } from 'node:path';

const root = resolve(__dirname, '../../..');
const filter = process.argv[2] ?? '';
const files: string[] = [];
// Every project (a folder with a project.json, possibly grouped, e.g. libs/devstack/kafka-broker)
// may keep its benchmarks in its own bench/ folder.
function collectBenchmarks(dir: string, depth: number): void {
  if (existsSync(join(dir, 'project.json'))) {
    const benchDir = join(dir, 'bench');
    if (existsSync(benchDir)) for (const file of readdirSync(benchDir)) if (file.endsWith('.bench.ts')) files.push(join(benchDir, file));
    return;
  }
  if (depth === 0) return;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (entry.isDirectory() && entry.name !== 'node_modules') collectBenchmarks(join(dir, entry.name), depth - 1);
  }
}
for (const area of ['libs', 'services']) if (existsSync(join(root, area))) collectBenchmarks(join(root, area), 2);
// A benchmark named exactly (`training` for training.bench.ts) runs alone; otherwise every path containing the filter.
const named = files.filter((f) => basename(f) === `${filter}.bench.ts`);
const selected = named.length ? named : files.filter((f) => relative(root, f).includes(filter));
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
