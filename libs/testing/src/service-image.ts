import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, symlinkSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { dirname, join, resolve } from 'node:path';

const REPO_ROOT = resolve(__dirname, '../../..');

/** The one step every service's Dockerfile runs to compile the service and lay out its image. */
export const SERVICE_RUNTIME_SCRIPT = 'deploy/image/build-service-runtime.js';

/** One Dockerfile instruction, continuation lines joined. */
export interface DockerInstruction {
  keyword: string;
  args: string;
  line: number;
}

/** A `FROM` and the instructions up to the next one. */
export interface DockerStage {
  base: string;
  name?: string;
  instructions: DockerInstruction[];
}

/**
 * The stages of a Dockerfile: comments and blank lines dropped, lines ending in `\` joined with
 * the next, as the Docker builder reads them (heredocs are not used in Flywheel's Dockerfiles).
 */
export function parseDockerfile(text: string): DockerStage[] {
  const stages: DockerStage[] = [];
  let pending: { text: string; line: number } | null = null;
  for (const [index, raw] of text.split('\n').entries()) {
    const trimmed = raw.trim();
    if (trimmed.startsWith('#') || (trimmed === '' && !pending)) continue;
    const continued = trimmed.endsWith('\\');
    const piece = continued ? trimmed.slice(0, -1).trim() : trimmed;
    pending = pending ? { text: `${pending.text} ${piece}`.trim(), line: pending.line } : { text: piece, line: index + 1 };
    if (continued) continue;
    const { text: instruction, line } = pending;
    pending = null;
    if (instruction === '') continue;
    const [keyword, ...rest] = instruction.split(/\s+/);
    const args = rest.join(' ');
    if (keyword.toUpperCase() === 'FROM') {
      const from = /^(?:--platform=\S+\s+)?(\S+)(?:\s+AS\s+(\S+))?$/i.exec(args);
      if (!from) throw new Error(`line ${line}: cannot read FROM ${args}`);
      stages.push({ base: from[1], name: from[2], instructions: [] });
      continue;
    }
    if (stages.length === 0) throw new Error(`line ${line}: ${keyword} before the first FROM`);
    stages[stages.length - 1].instructions.push({ keyword: keyword.toUpperCase(), args, line });
  }
  if (pending) throw new Error('the Dockerfile ends in a line continuation');
  return stages;
}

/** The web console: a library (libs/console) that also runs as an image of its own. */
export const CONSOLE_IMAGE = 'console';

/**
 * Where an image's project lives: `services/<name>`, or `libs/<name>` for the console (the
 * project SERVICE_RUNTIME_SCRIPT compiles, from its tsconfig.app.json).
 */
export function imageProjectDir(name: string): string {
  return name === CONSOLE_IMAGE ? `libs/${name}` : `services/${name}`;
}

/** `services/<service>/Dockerfile` (or `libs/console/Dockerfile`), parsed. */
export function readServiceDockerfile(service: string): { text: string; stages: DockerStage[] } {
  const text = readFileSync(join(REPO_ROOT, imageProjectDir(service), 'Dockerfile'), 'utf8');
  return { text, stages: parseDockerfile(text) };
}

const IMPORT_SPECIFIERS = [
  // import … from 'x' / export … from 'x' (not `import type` / `export type`)
  /^\s*(import|export)\s+(?!type\s)([^'";]*?)\s+from\s+['"]([^'"]+)['"]/gm,
  // import 'x' (side effects only)
  /^\s*import\s+['"]([^'"]+)['"]/gm,
  // import('x'), require('x')
  /\b(?:import|require)\(\s*['"]([^'"]+)['"]\s*\)/g,
];

/** `{ type A, type B }` imports nothing at runtime. */
function onlyTypes(clause: string): boolean {
  const braces = /^\{([^}]*)\}$/.exec(clause.trim());
  if (!braces) return false;
  const names = braces[1]
    .split(',')
    .map((name) => name.trim())
    .filter(Boolean);
  return names.length > 0 && names.every((name) => name.startsWith('type '));
}

