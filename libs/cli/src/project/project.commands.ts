import { z } from 'zod';
import { type OptionSpecs } from '../args';
import { type Command, type Io } from '../command';
import { UsageError } from '../errors';
import { CONNECTION_DETAILS } from '../grpc/service-connection';
import { toJson } from '../output';
import { withGrpcPlatformState } from './grpc-platform-state';
import { formatPlan, planJson } from './plan-format';
import { type PlatformState } from './platform-state';
import { applyPlan, PartlyAppliedError } from './project-apply';
import { loadProject, ProjectError } from './project-file';
import { planIsApplicable, planProject, type ProjectPlan } from './project-plan';
import { projectSchema } from './project.schema';

const fileOption: OptionSpecs = {
  file: { type: 'string', short: 'f', required: true, value: 'path', description: 'the project: a YAML file, or a folder of them' },
  json: { type: 'boolean', description: 'print one JSON document' },
};

const PROJECT_DETAILS = [
  'A project file lists datasets (with their contracts), featureViews, models (with their training spec and',
  'promotion, retraining and monitoring policies) and deployments (with their canary policy); `flywheel schema`',
  'prints its JSON Schema. A field left out is the platform’s to decide: plan does not compare it, and a new',
  'object gets the default. Feature views and training specs are compared whole. The services are found at',
  'their address variables (INGESTION_GRPC_ADDRESS, FEATURE_STORE_GRPC_ADDRESS, TRAINER_GRPC_ADDRESS,',
  `REGISTRY_GRPC_ADDRESS, DEPLOYER_GRPC_ADDRESS, MONITOR_GRPC_ADDRESS) or on localhost. ${CONNECTION_DETAILS}`,
].join('\n');

/** A project's problems come out one per line, each with its place, before the one-line summary. */
export async function withProblemsShown<T>(io: Io, work: () => T | Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    if (error instanceof ProjectError && error.problems.length > 1) for (const problem of error.problems) io.stderr(`${problem}\n`);
    throw error;
  }
}

const load = (path: string, io: Io) => withProblemsShown(io, () => loadProject(path));

function printPlan(plan: ProjectPlan, json: boolean, io: Io): void {
  io.stdout(json ? toJson(planJson(plan)) : formatPlan(plan));
}

function refusal(plan: ProjectPlan, outcome: string): UsageError {
  const refused = plan.objects.filter((o) => o.action === 'refused');
  const first = refused[0] ? `${refused[0].kind} ${refused[0].name}: ${refused[0].reason}` : plan.problems[0];
  const count = refused.length + plan.problems.length;
  return new UsageError(`${outcome}: ${count > 1 ? `${count} objects cannot be applied, the first: ` : ''}${first}`);
}

/** What `plan` prints, and its refusal (exit 2) when the plan cannot be applied. */
export function showPlan(plan: ProjectPlan, json: boolean, io: Io): void {
  printPlan(plan, json, io);
  if (!planIsApplicable(plan)) throw refusal(plan, 'the plan cannot be applied');
}

/**
 * What `apply` prints around applying `plan`: the plan, each object as it is applied (stderr),
 * and with --json one document that says what was applied, also when an object fails part way.
 */
export async function applyShownPlan(plan: ProjectPlan, platform: PlatformState, json: boolean, io: Io): Promise<void> {
  if (!json) printPlan(plan, false, io);
  if (!planIsApplicable(plan)) {
    if (json) printPlan(plan, true, io);
    throw refusal(plan, 'nothing applied');
  }
  try {
    const { applied } = await applyPlan(plan, platform, {
      onApplied: (label, action) => {
        if (!json) io.stderr(`${action === 'create' ? 'created' : 'changed'} ${label}\n`);
      },
    });
    if (json) io.stdout(toJson({ ...planJson(plan), applied, failed: null, notApplied: [] }));
    else if (applied.length > 0) io.stdout(`Applied: ${applied.length} objects.\n`);
  } catch (error) {
    if (json && error instanceof PartlyAppliedError)
      io.stdout(toJson({ ...planJson(plan), applied: error.applied, failed: error.failed, notApplied: error.notApplied }));
    throw error;
  }
}

export const planCommand: Command = {
  kind: 'command',
  name: 'plan',
  summary: 'Show what `apply` would create, change or refuse to make the platform match a project file.',
  usage: '-f|--file <path> [--json]',
  options: fileOption,
  details: `${PROJECT_DETAILS}\nExits 0 when the plan can be applied (whether or not it changes anything), 2 when some object is refused.`,
  async run(options, io) {
    const project = await load(options.required('file'), io);
    const plan = await withGrpcPlatformState((platform) => planProject(project, platform));
    showPlan(plan, options.flag('json'), io);
  },
};

export const applyCommand: Command = {
  kind: 'command',
  name: 'apply',
  summary: 'Make the platform match a project file: create and change what differs, idempotently.',
  usage: '-f|--file <path> [--json]',
  options: fileOption,
  details: [
    PROJECT_DETAILS,
    'Nothing is applied when any object is refused (a dataset whose contract changed, say). Objects are applied in',
    'order (datasets, feature views, models and their policies, deployments); when one fails, the command says',
    'which were applied and which not, and exits 3. A second apply of the same project changes nothing.',
  ].join('\n'),
  async run(options, io) {
    const project = await load(options.required('file'), io);
    await withGrpcPlatformState(async (platform) =>
      applyShownPlan(await planProject(project, platform), platform, options.flag('json'), io),
    );
  },
};

/** The JSON Schema of project files, for editors (`# yaml-language-server: $schema=…`). */
export const projectJsonSchema = () => ({
  $schema: 'https://json-schema.org/draft/2020-12/schema',
  $id: 'https://flywheel.dev/schema/flywheel-project.schema.json',
  title: 'Flywheel project',
  ...z.toJSONSchema(projectSchema),
});

export const schemaCommand: Command = {
  kind: 'command',
  name: 'schema',
  summary: 'Print the JSON Schema of project files (`flywheel plan` / `apply`), for editors and checks.',
  usage: '',
  options: {},
  run(_options, io) {
    io.stdout(toJson(projectJsonSchema()));
  },
};
