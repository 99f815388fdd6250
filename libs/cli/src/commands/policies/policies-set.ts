import { parseDocument } from 'yaml';
import { type core } from 'zod';
import { type Io } from '../../command';
import { UsageError } from '../../errors';
import { type PlatformState } from '../../project/platform-state';
import { type LoadedProject, ProjectError } from '../../project/project-file';
import { planProject, type ProjectPlan } from '../../project/project-plan';
import { applyShownPlan, showPlan, withProblemsShown } from '../../project/project.commands';
import { projectSchema } from '../../project/project.schema';
import { POLICY_SECTIONS, type PolicySection, policySections, readPolicies } from './policy-sections';

/** A field name, or an entry of a list of named entries: `featureTests[tenure]`. */
type PathPart = string | { readonly key: string; readonly keyField: string };

/** One `--set <section>.<field path>=<value>`. */
export interface Setting {
  /** `--set promotion.metric`: how a problem with it is reported. */
  readonly flag: string;
  /** `promotion.metric`, as written. */
  readonly field: string;
  readonly section: PolicySection;
  /** Below the section. */
  readonly path: readonly PathPart[];
  readonly value: unknown;
}

const WHERE = 'the --set values';

/** Lists whose entries `policies show` names by one of their fields (`monitoring.featureTests[tenure].test`): that field. */
const KEYED_LISTS: Readonly<Record<string, string>> = { 'monitoring.featureTests': 'feature' };

const FIELD_PATH = /^[^.[\]]+(?:\.[^.[\]]+|\[[^[\]]+\])*$/;
const PATH_PART = /([^.[\]]+)|\[([^[\]]+)\]/g;
// A value is one YAML value; a project has no use for aliases, so a few is plenty.
const MAX_ALIASES = 10;

/** Reads every `--set`, reporting all that are malformed at once. */
export function parseSettings(raw: readonly string[]): Setting[] {
  const parsed = raw.map(parseSetting);
  const settings = parsed.filter((s): s is Setting => typeof s !== 'string');
  const problems = [...parsed.filter((s): s is string => typeof s === 'string'), ...overlaps(settings)];
  if (problems.length > 0) throw new ProjectError(problems, WHERE);
  return settings;
}

function parseSetting(text: string): Setting | string {
  const equals = text.indexOf('=');
  if (equals < 0) return `--set ${text}: expected <section>.<field>=<value>, e.g. promotion.metric=f1`;
  const field = text.slice(0, equals).trim();
  const flag = `--set ${field}`;
  if (!FIELD_PATH.test(field)) return `${flag}: expected <section>.<field>, with dots between nested fields`;
  const [section, ...path] = [...field.matchAll(PATH_PART)].map((m) => (m[2] !== undefined ? { key: m[2] } : m[1]!));
  if (!(POLICY_SECTIONS as readonly unknown[]).includes(section))
    return `${flag}: unknown section "${String(section)}"; the sections are ${POLICY_SECTIONS.join(', ')}`;
  if (path.length === 0) return `${flag}: name a field of the section, ${String(section)}.<field>=<value>`;
  const parts: PathPart[] = [];
  for (const [i, part] of path.entries()) {
    if (part === '__proto__') return `${flag}: unknown field`;
    if (typeof part === 'string') {
      parts.push(part);
      continue;
    }
    const list = [section, ...path.slice(0, i)]
      .map((p) => (typeof p === 'string' ? `.${p}` : `[${p.key}]`))
      .join('')
      .slice(1);
    const keyField = KEYED_LISTS[list];
    if (!keyField) return `${flag}: ${list} is not a list of named entries`;
    parts.push({ key: part.key, keyField });
  }
  const value = yamlValue(text.slice(equals + 1));
  if ('problem' in value) return `${flag}: ${value.problem}`;
  return { flag, field, section: section as PolicySection, path: parts, value: value.value };
}

