import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parse } from 'yaml';
import {
  CONSOLE_IMAGE,
  imageProjectDir,
  parseDockerfile,
  productionPackages,
  readServiceDockerfile,
  runtimePackagesOf,
  SERVICE_RUNTIME_SCRIPT,
  type DockerStage,
} from './service-image';

const REPO_ROOT = resolve(__dirname, '../../..');

/** What runs TypeScript at runtime; none of it may reach an image. */
const TYPESCRIPT_RUNNERS = ['@swc-node/register', '@swc/core', '@swc/register', 'ts-node', 'tsx', 'typescript', 'esbuild-register', 'jiti'];

interface ComposeFile {
  services: Record<
    string,
    {
      build?: { dockerfile?: string; target?: string };
      environment?: Record<string, string>;
      ports?: string[];
      depends_on?: Record<string, { condition: string }>;
      healthcheck?: { test?: string[] };
    }
  >;
}

const compose = parse(readFileSync(join(REPO_ROOT, 'docker-compose.yml'), 'utf8'), { merge: true }) as ComposeFile;
const SERVICES = readdirSync(join(REPO_ROOT, 'services')).filter((dir) => existsSync(join(REPO_ROOT, 'services', dir, 'Dockerfile')));

function instructions(stage: DockerStage, keyword: string): string[] {
  return stage.instructions.filter((i) => i.keyword === keyword).map((i) => i.args);
}

/** `COPY [--from=stage] [--chown=…] source… target`, JSON form not used. */
function copies(stage: DockerStage): Array<{ from?: string; sources: string[]; target: string }> {
  return instructions(stage, 'COPY').map((args) => {
    const words = args.split(/\s+/);
    const flags = words.filter((w) => w.startsWith('--'));
    const paths = words.filter((w) => !w.startsWith('--'));
    const from = flags.find((f) => f.startsWith('--from='))?.slice('--from='.length);
    return { from, sources: paths.slice(0, -1), target: paths[paths.length - 1] };
  });
}

function stageNamed(stages: DockerStage[], name: string | undefined): DockerStage | undefined {
  return stages.find((stage) => stage.name === name);
}

function npmCommands(stage: DockerStage): string[] {
  return instructions(stage, 'RUN')
    .flatMap((run) => run.split(/&&|;/))
    .map((command) => command.trim())
    .filter((command) => /^npm\s/.test(command));
}

describe('parseDockerfile', () => {
  it('reads stages, drops comments and joins continuation lines', () => {
    const stages = parseDockerfile(
      [
        '# syntax=docker/dockerfile:1',
        'FROM node:20 AS build',
        'RUN npm ci \\',
        '  && npm test',
        '',
        'FROM node:20-slim',
        'CMD ["node", "a.js"]',
      ].join('\n'),
    );
    expect(stages).toEqual([
      { base: 'node:20', name: 'build', instructions: [{ keyword: 'RUN', args: 'npm ci && npm test', line: 3 }] },
      { base: 'node:20-slim', name: undefined, instructions: [{ keyword: 'CMD', args: '["node", "a.js"]', line: 7 }] },
    ]);
  });

  it('refuses an instruction before FROM and a dangling continuation', () => {
    expect(() => parseDockerfile('RUN true\nFROM node:20')).toThrow('RUN before the first FROM');
    expect(() => parseDockerfile('FROM node:20\nRUN true \\')).toThrow('line continuation');
  });
});

