import { spawnSync } from 'node:child_process';
import { resolve } from 'node:path';

const repoRoot = resolve(__dirname, '../../..');
const RULE = '@nx/enforce-module-boundaries';

interface Probe {
  /** Where the probe pretends to live: a real project's folder decides its tags. */
  filePath: string;
  code: string;
}

interface Finding {
  ruleId: string | null;
  message: string;
}

// eslint.config.mjs is an ES module with top-level await, which Jest's CommonJS runtime cannot
// load, so the probes are linted with ESLint's Node API in a child process (one for all probes).
const LINT_PROBES = `
import { ESLint } from 'eslint';
const probes = JSON.parse(process.argv[1]);
const eslint = new ESLint({ cwd: process.cwd() });
const findings = [];
for (const probe of probes) {
  const [result] = await eslint.lintText(probe.code, { filePath: probe.filePath });
  findings.push(result.messages.map((m) => ({ ruleId: m.ruleId, message: m.message })));
}
process.stdout.write(JSON.stringify(findings));
`;

function lint(probes: Probe[]): Finding[][] {
  const run = spawnSync(process.execPath, ['--input-type=module', '-e', LINT_PROBES, JSON.stringify(probes)], {
    cwd: repoRoot,
    env: { ...process.env, NX_DAEMON: 'false' },
    encoding: 'utf8',
    timeout: 120_000,
  });
  if (run.status !== 0) throw new Error(`linting the probes failed (${run.status ?? run.signal}): ${run.stderr}`);
  return JSON.parse(run.stdout) as Finding[][];
}

const importing = (what: string, from: string) => `import { ${what} } from '${from}';\nexport const probe = ${what};\n`;

const probes = {
  libraryImportsCli: { filePath: 'libs/storage/src/boundary-probe.ts', code: importing('runCli', '@flywheel/cli') },
  libraryImportsLauncher: { filePath: 'libs/messaging/src/boundary-probe.ts', code: importing('main', '@flywheel/launcher') },
  serviceImportsService: {
    filePath: 'services/deployer/src/boundary-probe.ts',
    code: importing('bootstrap', '@flywheel/registry-service'),
  },
  serviceReachesIntoService: {
    filePath: 'services/deployer/src/boundary-probe.ts',
    code: importing('bootstrap', '../../registry/src/main'),
  },
  libraryImportsDevServer: { filePath: 'libs/messaging/src/boundary-probe.ts', code: importing('KafkaBroker', '@flywheel/kafka-broker') },
  serviceImportsDevServer: { filePath: 'services/trainer/src/boundary-probe.ts', code: importing('S3Server', '@flywheel/s3-server') },
  libraryImportsLibrary: { filePath: 'libs/messaging/src/boundary-probe.ts', code: importing('Topics', '@flywheel/contracts') },
  libraryTestImportsDevServer: {
    filePath: 'libs/messaging/src/boundary-probe.integration-spec.ts',
    code: importing('KafkaBroker', '@flywheel/kafka-broker'),
  },
  launcherImportsEmbeddedPlatform: {
    filePath: 'libs/devstack/launcher/src/boundary-probe.ts',
    code: importing('PlatformLauncher', '@flywheel/embedded-platform'),
  },
} satisfies Record<string, Probe>;

describe('project boundaries (eslint.config.mjs)', () => {
  let findings: Record<keyof typeof probes, Finding[]>;

  beforeAll(() => {
    const names = Object.keys(probes) as (keyof typeof probes)[];
    const results = lint(names.map((name) => probes[name]));
    findings = Object.fromEntries(names.map((name, i) => [name, results[i]])) as typeof findings;
  }, 120_000);

  const boundaryMessages = (name: keyof typeof probes) => findings[name].filter((f) => f.ruleId === RULE).map((f) => f.message);

  it('rejects a library importing an application', () => {
    expect(boundaryMessages('libraryImportsCli')).toEqual(['Imports of apps are forbidden']);
    expect(boundaryMessages('libraryImportsLauncher')).toEqual(['Imports of apps are forbidden']);
  });

  it('rejects a service importing another service, by package or by path', () => {
    expect(boundaryMessages('serviceImportsService')).toEqual(['Imports of apps are forbidden']);
    expect(boundaryMessages('serviceReachesIntoService')).toEqual([
      'Projects cannot be imported by a relative or absolute path, and must begin with a npm scope',
    ]);
  });

  it('keeps the development servers out of libraries and services', () => {
    expect(boundaryMessages('libraryImportsDevServer')).toEqual([
      'A project tagged with "type:lib" can only depend on libs tagged with "type:lib"',
    ]);
    expect(boundaryMessages('serviceImportsDevServer')).toEqual([
      'A project tagged with "type:service" can only depend on libs tagged with "type:lib"',
    ]);
  });

  it('allows libraries to use libraries, tests to use the development servers, and the launcher to use them', () => {
    expect(findings.libraryImportsLibrary).toEqual([]);
    expect(findings.libraryTestImportsDevServer).toEqual([]);
    expect(findings.launcherImportsEmbeddedPlatform).toEqual([]);
  });
});
