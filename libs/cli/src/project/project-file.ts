import { readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { isMap, isNode, isScalar, LineCounter, parseDocument, type Document } from 'yaml';
import { type core } from 'zod';
import { UsageError } from '../errors';
import {
  type DatasetDefinition,
  type DeploymentDefinition,
  type FeatureViewDefinition,
  type ModelDefinition,
  type Project,
  projectSchema,
} from './project.schema';

/** Largest project file read, and most files read from a folder: a project is text people write. */
export const MAX_PROJECT_FILE_BYTES = 1024 * 1024;
export const MAX_PROJECT_FILES = 200;
// YAML aliases can expand a small file into a huge document; a project has no use for many.
const MAX_ALIASES = 50;

/** A definition with where it was written, `churn.yaml:12:3`, for messages about it. */
export interface Located<T> {
  readonly definition: T;
  readonly source: string;
  /** Where a field of the definition is written, `churn.yaml:30:7` for `promotion`; the definition's own place if it is not. */
  at(field: string): string;
}

/** Every definition of a project, from one file or a folder of them, in the order written. */
export interface LoadedProject {
  readonly files: readonly string[];
  readonly datasets: readonly Located<DatasetDefinition>[];
  readonly featureViews: readonly Located<FeatureViewDefinition>[];
  readonly models: readonly Located<ModelDefinition>[];
  readonly deployments: readonly Located<DeploymentDefinition>[];
}

/** What is wrong with a project, one `file:line:column: field: problem` per entry; `where` names what was read. */
export class ProjectError extends UsageError {
  constructor(
    readonly problems: readonly string[],
    where = 'the project',
  ) {
    super(problems.length === 1 ? problems[0]! : `${problems.length} problems in ${where}, each on a line above`);
    this.name = 'ProjectError';
  }
}

/** Reads and validates the project at `path`: a YAML file, or a folder whose *.yaml and *.yml files together form one. */
export async function loadProject(path: string): Promise<LoadedProject> {
  const files = await projectFiles(path);
  const problems: string[] = [];
  const project: Definitions = { datasets: [], featureViews: [], models: [], deployments: [] };
  for (const file of files) {
    const parsed = parseProjectText(file, await readFile(file, 'utf8'));
    if ('problems' in parsed) problems.push(...parsed.problems);
    else for (const [kind, located] of Object.entries(definitionsOf(parsed))) project[kind as Kind].push(...(located as Located<never>[]));
  }
  if (problems.length === 0) problems.push(...duplicateNames(project as unknown as Record<Kind, Located<{ name: string }>[]>));
  if (problems.length > 0) throw new ProjectError(problems);
  return { files, ...project };
}

async function projectFiles(path: string): Promise<string[]> {
  const info = await stat(path).catch(() => {
    throw new UsageError(`${path}: no such file or folder`);
  });
  const files = info.isDirectory()
    ? (await readdir(path))
        .filter((name) => /\.ya?ml$/.test(name))
        .sort()
        .map((name) => join(path, name))
    : [path];
  if (files.length === 0) throw new UsageError(`${path}: the folder has no .yaml or .yml file`);
  if (files.length > MAX_PROJECT_FILES)
    throw new UsageError(`${path}: ${files.length} files, more than the ${MAX_PROJECT_FILES} a project may have`);
  for (const file of files) {
    const { size } = await stat(file);
    if (size > MAX_PROJECT_FILE_BYTES)
      throw new UsageError(`${file}: ${size} bytes, more than the ${MAX_PROJECT_FILE_BYTES} a project file may have`);
  }
  return files;
}

type Kind = 'datasets' | 'featureViews' | 'models' | 'deployments';
type Definitions = { -readonly [K in Kind]: Located<never>[] };

type ParsedText = { project: Project; at(path: readonly PropertyKey[]): string } | { problems: string[] };

/** One file's text, parsed and checked against the project schema; `file` names it in messages. */
export function parseProjectText(file: string, text: string): ParsedText {
  const lineCounter = new LineCounter();
  const document = parseDocument(text, { lineCounter, uniqueKeys: true, prettyErrors: false });
  const position = (offset: number) => {
    const { line, col } = lineCounter.linePos(offset);
    return `${file}:${line}:${col}`;
  };
  if (document.errors.length > 0) return { problems: document.errors.map((e) => `${position(e.pos[0])}: ${firstLine(e.message)}`) };
  let value: unknown;
  try {
    value = document.toJS({ maxAliasCount: MAX_ALIASES }) ?? {};
  } catch (error) {
    return { problems: [`${file}: ${error instanceof Error ? firstLine(error.message) : String(error)}`] };
  }
  const result = projectSchema.safeParse(value);
  const at = (path: readonly PropertyKey[]) => position(offsetOf(document, path));
  if (!result.success) return { problems: result.error.issues.map((issue) => describeIssue(issue, document, position)) };
  return { project: result.data, at };
}

/** A parsed file's definitions, each with where it is written. */
export function definitionsOf(parsed: Extract<ParsedText, { project: Project }>): Omit<LoadedProject, 'files'> {
  const locate =
    (kind: Kind) =>
    <T>(definition: T, index: number): Located<T> => ({
      definition,
      source: parsed.at([kind, index]),
      at: (field: string) => parsed.at([kind, index, field]),
    });
  const { datasets = [], featureViews = [], models = [], deployments = [] } = parsed.project;
  return {
    datasets: datasets.map(locate('datasets')),
    featureViews: featureViews.map(locate('featureViews')),
    models: models.map(locate('models')),
    deployments: deployments.map(locate('deployments')),
  };
}

function describeIssue(issue: core.$ZodIssue, document: Document, position: (offset: number) => string): string {
  const path = issue.path as PropertyKey[];
  const field = fieldName(path);
  if (issue.code === 'unrecognized_keys') {
    const keys = issue.keys.map((k) => JSON.stringify(k)).join(', ');
    const node = document.getIn(path, true);
    const key = isMap(node) ? node.items.find((pair) => isScalar(pair.key) && pair.key.value === issue.keys[0])?.key : undefined;
    const offset = isNode(key) && key.range ? key.range[0] : offsetOf(document, path);
    return `${position(offset)}: ${field ? `${field}: ` : ''}unknown field ${keys}`;
  }
  return `${position(offsetOf(document, path))}: ${field ? `${field}: ` : ''}${issue.message}`;
}

/** The offset of the node at `path`, or of the nearest enclosing node written (a missing field's object). */
function offsetOf(document: Document, path: readonly PropertyKey[]): number {
  for (let length = path.length; length >= 0; length--) {
    const node = document.getIn(path.slice(0, length), true);
    if (isNode(node) && node.range) return node.range[0];
  }
  return 0;
}

/** `models[2].promotion.metric` for people. */
function fieldName(path: readonly PropertyKey[]): string {
  return path.map((part, i) => (typeof part === 'number' ? `[${part}]` : `${i > 0 ? '.' : ''}${String(part)}`)).join('');
}

const firstLine = (text: string) => text.split('\n')[0]!.trim();

/** Names defined twice, across all files, each with both places. */
function duplicateNames(project: Record<Kind, Located<{ name: string }>[]>): string[] {
  const problems: string[] = [];
  for (const [kind, located] of Object.entries(project)) {
    const seen = new Map<string, string>();
    for (const { definition, source } of located) {
      const first = seen.get(definition.name);
      if (first) problems.push(`${source}: ${kind} "${definition.name}" is defined twice (first at ${first})`);
      else seen.set(definition.name, source);
    }
  }
  return problems;
}
