import { InvalidObjectKeyError } from './storage.exception';

declare const objectKeyBrand: unique symbol;
declare const objectKeyPrefixBrand: unique symbol;

/** A key built by this library from validated parts; a raw string is not one. */
export type ObjectKey = string & { readonly [objectKeyBrand]: true };
/** A folder-like prefix (ending in `/`) built by this library, for listing. */
export type ObjectKeyPrefix = string & { readonly [objectKeyPrefixBrand]: true };

export const SEGMENT_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;
const SEGMENT_RULE = 'must match [A-Za-z0-9][A-Za-z0-9._-]{0,127} and contain no ".."';

/** The top-level folders of the bucket, one per kind of object. */
export const KeyRoot = {
  datasets: 'datasets',
  models: 'models',
  trainingSets: 'training-sets',
  features: 'features',
} as const;

function segment(field: string, value: unknown): string {
  if (typeof value !== 'string' || !SEGMENT_PATTERN.test(value) || value.includes('..')) {
    throw new InvalidObjectKeyError(field, value, SEGMENT_RULE);
  }
  return value;
}

function versionNumber(field: string, value: unknown): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 1) {
    throw new InvalidObjectKeyError(field, value, 'must be a positive integer');
  }
  return value;
}

function versionSegment(field: string, value: unknown): string {
  return typeof value === 'number' ? String(versionNumber(field, value)) : segment(field, value);
}

/** `datasets/<dataset>/v<version>/<file>`: one immutable dataset version. */
export function datasetVersionKey(dataset: string, version: number, file: string): ObjectKey {
  return `${datasetVersionPrefix(dataset, version)}${segment('file', file)}` as ObjectKey;
}

export function datasetVersionPrefix(dataset: string, version: number): ObjectKeyPrefix {
  return `${KeyRoot.datasets}/${segment('dataset', dataset)}/v${versionNumber('version', version)}/` as ObjectKeyPrefix;
}

/** `models/<model>/<version>/<file>`: an artifact of one model version (JSON or ONNX, never code). */
export function modelArtifactKey(model: string, version: string | number, file: string): ObjectKey {
  return `${modelVersionPrefix(model, version)}${segment('file', file)}` as ObjectKey;
}

export function modelVersionPrefix(model: string, version: string | number): ObjectKeyPrefix {
  return `${KeyRoot.models}/${segment('model', model)}/${versionSegment('version', version)}/` as ObjectKeyPrefix;
}

/** `training-sets/<featureView>/<trainingSet>/<file>`: point-in-time features written for a training run. */
export function trainingSetKey(featureView: string, trainingSet: string, file: string): ObjectKey {
  return `${trainingSetPrefix(featureView, trainingSet)}${segment('file', file)}` as ObjectKey;
}

export function trainingSetPrefix(featureView: string, trainingSet: string): ObjectKeyPrefix {
  return `${KeyRoot.trainingSets}/${segment('featureView', featureView)}/${segment('trainingSet', trainingSet)}/` as ObjectKeyPrefix;
}

/** `features/<featureView>/<snapshot>/<file>`: the offline store's materialisation of a feature view. */
export function featureSnapshotKey(featureView: string, snapshot: string | number, file: string): ObjectKey {
  return `${featureSnapshotPrefix(featureView, snapshot)}${segment('file', file)}` as ObjectKey;
}

export function featureSnapshotPrefix(featureView: string, snapshot: string | number): ObjectKeyPrefix {
  return `${KeyRoot.features}/${segment('featureView', featureView)}/${versionSegment('snapshot', snapshot)}/` as ObjectKeyPrefix;
}

/**
 * Turns a key read back from our own records (a database row, a listing) into an ObjectKey,
 * checking it has the shape one of the builders produces.
 */
export function parseObjectKey(raw: string): ObjectKey {
  const parts = typeof raw === 'string' ? raw.split('/') : [];
  const [root, name, version, file] = parts;
  if (parts.length !== 4) throw new InvalidObjectKeyError('key', raw, 'must be <root>/<name>/<version>/<file>');
  switch (root) {
    case KeyRoot.datasets: {
      const match = /^v([1-9][0-9]{0,15})$/.exec(version!);
      if (!match) throw new InvalidObjectKeyError('key.version', version, 'must be v<positive integer>');
      return datasetVersionKey(name!, Number(match[1]), file!);
    }
    case KeyRoot.models:
      return modelArtifactKey(name!, version!, file!);
    case KeyRoot.trainingSets:
      return trainingSetKey(name!, version!, file!);
    case KeyRoot.features:
      return featureSnapshotKey(name!, version!, file!);
    default:
      throw new InvalidObjectKeyError('key.root', root, `must be one of ${Object.values(KeyRoot).join(', ')}`);
  }
}
