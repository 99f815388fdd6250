#!/usr/bin/env node
// Part of `npm run generate`: writes libs/contracts/src/generated/file-descriptor-set.binpb, the
// google.protobuf.FileDescriptorSet that server reflection answers from. It holds the descriptors
// protoc-compatible tools expect (real file names, imports, proto field names, json_name, map
// entries), which @grpc/proto-loader cannot give back: Flywheel's files with every import they pull
// in (google/protobuf/*.proto included), then the gRPC health and reflection protos that every
// service also serves, under their canonical names.
const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

const repoRoot = path.resolve(__dirname, '..', '..', '..');
const buf = path.join(repoRoot, 'node_modules', '.bin', 'buf');
const output = path.join(repoRoot, 'libs', 'contracts', 'src', 'generated', 'file-descriptor-set.binpb');

function fail(message) {
  process.stderr.write(`build-descriptor-set: ${message}\n`);
  process.exit(1);
}

// Source info (comments, spans) would triple every reflection answer; clients resolve types without it.
function build(input) {
  const result = spawnSync(buf, ['build', input, '--exclude-source-info', '--as-file-descriptor-set', '-o', '-#format=binpb'], {
    cwd: repoRoot,
    maxBuffer: 64 * 1024 * 1024,
  });
  if (result.error) fail(`could not run ${buf}: ${result.error.message}`);
  if (result.status !== 0) fail(`buf build ${input} failed:\n${result.stderr.toString()}`);
  return result.stdout;
}

// The npm packages keep these protos under other paths (health/v1/health.proto); reflection
// clients know them by the names grpc-go and grpc-java register.
function grpcInfrastructureProtos() {
  const reflectionProtoRoot = path.join(path.dirname(require.resolve('@grpc/reflection', { paths: [repoRoot] })), '..', 'proto');
  const healthProto = require(require.resolve('grpc-health-check', { paths: [repoRoot] })).protoPath;
  return [
    { name: 'grpc/health/v1/health.proto', source: healthProto },
    { name: 'grpc/reflection/v1/reflection.proto', source: path.join(reflectionProtoRoot, 'grpc/reflection/v1/reflection.proto') },
    {
      name: 'grpc/reflection/v1alpha/reflection.proto',
      source: path.join(reflectionProtoRoot, 'grpc/reflection/v1alpha/reflection.proto'),
    },
  ];
}

function main() {
  const staging = fs.mkdtempSync(path.join(os.tmpdir(), 'flywheel-descriptors-'));
  try {
    for (const proto of grpcInfrastructureProtos()) {
      fs.mkdirSync(path.join(staging, path.dirname(proto.name)), { recursive: true });
      fs.copyFileSync(proto.source, path.join(staging, proto.name));
    }
    // Concatenated FileDescriptorSets are one set: `file` is a repeated field.
    const set = Buffer.concat([build('proto'), build(staging)]);
    fs.mkdirSync(path.dirname(output), { recursive: true });
    fs.writeFileSync(output, set);
    process.stdout.write(`build-descriptor-set: ${path.relative(repoRoot, output)} (${set.length} bytes)\n`);
  } finally {
    fs.rmSync(staging, { recursive: true, force: true });
  }
}

main();
