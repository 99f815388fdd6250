import { type trainerV1 } from '@flywheel/contracts';
import { type PositionalSpec } from '../../args';
import { type Command } from '../../command';
import { CONNECTION_DETAILS, withService, connectionOptions, Targets } from '../../grpc/service-connection';
import { table, toJson } from '../../output';
import { flatten } from '../../project/field-diff';
import { withGrpcPlatformState } from '../../project/grpc-platform-state';
import { monitoringShape, promotionShape, retrainingShape, trainingShape } from '../../project/project-shapes';

const modelPositional: PositionalSpec = { name: 'model', required: true, description: 'the model' };

export const showCommand: Command = {
  kind: 'command',
  name: 'show',
  summary: "Show a model's training spec and its promotion, retraining and monitoring policies, in project-file terms.",
  usage: '[--json]',
  positionals: [modelPositional],
  options: { json: { type: 'boolean', description: 'print one JSON document' } },
  details: [
    'Fields are named as a project file names them (models[].training, .promotion, .retraining, .monitoring), so',
    'what is shown can be copied into one and applied (`flywheel apply`). Values the platform filled in are its',
    `defaults. The services are found at their address variables or on localhost. ${CONNECTION_DETAILS}`,
  ].join('\n'),
  async run(options, io) {
    const model = options.positional('model');
    const policies = await withGrpcPlatformState(async (platform) => {
      const [promotion, retraining, monitoring] = await Promise.all([
        platform.promotionPolicy(model),
        platform.retrainingPolicy(model),
        platform.monitoringPolicy(model),
      ]);
      return { promotion, retraining, monitoring };
    });
    if (options.flag('json')) return io.stdout(toJson(policies));
    const sections: [string, Record<string, unknown> | undefined][] = [
      ['training', policies.retraining?.spec && trainingShape(policies.retraining.spec)],
      ['promotion', policies.promotion && promotionShape(policies.promotion)],
      ['retraining', policies.retraining && retrainingShape(policies.retraining)],
      ['monitoring', policies.monitoring && monitoringShape(policies.monitoring)],
    ];
    const rows = sections.flatMap(([section, shape]) =>
      shape ? [...flatten(shape)].map(([field, value]) => [`${section}.${field}`, value]) : [[section, '(none)']],
    );
    io.stdout(`${table(['field', 'value'], rows)}\n`);
  },
};

const OUTCOMES: Record<number, string> = { 1: 'acted', 2: 'declined' };
const time = (d: Date | undefined) => (d ? new Date(d).toISOString().replace(/\.\d{3}Z$/, 'Z') : '-');

export const decisionsCommand: Command = {
  kind: 'command',
  name: 'decisions',
  summary: 'What the retraining policy decided on each drift or degradation event, newest first, and why.',
  usage: '[--limit <n>] [--address <host:port>] [--json]',
  positionals: [modelPositional],
  options: {
    limit: { type: 'string', value: 'n', description: 'at most n rows (default 20)' },
    ...connectionOptions(Targets.trainer),
  },
  details: CONNECTION_DETAILS,
  async run(options, io) {
    const modelName = options.positional('model');
    const pageSize = options.number('limit', { integer: true, min: 1, max: 1000 }) ?? 20;
    const { decisions } = await withService<trainerV1.TrainerServiceController, trainerV1.ListRetrainingDecisionsResponse>(
      Targets.trainer,
      options,
      (client) => client.listRetrainingDecisions({ modelName, page: { pageSize, pageToken: '' } }),
    );
    if (options.flag('json')) return io.stdout(toJson(decisions));
    io.stdout(
      `${table(
        ['decided', 'trigger', 'outcome', 'run', 'why'],
        decisions.map((d) => [
          time(d.decideTime),
          d.triggerEventType.replace(/^flywheel\.\w+\.v1\./, '') || '-',
          OUTCOMES[d.outcome] ?? '-',
          d.runId ? d.runId.slice(0, 8) : '-',
          d.reasons.join('; ') || '-',
        ]),
      )}\n`,
    );
  },
};
