import { writeFile } from 'node:fs/promises';
import { loadModel } from '@flywheel/ml';
import { artifactKind, exportModel } from '@flywheel/onnx';
import { type Command } from '../../command';
import { UsageError } from '../../errors';
import { downloadBytes, formatBytes } from '../../grpc/download';
import { table, toJson } from '../../output';
import { CONNECTION_DETAILS, connectionOptions, withRegistry } from './registry-connection';

export const exportCommand: Command = {
  kind: 'command',
  name: 'export',
  summary: 'Write a version as an ONNX graph (ai.onnx.ml opset 3) that any ONNX runtime serves.',
  usage: '<model> <version|alias> [--format onnx] [--out <file.onnx>] [--address <host:port>] [--json]',
  positionals: [
    { name: 'model', required: true, description: 'the model' },
    { name: 'version', required: true, description: 'a version number, or an alias such as production' },
  ],
  options: {
    format: { type: 'string', value: 'onnx', description: 'the format to write; onnx is the one there is' },
    out: { type: 'string', value: 'file.onnx', description: 'where to write it (default <model>-v<version>.onnx)' },
    ...connectionOptions,
  },
  details:
    'The graph takes one [N, 1] input per feature (doubles for numeric features, NaN for missing; strings for ' +
    'categorical ones, "" for missing), applies the fitted preprocessing and answers `label` and `probabilities` ' +
    '(classifiers) or `variable` (regression), the predictions Flywheel serves to 1e-5. ' +
    CONNECTION_DETAILS,
  async run(options, io) {
    const format = options.string('format') ?? 'onnx';
    if (format !== 'onnx') throw new UsageError(`--format: "${format}" is not a format models export to (onnx)`);
    const modelName = options.positional('model');
    const which = options.positional('version');
    const selector = /^\d+$/.test(which) ? { version: Number(which) } : { alias: which };
    const { version, bytes } = await withRegistry(options, async (client) => {
      const { version: found } = await client.getModelVersion({ modelName, ...selector });
      const read = await downloadBytes(
        async (offset) => (await client.readModelArtifact({ modelName, version: found!.version, offset, maxBytes: 0 })).chunk,
        io,
      );
      return { version: found!.version, bytes: read.bytes };
    });
    // An imported version is already the ONNX graph it is served as.
    if (artifactKind(bytes) === 'onnx')
      throw new UsageError(`${modelName} v${version} is an imported ONNX graph: flywheel models download writes it as it is served`);
    const onnx = exportModel(loadModel(bytes.toString('utf8')).artifact, { modelName, version });
    const out = options.string('out') ?? `${modelName}-v${version}.onnx`;
    await writeFile(out, onnx);
    if (options.flag('json')) return io.stdout(toJson({ file: out, model: modelName, version, format, sizeBytes: onnx.length }));
    io.stdout(`${table(['file', 'model', 'version', 'format', 'size'], [[out, modelName, version, 'onnx', formatBytes(onnx.length)]])}\n`);
  },
};
