import { type trainerV1 } from '@flywheel/contracts';
import { type PositionalSpec } from '../../args';
import { type Command } from '../../command';
import { CONNECTION_DETAILS, withService, connectionOptions, Targets } from '../../grpc/service-connection';
import { table, toJson } from '../../output';
import { flatten } from '../../project/field-diff';
import { withGrpcPlatformState } from '../../project/grpc-platform-state';
import { withProblemsShown } from '../../project/project.commands';
import { parseSettings, setPolicies } from './policies-set';
import { POLICY_SECTIONS, policySections, readPolicies } from './policy-sections';

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
    const policies = await withGrpcPlatformState((platform) => readPolicies(platform, model));
    if (options.flag('json')) return io.stdout(toJson(policies));
    const sections = Object.entries(policySections(policies));
    const rows = sections.flatMap(([section, shape]) =>
      shape ? [...flatten(shape)].map(([field, value]) => [`${section}.${field}`, value]) : [[section, '(none)']],
    );
    io.stdout(`${table(['field', 'value'], rows)}\n`);
  },
};

export const setCommand: Command = {
  kind: 'command',
  name: 'set',
  summary: "Change fields of a model's training spec and policies, as `flywheel apply` does with a project file that sets only them.",
  usage: '--set <section.field=value> ... [--dry-run] [--json]',
  positionals: [modelPositional],
  options: {
    set: {
      type: 'string',
      multiple: true,
      required: true,
      value: 'section.field=value',
      description: 'a field as `policies show` names it, and its value: --set promotion.minAbsoluteImprovement=0.01',
    },
    'dry-run': { type: 'boolean', description: 'show the plan and apply nothing' },
    json: { type: 'boolean', description: 'print one JSON document' },
  },
  details: [
    `A section is one of ${POLICY_SECTIONS.join(', ')}; its fields are named as \`policies show\``,
    'prints them and as a model in a project file writes them: promotion.minHoldoutRows, training.search.strategy,',
    'monitoring.featureTests[tenure].test. A value is read as YAML reads it there: 0.01, false, 1h, [a, b],',
    '{feature: tenure, test: ks}. The fields are planned and applied as `flywheel apply` applies a project file naming',
    "the model and only the fields set: a policy's other fields keep the platform's values, and the training spec's",
    "others the applied spec's. The plan is printed as `flywheel plan` prints it, then applied (not with --dry-run).",
    'The model must be registered (`flywheel apply` creates models). Exits 2 for a bad --set or a refused plan, 3',
    `when applying fails part way. The services are found at their address variables or on localhost. ${CONNECTION_DETAILS}`,
  ].join('\n'),
  async run(options, io) {
    const model = options.positional('model');
    const settings = await withProblemsShown(io, () => parseSettings(options.all('set')));
    const flags = { dryRun: options.flag('dry-run'), json: options.flag('json') };
    await withGrpcPlatformState((platform) => setPolicies(model, settings, platform, flags, io));
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