describe('service images', () => {
  it('covers the six services, each built by docker-compose.yml from its own Dockerfile', () => {
    expect([...SERVICES].sort()).toEqual(['deployer', 'feature-store', 'ingestion', 'monitor', 'registry', 'trainer']);
    for (const service of SERVICES) {
      expect(compose.services[service]?.build).toEqual({ context: '.', dockerfile: `services/${service}/Dockerfile` });
    }
  });

  it('are the same Dockerfile but for the service name and its ports', () => {
    const normalised = SERVICES.map((service) => {
      const { GRPC_PORT, HTTP_PORT } = compose.services[service].environment ?? {};
      return readServiceDockerfile(service)
        .text.replaceAll(service, '<service>')
        .replace(`EXPOSE ${GRPC_PORT} ${HTTP_PORT}`, 'EXPOSE <grpc> <http>');
    });
    for (const text of normalised) expect(text).toBe(normalised[0]);
  });

  describe.each(SERVICES)('%s', (service) => {
    const { stages } = readServiceDockerfile(service);
    const runtime = stages[stages.length - 1];

    it('is multi-stage: a build stage, a production-dependencies stage and a runtime stage', () => {
      expect(stages.map((stage) => stage.name)).toEqual(['build', 'production-dependencies', undefined]);
      expect(new Set(stages.map((stage) => stage.base))).toEqual(new Set(['node:20-bookworm-slim']));
    });

    it('compiles the service with the one layout step and ships nothing else from the build stage', () => {
      const build = stageNamed(stages, 'build')!;
      const layout = instructions(build, 'RUN')
        .map((run) => new RegExp(`node ${SERVICE_RUNTIME_SCRIPT.replace(/\./g, '\\.')} (\\S+) (\\S+)`).exec(run))
        .find(Boolean);
      expect(layout?.[1]).toBe(service);
      expect(copies(runtime).filter((copy) => copy.from === 'build')).toEqual([{ from: 'build', sources: [layout?.[2]], target: './' }]);
    });

    it('installs production dependencies only, from the lockfile, without linking the TypeScript workspaces', () => {
      const dependencies = stageNamed(stages, 'production-dependencies')!;
      expect(copies(dependencies)).toEqual([
        { from: undefined, sources: ['package.json', 'package-lock.json', '.npmrc'], target: './' },
        { from: undefined, sources: ['patches'], target: './patches' },
      ]);
      const installs = npmCommands(dependencies).filter((command) => !command.startsWith('npm cache clean'));
      expect(installs).toHaveLength(1);
      // The dependencies' patches are applied in the image as in development.
      expect(instructions(dependencies, 'RUN').join(' ')).toContain('npx --no-install patch-package');
      expect(installs[0].split(/\s+/)).toEqual(expect.arrayContaining(['npm', 'ci', '--omit=dev', '--workspaces=false']));
      expect(copies(runtime).filter((copy) => copy.from === 'production-dependencies')).toEqual([
        { from: 'production-dependencies', sources: ['/app/node_modules'], target: './node_modules' },
      ]);
    });

    it('runs node on the compiled main.js with no TypeScript loader, as a non-root user', () => {
      const [command] = instructions(runtime, 'CMD');
      expect(JSON.parse(command)).toEqual(['node', `dist/services/${service}/src/main.js`]);
      expect(instructions(runtime, 'ENTRYPOINT')).toEqual([]);
      expect(instructions(runtime, 'WORKDIR')).toEqual(['/app']);
      const runtimeText = runtime.instructions.map((i) => `${i.keyword} ${i.args}`).join('\n');
      expect(runtimeText).not.toMatch(/swc|ts-node|tsx|NODE_OPTIONS|--require|--loader|--import|\.ts\b/);
      // Every file comes from another stage: no sources from the build context.
      expect(copies(runtime).every((copy) => copy.from !== undefined)).toBe(true);
      expect(instructions(runtime, 'RUN')).toEqual([]);
      const [user] = instructions(runtime, 'USER');
      expect(user).toBe('node');
    });

    it('exposes the ports docker-compose.yml gives it and checks /healthz', () => {
      const { GRPC_PORT, HTTP_PORT } = compose.services[service].environment ?? {};
      expect(instructions(runtime, 'EXPOSE')).toEqual([`${GRPC_PORT} ${HTTP_PORT}`]);
      expect(instructions(runtime, 'HEALTHCHECK')).toEqual([expect.stringContaining("process.env.HTTP_PORT+'/healthz'")]);
      expect(instructions(runtime, 'ENV')).toEqual(['NODE_ENV=production FLYWHEEL_PROTO_ROOT=/app/proto']);
    });
  });

  it('load at runtime only production dependencies (what `npm ci --omit=dev` installs)', () => {
    const production = new Set(productionPackages().map((pkg) => pkg.name));
    for (const service of SERVICES) {
      expect([service, runtimePackagesOf(`services/${service}`).filter((name) => !production.has(name))]).toEqual([service, []]);
    }
  });

  it('install no TypeScript loader or compiler among the production dependencies', () => {
    const production = productionPackages().map((pkg) => pkg.name);
    expect(production).toEqual(expect.arrayContaining(['@nestjs/core', 'kafkajs', 'pg', 'minio']));
    expect(production.filter((name) => TYPESCRIPT_RUNNERS.includes(name))).toEqual([]);
    expect(production.filter((name) => name.startsWith('@flywheel/'))).toEqual([]);
  });
});

