// One Jest run covers every tier; `--selectProjects unit|integration|e2e` narrows it.
const fs = require('node:fs');
const path = require('node:path');
const { spawnSync } = require('node:child_process');

const swcConfig = JSON.parse(fs.readFileSync(path.join(__dirname, '.swcrc'), 'utf8'));

// `@flywheel/<project>` resolves as the compiler resolves it: tsconfig.base.json's paths are the
// one list of where each project's entry point lives (some projects are grouped, e.g. libs/devstack/*).
const { paths } = JSON.parse(fs.readFileSync(path.join(__dirname, 'tsconfig.base.json'), 'utf8')).compilerOptions;
const projectEntryPoints = Object.fromEntries(
  Object.entries(paths)
    .filter(([name]) => name.startsWith('@flywheel/'))
    .map(([name, [entryPoint]]) => [`^${name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`, `<rootDir>/${entryPoint}`]),
);

// Suites that drive our servers with third-party clients. Under CI their absence fails the run
// (the suites' own checks throw); elsewhere they are left out and the run says so loudly.
const thirdPartyClients = [
  { pattern: '\\.librdkafka\\.', probe: ['kcat', ['-V']], install: 'apt-get install kcat python3-confluent-kafka' },
  {
    pattern: '\\.librdkafka\\.',
    probe: ['/usr/bin/python3', ['-c', 'import confluent_kafka']],
    install: 'apt-get install python3-confluent-kafka',
  },
  { pattern: '\\.grpcio\\.', probe: ['/usr/bin/python3', ['-c', 'import grpc']], install: 'apt-get install python3-grpcio' },
  // PostgreSQL's own client runs deploy/postgres/create-databases.sql as the postgres image does.
  { pattern: '\\.psql\\.', probe: ['psql', ['--version']], install: 'apt-get install postgresql-client' },
  // A real browser (Debian's chromium, driven by playwright-core) signs in to the web console.
  { pattern: '\\.chromium\\.', probe: ['/usr/bin/chromium', ['--version']], install: 'apt-get install chromium' },
];
// kubectl comes with the machine image, not from a package CI can install: where it is missing,
// its cross-check is left out (loudly) even under CI.
const imageTools = [{ pattern: '\\.kubectl\\.', probe: ['kubectl', ['version', '--client']], install: 'a Kubernetes client (kubectl)' }];
const leftOut = [];
for (const client of process.env.CI === 'true' ? imageTools : [...thirdPartyClients, ...imageTools]) {
  const probe = spawnSync(client.probe[0], client.probe[1], { timeout: 10_000 });
  if (probe.status !== 0 && !leftOut.includes(client.pattern)) {
    leftOut.push(client.pattern);
    process.stderr.write(
      `\n!!! NOT RUN: test files matching /${client.pattern}/ — \`${client.probe[0]} ${client.probe[1].join(' ')}\` ` +
        `failed on this machine. Install with: ${client.install}\n\n`,
    );
  }
}

const shared = {
  rootDir: __dirname,
  testEnvironment: 'node',
  // NestJS 12 ships ES modules only; Jest's CommonJS runtime needs them transpiled like our own code.
  transform: { '^.+\\.(t|j|mj)s$': ['@swc/jest', { ...swcConfig, swcrc: false }] },
  transformIgnorePatterns: ['/node_modules/(?!@nestjs/)'],
  moduleNameMapper: projectEntryPoints,
  testPathIgnorePatterns: ['/node_modules/', '/dist/', ...leftOut],
};

module.exports = {
  reporters: ['default', '<rootDir>/libs/testing/src/totals-reporter.js'],
  projects: [
    { ...shared, displayName: 'unit', testMatch: ['<rootDir>/{libs,services}/**/*.spec.ts'] },
    {
      ...shared,
      displayName: 'integration',
      testMatch: ['<rootDir>/{libs,services}/**/*.integration-spec.ts'],
      slowTestThreshold: 60,
    },
    { ...shared, displayName: 'e2e', testMatch: ['<rootDir>/{libs,services}/**/e2e/**/*.e2e-spec.ts'] },
  ],
};