/** The text after `=` as YAML reads a value in a project file: `0.01`, `false`, `1h`, `[a, b]`, `{ feature: x, test: ks }`. */
function yamlValue(text: string): { value: unknown } | { problem: string } {
  const document = parseDocument(text, { uniqueKeys: true, prettyErrors: false });
  const error = document.errors[0];
  if (error) return { problem: error.message.split('\n')[0]!.replace(/ at line \d+, column \d+:?$/, '') };
  let value: unknown;
  try {
    value = document.toJS({ maxAliasCount: MAX_ALIASES });
  } catch (e) {
    return { problem: e instanceof Error ? e.message.split('\n')[0]! : String(e) };
  }
  // Leaving a field to the platform is done by not setting it; an empty value is more likely a slip.
  if (value === null || value === undefined) return { problem: 'no value after "="' };
  return { value };
}

/** Two settings of one field, or of a field and one inside it: which one wins would be a guess. */
function overlaps(settings: readonly Setting[]): string[] {
  const within = (inner: string, outer: string) => inner === outer || inner.startsWith(`${outer}.`) || inner.startsWith(`${outer}[`);
  return settings.flatMap((s, i) => {
    const earlier = settings.slice(0, i).find((o) => within(s.field, o.field) || within(o.field, s.field));
    if (!earlier) return [];
    return [earlier.field === s.field ? `${s.flag}: given twice` : `${s.flag}: overlaps ${earlier.flag}`];
  });
}

type Fields = Record<string, unknown>;
const isFields = (value: unknown): value is Fields => typeof value === 'object' && value !== null && !Array.isArray(value);
const own = (value: unknown, key: string) => (isFields(value) && Object.hasOwn(value, key) ? value[key] : undefined);
/** A copy as plain data, without the unset fields a shape spells out. */
const plain = <T>(value: T): T => (value === undefined ? value : (JSON.parse(JSON.stringify(value)) as T));

/**
 * The one-model project the settings make: the model's name and the sections set, checked
 * against the project schema. A policy is compared and applied by the fields written, so the
 * others keep the platform's values; the training spec is compared and applied whole, so its
 * fields not set are the applied spec's.
 */
export async function settingsProject(model: string, settings: readonly Setting[], platform: PlatformState): Promise<LoadedProject> {
  // Creating a model takes its description and owner: that is a project file's business.
  if (!(await platform.model(model))) throw new UsageError(`model "${model}" is not registered; create it with flywheel apply`);
  const current = policySections(await readPolicies(platform, model));
  const definition: Fields = { name: model };
  const written = new Map<Setting, PropertyKey[]>();
  for (const setting of settings) {
    const section = (definition[setting.section] ??= setting.section === 'training' ? (plain(current.training) ?? {}) : {}) as Fields;
    written.set(setting, [setting.section, ...place(section, setting, current[setting.section])]);
  }
  // Enabling retraining needs a training spec; the applied one serves.
  if (own(definition.retraining, 'enabled') === true && definition.training === undefined && current.training)
    definition.training = plain(current.training);

  const result = projectSchema.safeParse({ models: [definition] });
  if (!result.success)
    throw new ProjectError(
      result.error.issues.flatMap((issue) => describeIssue(issue, definition, written)),
      WHERE,
    );
  const flags = (section?: string) =>
    settings
      .filter((s) => section === undefined || s.section === section)
      .map((s) => s.flag)
      .join(', ');
  const located = {
    definition: result.data.models![0]!,
    source: flags(),
    at: (field: string) => flags(field) || `${field} as applied`,
  };
  return { files: [], datasets: [], featureViews: [], models: [located], deployments: [] };
}

