import { posix } from 'node:path';
import fc from 'fast-check';
import {
  datasetVersionKey,
  datasetVersionPrefix,
  featureSnapshotKey,
  modelArtifactKey,
  type ObjectKey,
  parseObjectKey,
  SEGMENT_PATTERN,
  trainingSetKey,
} from './object-key';
import { InvalidObjectKeyError } from './storage.exception';

const validSegment = fc.stringMatching(SEGMENT_PATTERN).filter((s) => !s.includes('..'));
const hostileSegment = fc.oneof(
  fc.string(),
  fc.constantFrom(
    '..',
    '.',
    '',
    '/',
    '/etc/passwd',
    '../x',
    'a/../../b',
    'a/b',
    '.hidden',
    'a..b',
    'C:\\x',
    '%2e%2e',
    'a\u0000b',
    ' a',
    'x'.repeat(129),
  ),
  validSegment.map((s) => `../${s}`),
  validSegment.map((s) => `${s}/..`),
);
const anySegment = fc.oneof(validSegment, hostileSegment);
const anyVersion = fc.oneof(fc.integer({ min: -5, max: 1_000_000 }), fc.double(), fc.constant(Number.MAX_SAFE_INTEGER + 2));

function built(build: () => ObjectKey): ObjectKey | InvalidObjectKeyError {
  try {
    return build();
  } catch (error) {
    if (error instanceof InvalidObjectKeyError) return error;
    throw error;
  }
}

/** The key stays inside `root/<name>/<version>/` whatever it is made of, when resolved as a path. */
function staysUnder(key: string, prefix: string): boolean {
  const resolved = posix.resolve('/bucket', key);
  return (
    key.startsWith(prefix) &&
    resolved === `/bucket/${key}` &&
    posix.normalize(key) === key &&
    key.split('/').length === 4 &&
    key.split('/').every((part) => SEGMENT_PATTERN.test(part) && part !== '..')
  );
}

describe('object keys', () => {
  it('builds the documented layout', () => {
    expect(datasetVersionKey('claims', 3, 'part-0000.parquet')).toBe('datasets/claims/v3/part-0000.parquet');
    expect(modelArtifactKey('fraud', 7, 'model.json')).toBe('models/fraud/7/model.json');
    expect(trainingSetKey('claims_features', 'ts-2024-01-01', 'data.parquet')).toBe(
      'training-sets/claims_features/ts-2024-01-01/data.parquet',
    );
    expect(featureSnapshotKey('claims_features', 12, 'offline.parquet')).toBe('features/claims_features/12/offline.parquet');
    expect(datasetVersionPrefix('claims', 3)).toBe('datasets/claims/v3/');
  });

  it('names the bad part in the error', () => {
    expect(() => datasetVersionKey('../etc', 1, 'passwd')).toThrow(/^dataset: must match .* \(got "\.\.\/etc"\)$/);
    expect(() => datasetVersionKey('claims', 0, 'f')).toThrow(/^version: must be a positive integer/);
    expect(() => modelArtifactKey('fraud', '1', '/abs')).toThrow(expect.objectContaining({ field: 'file', code: 'INVALID_OBJECT_KEY' }));
    expect(() => trainingSetKey('fv', 'a..b', 'f')).toThrow(expect.objectContaining({ field: 'trainingSet' }));
    expect(() => featureSnapshotKey('', 1, 'f')).toThrow(expect.objectContaining({ field: 'featureView' }));
  });

  it('never lets a generated key escape its prefix, for any input', () => {
    fc.assert(
      fc.property(anySegment, anyVersion, anySegment, (name, version, file) => {
        const key = built(() => datasetVersionKey(name, version, file));
        if (key instanceof InvalidObjectKeyError) return;
        expect(staysUnder(key, `datasets/${name}/v${version}/`)).toBe(true);
        expect(key.endsWith(`/${file}`)).toBe(true);
      }),
      { numRuns: 2000 },
    );
    fc.assert(
      fc.property(anySegment, fc.oneof(anySegment, anyVersion), anySegment, (name, version, file) => {
        for (const [root, build] of [
          ['models', () => modelArtifactKey(name, version as string | number, file)],
          ['features', () => featureSnapshotKey(name, version as string | number, file)],
        ] as const) {
          const key = built(build);
          if (!(key instanceof InvalidObjectKeyError)) expect(staysUnder(key, `${root}/${name}/${version}/`)).toBe(true);
        }
        const training = built(() => trainingSetKey(name, String(version), file));
        if (!(training instanceof InvalidObjectKeyError)) expect(staysUnder(training, `training-sets/${name}/${version}/`)).toBe(true);
      }),
      { numRuns: 2000 },
    );
  });

  it('accepts every valid segment combination and parses what it built back to the same key', () => {
    fc.assert(
      fc.property(validSegment, fc.integer({ min: 1, max: 1_000_000 }), validSegment, (name, version, file) => {
        const key = datasetVersionKey(name, version, file);
        expect(parseObjectKey(key)).toBe(key);
        const model = modelArtifactKey(name, String(version), file);
        expect(parseObjectKey(model)).toBe(model);
      }),
    );
  });

  it('refuses stored keys that are not shaped like built ones', () => {
    for (const raw of [
      'datasets/claims/3/f',
      'datasets/claims/v0/f',
      'other/a/b/c',
      '/datasets/a/v1/f',
      'datasets/a/v1/f/g',
      'models/../1/f',
      'models/a/1/',
    ]) {
      expect(() => parseObjectKey(raw)).toThrow(InvalidObjectKeyError);
    }
  });
});
