#!/usr/bin/env node
// `npm run proto:breaking`: buf breaking (FILE rules) of the working tree's proto/ against
// main's. Until main has a proto/ there is nothing to break, and that is said, not failed.
const { spawnSync } = require('node:child_process');
const path = require('node:path');

const BRANCH = process.env.PROTO_BREAKING_BRANCH || 'main';
const repoRoot = path.resolve(__dirname, '..', '..', '..');
const buf = path.join(repoRoot, 'node_modules', '.bin', 'buf');

function git(args) {
  return spawnSync('git', args, { cwd: repoRoot, encoding: 'utf8' });
}

const gitDir = git(['rev-parse', '--path-format=absolute', '--git-common-dir']);
if (gitDir.status !== 0) {
  console.log('proto:breaking: SKIPPED, not inside a git repository, so there is no main to compare against.');
  process.exit(0);
}

// A CI checkout may only have the remote-tracking branch.
const candidates = [
  { ref: `refs/heads/${BRANCH}`, input: `branch=${BRANCH}` },
  { ref: `refs/remotes/origin/${BRANCH}`, input: `ref=origin/${BRANCH}` },
];
const base = candidates.find((c) => git(['rev-parse', '--verify', '--quiet', c.ref]).status === 0);
if (!base) {
  console.log(`proto:breaking: SKIPPED, no ${BRANCH} branch (local or origin) to compare against.`);
  process.exit(0);
}
if (git(['cat-file', '-e', `${base.ref}:proto/buf.yaml`]).status !== 0) {
  console.log(`proto:breaking: SKIPPED, ${BRANCH} has no proto/buf.yaml yet; the first contracts cannot break anything.`);
  process.exit(0);
}

const against = `${gitDir.stdout.trim()}#${base.input},subdir=proto`;
console.log(`proto:breaking: buf breaking proto --against '${against}'`);
const result = spawnSync(buf, ['breaking', 'proto', '--against', against], { cwd: repoRoot, stdio: 'inherit' });
if (result.error) {
  console.error(`proto:breaking: could not run ${buf}: ${result.error.message}`);
  process.exit(1);
}
if (result.status === 0) {
  console.log(`proto:breaking: no breaking change against ${BRANCH}.`);
}
process.exit(result.status ?? 1);