// The web console is a library (libs/console) with an image of its own, built like the services'.
describe('the console image', () => {
  const { text, stages } = readServiceDockerfile(CONSOLE_IMAGE);
  const runtime = stages[stages.length - 1];
  const service = compose.services[CONSOLE_IMAGE];

  it("is the registry's Dockerfile but for its name, its main file, its port and its listening host", () => {
    const registry = readServiceDockerfile('registry').text.replaceAll('services/registry/Dockerfile', '<dockerfile>');
    const normalised = text
      .replaceAll('libs/console/Dockerfile', '<dockerfile>')
      .replace('The web console image', 'The registry image')
      .replace('then the console and', 'then the service and')
      .replace('build-service-runtime.js console', 'build-service-runtime.js registry')
      .replace('flywheel/console .', 'flywheel/registry .')
      .replace(/^# The console listens on every interface[^\n]*\n#[^\n]*\n/m, '')
      .replace(' CONSOLE_HTTP_HOST=0.0.0.0', '')
      .replace('EXPOSE 8080', 'EXPOSE 8054 8084')
      .replace('(process.env.CONSOLE_HTTP_PORT||8080)', 'process.env.HTTP_PORT')
      .replace('dist/libs/console/src/main.js', 'dist/services/registry/src/main.js');
    expect(normalised).toBe(registry);
    expect(stages.map((stage) => stage.name)).toEqual(['build', 'production-dependencies', undefined]);
  });

  it('runs the main.js the layout step compiles, with plain node as user node', () => {
    const build = stages.find((stage) => stage.name === 'build')!;
    expect(instructions(build, 'RUN').join(' ')).toContain(`node ${SERVICE_RUNTIME_SCRIPT} ${CONSOLE_IMAGE} /app/image`);
    expect(existsSync(join(REPO_ROOT, imageProjectDir(CONSOLE_IMAGE), 'tsconfig.app.json'))).toBe(true);
    expect(existsSync(join(REPO_ROOT, imageProjectDir(CONSOLE_IMAGE), 'src', 'main.ts'))).toBe(true);
    // tsc compiles libs/console/src/main.ts (rootDir: the repository) to dist/libs/console/src/main.js.
    expect(JSON.parse(instructions(runtime, 'CMD')[0])).toEqual(['node', `dist/${imageProjectDir(CONSOLE_IMAGE)}/src/main.js`]);
    expect(instructions(runtime, 'USER')).toEqual(['node']);
    expect(instructions(runtime, 'RUN')).toEqual([]);
    expect(copies(runtime).every((copy) => copy.from !== undefined)).toBe(true);
  });

  it('listens on every interface of the container, on the port docker-compose.yml publishes, and checks /healthz', () => {
    expect(instructions(runtime, 'ENV')).toEqual(['NODE_ENV=production FLYWHEEL_PROTO_ROOT=/app/proto CONSOLE_HTTP_HOST=0.0.0.0']);
    expect(instructions(runtime, 'EXPOSE')).toEqual(['8080']);
    expect(instructions(runtime, 'HEALTHCHECK')).toEqual([expect.stringContaining("(process.env.CONSOLE_HTTP_PORT||8080)+'/healthz'")]);
    expect(service?.build).toEqual({ context: '.', dockerfile: 'libs/console/Dockerfile' });
    expect(service?.ports).toEqual(['8080:8080']);
    expect(service?.environment?.CONSOLE_HTTP_PORT ?? '8080').toBe('8080');
  });

  it('starts after the six services are healthy, and is checked like them', () => {
    expect(Object.keys(service?.depends_on ?? {}).sort()).toEqual([...SERVICES].sort());
    for (const dependency of Object.values(service?.depends_on ?? {})) expect(dependency).toEqual({ condition: 'service_healthy' });
    expect(service?.healthcheck?.test?.join(' ')).toContain("(process.env.CONSOLE_HTTP_PORT||8080)+'/healthz'");
  });

  it('loads at runtime only production dependencies: the charts library among them', () => {
    const production = new Set(productionPackages().map((pkg) => pkg.name));
    const used = runtimePackagesOf(imageProjectDir(CONSOLE_IMAGE));
    expect(used).toEqual(expect.arrayContaining(['echarts', '@grpc/grpc-js', 'zod']));
    expect(used.filter((name) => !production.has(name))).toEqual([]);
    const manifest = JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')) as {
      dependencies: Record<string, string>;
      devDependencies: Record<string, string>;
    };
    expect(Object.keys(manifest.dependencies)).toContain('echarts');
    expect(Object.keys(manifest.devDependencies)).not.toContain('echarts');
  });
});
