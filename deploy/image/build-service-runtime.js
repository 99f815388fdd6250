#!/usr/bin/env node
// Compiles one service and lays it out exactly as its container image runs it, so that plain
// `node dist/services/<service>/src/main.js` starts it with no TypeScript loader:
//
//   <out>/dist/services/<service>/src/**.js      the service, compiled
//   <out>/dist/services/<service>/package.json   its manifest (the trainer reads its version)
//   <out>/dist/libs/<lib>/src/**.js              only the libraries the service imports
//   <out>/dist/node_modules/@flywheel/<lib>/     manifests resolving @flywheel/<lib> to the compiled entry
//   <out>/proto/                                 the .proto files the gRPC servers load at runtime
//   <out>/dist/libs/contracts/src/generated/file-descriptor-set.binpb   what server reflection answers
//
// The web console, a library that also runs as a process of its own, is laid out the same way
// from libs/console/tsconfig.app.json: `node dist/libs/console/src/main.js`.
//
// Production dependencies go to <out>/node_modules separately (`npm ci --omit=dev`).
// Usage: node deploy/image/build-service-runtime.js <service | console> <out dir>
const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');

const repoRoot = path.resolve(__dirname, '..', '..');

function fail(message) {
  process.stderr.write(`build-service-runtime: ${message}\n`);
  process.exit(1);
}

function isEmptyOrAbsent(dir) {
  return !fs.existsSync(dir) || fs.readdirSync(dir).length === 0;
}

// In development `@flywheel/<lib>` resolves through tsconfig paths and the workspace links to
// TypeScript sources; compiled code needs a package whose entry is JavaScript. Node looks for
// node_modules in every folder above the requiring file, so dist/node_modules serves the whole tree.
function linkCompiledLibraries(dist) {
  const compiledLibs = path.join(dist, 'libs');
  const linked = [];
  for (const lib of fs.existsSync(compiledLibs) ? fs.readdirSync(compiledLibs) : []) {
    const entry = path.join(compiledLibs, lib, 'src', 'index.js');
    if (!fs.existsSync(entry)) continue;
    const { name, version } = JSON.parse(fs.readFileSync(path.join(repoRoot, 'libs', lib, 'package.json'), 'utf8'));
    const packageDir = path.join(dist, 'node_modules', ...name.split('/'));
    fs.mkdirSync(packageDir, { recursive: true });
    const main = path.relative(packageDir, entry).split(path.sep).join('/');
    fs.writeFileSync(path.join(packageDir, 'package.json'), `${JSON.stringify({ name, version, private: true, main }, null, 2)}\n`);
    linked.push(name);
  }
  return linked;
}

// services/<name>, or else libs/<name> for a library with a process of its own (the console).
function projectDirOf(name) {
  for (const parent of ['services', 'libs']) {
    if (fs.existsSync(path.join(repoRoot, parent, name, 'tsconfig.app.json'))) return path.join(parent, name);
  }
  return path.join('services', name);
}

function main(argv) {
  const [service, outArg] = argv;
  if (!service || !outArg || argv.length !== 2) fail('usage: build-service-runtime.js <service | console> <out dir>');
  if (!/^[a-z][a-z-]*$/.test(service)) fail(`no service "${service}" (services/${service}/tsconfig.app.json)`);
  const projectDir = projectDirOf(service);
  const serviceDir = path.join(repoRoot, projectDir);
  const tsconfig = path.join(serviceDir, 'tsconfig.app.json');
  if (!fs.existsSync(tsconfig))
    fail(`no service "${service}" (services/${service}/tsconfig.app.json, or libs/${service}/tsconfig.app.json)`);
  const out = path.resolve(outArg);
  // Never clears anything: an existing layout would mix stale files into the image.
  if (!isEmptyOrAbsent(out)) fail(`${out} is not empty`);
  const dist = path.join(out, 'dist');

  // The service's own build settings (those of its nx `build` target), into a fresh folder: tsc
  // follows the service's imports, so exactly the libraries it uses are compiled beside it.
  const tsc = require.resolve('typescript/bin/tsc', { paths: [repoRoot] });
  const compiled = spawnSync(process.execPath, [tsc, '-p', tsconfig, '--outDir', dist, '--declaration', 'false', '--sourceMap', 'false'], {
    cwd: repoRoot,
    stdio: 'inherit',
  });
  if (compiled.status !== 0) fail(`tsc -p ${projectDir}/tsconfig.app.json failed`);
  const mainFile = path.join(dist, projectDir, 'src', 'main.js');
  if (!fs.existsSync(mainFile)) fail(`the build produced no ${path.relative(out, mainFile)}`);

  // A service's manifest (the trainer reads its version); a library's points at TypeScript and
  // is replaced by the one linkCompiledLibraries writes.
  if (projectDir.startsWith('services')) {
    fs.copyFileSync(path.join(serviceDir, 'package.json'), path.join(dist, projectDir, 'package.json'));
  }
  const linked = linkCompiledLibraries(dist);
  fs.cpSync(path.join(repoRoot, 'proto'), path.join(out, 'proto'), { recursive: true });
  // tsc emits no data files: server reflection reads this one beside the compiled contracts.
  const descriptorSet = path.join('libs', 'contracts', 'src', 'generated', 'file-descriptor-set.binpb');
  if (fs.existsSync(path.join(dist, 'libs', 'contracts'))) {
    if (!fs.existsSync(path.join(repoRoot, descriptorSet))) fail(`${descriptorSet} is missing: run npm run generate`);
    fs.cpSync(path.join(repoRoot, descriptorSet), path.join(dist, descriptorSet));
  }
  process.stdout.write(`build-service-runtime: ${service} laid out in ${out} (${linked.join(', ')})\n`);
}

main(process.argv.slice(2));