/** Writes the setting's value into its section; answers the path written, list entries by index. */
function place(section: Fields, setting: Setting, currentSection: unknown): PropertyKey[] {
  const written: PropertyKey[] = [];
  let container: Fields | unknown[] = section;
  let current = currentSection;
  setting.path.forEach((part, i) => {
    const last = i === setting.path.length - 1;
    if (typeof part === 'string') {
      const fields = container as Fields;
      current = own(current, part);
      written.push(part);
      if (last) fields[part] = setting.value;
      else if (typeof setting.path[i + 1] !== 'string') {
        // An entry of a list is set within the list the platform has.
        if (!Array.isArray(own(fields, part))) fields[part] = Array.isArray(current) ? plain(current) : [];
        container = fields[part] as unknown[];
      } else {
        if (!isFields(own(fields, part))) fields[part] = {};
        container = fields[part] as Fields;
      }
      return;
    }
    const list = container as unknown[];
    let index = list.findIndex((entry) => own(entry, part.keyField) === part.key);
    if (index < 0) index = list.push({ [part.keyField]: part.key }) - 1;
    written.push(index);
    if (last) list[index] = isFields(setting.value) ? { [part.keyField]: part.key, ...setting.value } : setting.value;
    else container = list[index] as Fields;
  });
  return written;
}

const startsWith = (path: readonly PropertyKey[], prefix: readonly PropertyKey[]) => prefix.every((part, i) => path[i] === part);

/** A schema problem named by the --set that caused it; one no --set caused is a field to set. */
function describeIssue(issue: core.$ZodIssue, definition: Fields, written: ReadonlyMap<Setting, PropertyKey[]>): string[] {
  // Below `models[0]`.
  const path = issue.path.slice(2);
  if (issue.code === 'unrecognized_keys') return issue.keys.map((key) => problemAt([...path, key], 'unknown field', definition, written));
  return [problemAt(path, issue.message, definition, written)];
}

function problemAt(path: PropertyKey[], message: string, definition: Fields, written: ReadonlyMap<Setting, PropertyKey[]>): string {
  const field = fieldName(path, definition);
  if (path[0] === 'name') return `model "${String(definition.name)}": ${message}`;
  const entries = [...written];
  const [setting, at] =
    entries.find(([, w]) => startsWith(path, w)) ?? entries.find(([, w]) => startsWith(w, path)) ?? ([undefined, undefined] as const);
  if (setting) return `${setting.flag}: ${at.length === path.length ? '' : `${field}: `}${message}`;
  const value = path.reduce<unknown>((inner, part) => (inner as Record<PropertyKey, unknown> | undefined)?.[part], definition);
  return value === undefined
    ? `${field}: required; give it with --set ${field}=<value>`
    : `${field}: ${message} (the applied value; set another with --set ${field}=<value>)`;
}

/** `monitoring.featureTests[tenure].test`, as `policies show` names it. */
function fieldName(path: readonly PropertyKey[], definition: Fields): string {
  let inner: unknown = definition;
  return path
    .map((part, i) => {
      const entry = (inner as Record<PropertyKey, unknown> | undefined)?.[part];
      inner = entry;
      if (typeof part !== 'number') return `${i > 0 ? '.' : ''}${String(part)}`;
      const key = own(entry, 'name') ?? own(entry, 'feature');
      return `[${typeof key === 'string' ? key : part}]`;
    })
    .join('');
}

/**
 * The plan of the settings. The project names the model only to carry what was set: compared
 * whole, its unwritten description and tags would read as changes to a model this command leaves alone.
 */
export async function planSettings(project: LoadedProject, platform: PlatformState): Promise<ProjectPlan> {
  const plan = await planProject(project, platform);
  return { ...plan, objects: plan.objects.filter((o) => o.kind !== 'model') };
}

export interface SetOptions {
  readonly dryRun: boolean;
  readonly json: boolean;
}

/** `flywheel policies set` against `platform`: the plan, then (but for a dry run) the apply, as `plan` and `apply` print them. */
export async function setPolicies(model: string, settings: readonly Setting[], platform: PlatformState, options: SetOptions, io: Io) {
  const project = await withProblemsShown(io, () => settingsProject(model, settings, platform));
  const plan = await planSettings(project, platform);
  if (options.dryRun) showPlan(plan, options.json, io);
  else await applyShownPlan(plan, platform, options.json, io);
}
