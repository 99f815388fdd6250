import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import importX from 'eslint-plugin-import-x';
import globals from 'globals';
import nx from '@nx/eslint-plugin';
import { createProjectGraphAsync } from '@nx/devkit';

// Nx's boundary rule reads the cached project graph and skips itself when there is none; building
// the graph here (quick when nothing changed) makes every `eslint` run enforce the boundaries,
// from a clean clone as well. No daemon: a lint run leaves no process behind.
process.env.NX_DAEMON ??= 'false';
await createProjectGraphAsync({ exitOnError: true });

// Project boundaries, by the tags in each project.json:
//   type:app         the flywheel command, npm start (launcher), npm run demo
//   type:service     the six services
//   type:lib         libraries: what services and applications are built from
//   type:dev-server  the embedded broker, S3 store and platform that stand in for real ones
//   type:testing     test support (libs/test-kit, libs/testing)
// Applications use libraries; libraries never use applications or services; services never use
// each other; the development servers are used only by the launcher, the demo, test support and
// tests.
const PRODUCTION_BOUNDARIES = [
  { sourceTag: 'type:app', onlyDependOnLibsWithTags: ['type:lib', 'type:dev-server'] },
  { sourceTag: 'type:service', onlyDependOnLibsWithTags: ['type:lib'] },
  { sourceTag: 'type:lib', onlyDependOnLibsWithTags: ['type:lib'] },
  { sourceTag: 'type:dev-server', onlyDependOnLibsWithTags: ['type:lib', 'type:dev-server'] },
  { sourceTag: 'type:testing', onlyDependOnLibsWithTags: ['type:lib', 'type:dev-server', 'type:testing'] },
];
// Tests, benchmarks and test fixtures of any project may also use test support and the
// development servers (never an application nor another service).
const TEST_BOUNDARIES = PRODUCTION_BOUNDARIES.map((constraint) => ({
  ...constraint,
  onlyDependOnLibsWithTags: [...new Set([...constraint.onlyDependOnLibsWithTags, 'type:dev-server', 'type:testing'])],
}));
const TEST_FILES = [
  '**/*.spec.ts',
  '**/*.integration-spec.ts',
  '**/e2e/**/*.ts',
  '**/bench/**/*.ts',
  '**/testing/**/*.ts',
  '**/conformance/**/*.ts',
  '**/fixtures/**/*.ts',
];
// A dynamic import here only defers loading to save start-up time (Node, no bundles to split), so
// static imports of the same project elsewhere are fine.
const boundaries = (depConstraints) => [
  'error',
  { allow: [], depConstraints, enforceBuildableLibDependency: false, checkDynamicDependenciesExceptions: ['@flywheel/*'] },
];

export default tseslint.config(
  { ignores: ['**/node_modules/**', '**/dist/**', '**/generated/**', '.nx/**', 'coverage/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    files: ['**/*.ts'],
    plugins: { 'import-x': importX },
    rules: {
      'import-x/no-duplicates': 'error',
      'import-x/first': 'error',
      'import-x/no-self-import': 'error',
      'import-x/no-useless-path-segments': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': ['error', { fixStyle: 'inline-type-imports' }],
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            // Libraries are reached through their public entry point only.
            { group: ['@flywheel/*/*'], message: 'Import a library through its index.' },
            // Services share only libs/ and talk through Kafka and gRPC.
            { group: ['**/services/*', '@flywheel/*-service'], message: 'A service never imports another service.' },
          ],
        },
      ],
    },
  },
  {
    // Libraries never reach into services, nor into another library's files by relative path.
    files: ['libs/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        { patterns: [{ group: ['**/services/**', '../../*/src/**', '../../../*/src/**'], message: 'Use @flywheel/<lib>.' }] },
      ],
    },
  },
  {
    files: ['**/*.ts'],
    plugins: { '@nx': nx },
    rules: { '@nx/enforce-module-boundaries': boundaries(PRODUCTION_BOUNDARIES) },
  },
  {
    files: TEST_FILES,
    rules: { '@nx/enforce-module-boundaries': boundaries(TEST_BOUNDARIES) },
  },
  {
    files: ['**/*.js', '**/*.cjs', '**/*.mjs'],
    languageOptions: { globals: globals.node },
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
);