function resolveSource(from: string): string | undefined {
  for (const candidate of [`${from}.ts`, join(from, 'index.ts')]) if (existsSync(candidate)) return candidate;
  return undefined;
}

/**
 * The npm packages a project's compiled code loads at runtime: every module reached from
 * `<projectDir>/src/main.ts` through relative imports and `@flywheel/<lib>` (tsconfig.base.json's
 * paths), type-only imports left out, `node:` and Node's built-in modules too.
 */
export function runtimePackagesOf(projectDir: string): string[] {
  const { paths } = (
    JSON.parse(readFileSync(join(REPO_ROOT, 'tsconfig.base.json'), 'utf8')) as {
      compilerOptions: { paths: Record<string, string[]> };
    }
  ).compilerOptions;
  const builtins = new Set(builtinModules);
  const packages = new Set<string>();
  const seen = new Set<string>();
  const queue = [join(REPO_ROOT, projectDir, 'src', 'main.ts')];
  while (queue.length > 0) {
    const file = queue.pop()!;
    if (seen.has(file)) continue;
    seen.add(file);
    const source = readFileSync(file, 'utf8');
    const specifiers: string[] = [];
    for (const match of source.matchAll(IMPORT_SPECIFIERS[0])) if (!onlyTypes(match[2])) specifiers.push(match[3]);
    for (const pattern of IMPORT_SPECIFIERS.slice(1)) for (const match of source.matchAll(pattern)) specifiers.push(match[1]);
    for (const specifier of specifiers) {
      if (specifier.startsWith('.')) {
        const resolved = resolveSource(resolve(dirname(file), specifier));
        if (resolved) queue.push(resolved);
      } else if (paths[specifier]) {
        queue.push(join(REPO_ROOT, paths[specifier][0]));
      } else if (!specifier.startsWith('node:') && !builtins.has(specifier)) {
        const parts = specifier.split('/');
        packages.add(specifier.startsWith('@') ? parts.slice(0, 2).join('/') : parts[0]);
      }
    }
  }
  return [...packages].sort();
}

interface LockfileEntry {
  dev?: boolean;
  optional?: boolean;
  link?: boolean;
}

/**
 * The packages `npm ci --omit=dev --workspaces=false` installs at the top of node_modules, from
 * package-lock.json: no development dependency and no workspace (their entries are TypeScript).
 */
export function productionPackages(): Array<{ name: string; optional: boolean }> {
  const lock = JSON.parse(readFileSync(join(REPO_ROOT, 'package-lock.json'), 'utf8')) as { packages: Record<string, LockfileEntry> };
  return Object.entries(lock.packages)
    .filter(([path, entry]) => /^node_modules\/(@[^/]+\/)?[^/]+$/.test(path) && !entry.dev && !entry.link)
    .map(([path, entry]) => ({ name: path.slice('node_modules/'.length), optional: Boolean(entry.optional) }));
}

/**
 * Lays out `service` in `outDir` exactly as its image's runtime stage holds it: the build step of
 * every Dockerfile (SERVICE_RUNTIME_SCRIPT), then a node_modules of the production packages
 * only, linked from this checkout's install instead of downloaded again. Optional packages for
 * other platforms are absent here as they would be in the image.
 */
export async function layOutServiceImage(service: string, outDir: string): Promise<void> {
  const build = spawn(process.execPath, [join(REPO_ROOT, SERVICE_RUNTIME_SCRIPT), service, outDir], {
    cwd: REPO_ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  build.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  build.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const status = await new Promise<number | null>((resolve, reject) => build.once('error', reject).once('close', resolve));
  if (status !== 0) throw new Error(`${SERVICE_RUNTIME_SCRIPT} ${service} failed:\n${output}`);
  for (const { name, optional } of productionPackages()) {
    const installed = join(REPO_ROOT, 'node_modules', name);
    if (!existsSync(installed)) {
      if (optional) continue;
      throw new Error(`production dependency ${name} is not installed in this checkout`);
    }
    const link = join(outDir, 'node_modules', name);
    mkdirSync(dirname(link), { recursive: true });
    symlinkSync(installed, link, 'dir');
  }
}
