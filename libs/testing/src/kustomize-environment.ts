import { existsSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { parseAllDocuments, parse } from 'yaml';
import { type ComposeCheck, type ConfigShape } from './compose-environment';
import { imageProjectDir } from './service-image';

const REPO_ROOT = resolve(__dirname, '../../..');

/** deploy/kustomize/base: the six services and the console, without a namespace. */
export const KUSTOMIZE_BASE = join(REPO_ROOT, 'deploy/kustomize/base');
/** deploy/kustomize/overlays/production: what `kubectl apply -k` deploys. */
export const KUSTOMIZE_PRODUCTION = join(REPO_ROOT, 'deploy/kustomize/overlays/production');
/** The Secrets the manifests read, keys only (never values); not a kustomize resource. */
export const SECRET_KEYS_FILE = join(KUSTOMIZE_BASE, 'secret-keys.yaml');

/** A Kubernetes object as the manifests write it; the fields the checks read are typed loosely. */
export interface KubeObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string>; annotations?: Record<string, string> };
  // Manifests are free-form below metadata; the checks narrow what they read.
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  [field: string]: any;
}

interface ConfigMapGenerator {
  name: string;
  behavior?: 'create' | 'merge' | 'replace';
  envs?: string[];
  literals?: string[];
}

interface Kustomization {
  apiVersion?: string;
  kind?: string;
  namespace?: string;
  resources?: string[];
  images?: Array<{ name: string; newName?: string; newTag?: string; digest?: string }>;
  replicas?: Array<{ name: string; count: number }>;
  configMapGenerator?: ConfigMapGenerator[];
}

/**
 * The kustomization fields this renderer implements. Anything else (patches, secretGenerator,
 * components, labels, …) is refused rather than ignored, so a manifest change the checks cannot
 * follow fails them instead of passing unseen; the kubectl comparison in
 * kustomize-environment.spec.ts proves the rendering equals `kubectl kustomize` where kubectl
 * is installed.
 */
const SUPPORTED_FIELDS = new Set(['apiVersion', 'kind', 'namespace', 'resources', 'images', 'replicas', 'configMapGenerator']);

/** Kinds without a namespace, which the namespace transformer leaves alone. */
const CLUSTER_SCOPED = new Set([
  'Namespace',
  'ClusterRole',
  'ClusterRoleBinding',
  'CustomResourceDefinition',
  'PriorityClass',
  'StorageClass',
]);

function readKustomization(dir: string): Kustomization {
  const file = join(dir, 'kustomization.yaml');
  if (!existsSync(file)) throw new Error(`${dir} has no kustomization.yaml`);
  const kustomization = (parse(readFileSync(file, 'utf8')) ?? {}) as Kustomization;
  const unsupported = Object.keys(kustomization).filter((field) => !SUPPORTED_FIELDS.has(field));
  if (unsupported.length > 0)
    throw new Error(`${file}: unsupported field(s) ${unsupported.join(', ')}: teach kustomize-environment.ts first`);
  return kustomization;
}

/** `KEY=value` lines; `#` comments and blank lines skipped, as kustomize reads `envs:` files. */
export function parseEnvFile(file: string): Record<string, string> {
  const data: Record<string, string> = {};
  for (const [index, raw] of readFileSync(file, 'utf8').split('\n').entries()) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    const eq = line.indexOf('=');
    if (eq <= 0) throw new Error(`${file}:${index + 1}: expected KEY=value`);
    data[line.slice(0, eq)] = line.slice(eq + 1);
  }
  return data;
}

function generatorData(dir: string, generator: ConfigMapGenerator): Record<string, string> {
  const data: Record<string, string> = {};
  for (const envs of generator.envs ?? []) Object.assign(data, parseEnvFile(join(dir, envs)));
  for (const literal of generator.literals ?? []) {
    const eq = literal.indexOf('=');
    data[literal.slice(0, eq)] = literal.slice(eq + 1);
  }
  return data;
}

function readResourceFile(file: string): KubeObject[] {
  return parseAllDocuments(readFileSync(file, 'utf8'))
    .map((document) => {
      if (document.errors.length > 0) throw new Error(`${file}: ${document.errors[0].message}`);
      return document.toJS() as KubeObject | null;
    })
    .filter((object): object is KubeObject => object !== null);
}

/**
 * Renders a kustomization the way `kubectl kustomize` does for the fields above: resources
 * (files and directories, recursively), generated ConfigMaps (`behavior: merge` in overlays),
 * image and replica overrides and the namespace. Generated ConfigMaps keep their plain name
 * (kustomize adds a content hash and rewrites references to it; the checks compare names
 * without it).
 */
export function renderKustomization(dir: string): KubeObject[] {
  const kustomization = readKustomization(dir);
  const objects: KubeObject[] = [];
  for (const resource of kustomization.resources ?? []) {
    const path = resolve(dir, resource);
    if (!existsSync(path)) throw new Error(`${dir}: resource ${resource} does not exist`);
    objects.push(...(statSync(path).isDirectory() ? renderKustomization(path) : readResourceFile(path)));
  }

  for (const generator of kustomization.configMapGenerator ?? []) {
    const data = generatorData(dir, generator);
    const existing = objects.find((object) => object.kind === 'ConfigMap' && object.metadata.name === generator.name);
    const behavior = generator.behavior ?? 'create';
    if (behavior === 'create') {
      if (existing) throw new Error(`${dir}: ConfigMap ${generator.name} already exists (use behavior: merge)`);
      objects.push({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: generator.name }, data });
    } else {
      if (!existing) throw new Error(`${dir}: behavior ${behavior} on ConfigMap ${generator.name}, which no resource generates`);
      existing.data = behavior === 'merge' ? { ...existing.data, ...data } : data;
    }
  }

  for (const image of kustomization.images ?? []) {
    for (const container of objects.flatMap(podContainers)) {
      const [name, tag] = splitImage(container.image);
      if (name !== image.name) continue;
      const newName = image.newName ?? name;
      container.image = image.digest
        ? `${newName}@${image.digest}`
        : `${newName}${image.newTag ? `:${image.newTag}` : tag ? `:${tag}` : ''}`;
    }
  }

  for (const replicas of kustomization.replicas ?? []) {
    const target = objects.find((object) => object.kind === 'Deployment' && object.metadata.name === replicas.name);
    if (!target) throw new Error(`${dir}: replicas for ${replicas.name}, which is no Deployment`);
    target.spec.replicas = replicas.count;
  }

  if (kustomization.namespace) {
    for (const object of objects) {
      if (CLUSTER_SCOPED.has(object.kind)) continue;
      object.metadata.namespace = kustomization.namespace;
    }
  }
  return objects;
}

function splitImage(image: string): [string, string | undefined] {
  const at = image.indexOf('@');
  if (at >= 0) return [image.slice(0, at), undefined];
  const colon = image.lastIndexOf(':');
  return colon > image.lastIndexOf('/') ? [image.slice(0, colon), image.slice(colon + 1)] : [image, undefined];
}

/** The containers of a Deployment's pod template (none for other kinds). */
export function podContainers(object: KubeObject): KubeObject[] {
  return object.kind === 'Deployment' ? ((object.spec?.template?.spec?.containers ?? []) as KubeObject[]) : [];
}

export interface SecretDeclaration {
  description?: string;
  /** key → what goes in it (a description, never a value). */
  keys: Record<string, string>;
}

/** deploy/kustomize/base/secret-keys.yaml: Secret name → its declared keys. */
export function readSecretKeys(): Record<string, SecretDeclaration> {
  return (parse(readFileSync(SECRET_KEYS_FILE, 'utf8')) as { secrets: Record<string, SecretDeclaration> }).secrets;
}

/** Where one environment variable of a container comes from, and its value when it is not secret. */
export interface EnvSource {
  from: 'value' | 'configMap' | 'secret' | 'field';
  /** The value (literal or ConfigMap); undefined for Secrets and field references. */
  value?: string;
  /** `<ConfigMap or Secret name>/<key>` for references. */
  ref?: string;
}

/**
 * The environment a Deployment's container starts with: `envFrom` (ConfigMaps' data, Secrets'
 * declared keys), then `env` (literals and key references), later entries winning as in
 * Kubernetes. A reference to a ConfigMap or Secret key that does not exist — the pod would not
 * start — throws, unless the reference is `optional` (then the variable is simply not set).
 */
export function resolveContainerEnv(objects: KubeObject[], deploymentName: string, containerName?: string): Record<string, EnvSource> {
  const deployment = objects.find((object) => object.kind === 'Deployment' && object.metadata.name === deploymentName);
  if (!deployment) throw new Error(`no Deployment "${deploymentName}"`);
  const containers = podContainers(deployment);
  const container = containerName ? containers.find((c) => c.name === containerName) : containers[0];
  if (!container) throw new Error(`Deployment ${deploymentName} has no container ${containerName ?? ''}`);

  const secrets = readSecretKeys();
  const configMap = (name: string): Record<string, string> | undefined =>
    objects.find((object) => object.kind === 'ConfigMap' && object.metadata.name === name)?.data;
  const dangling: string[] = [];
  const env: Record<string, EnvSource> = {};

  for (const source of (container.envFrom ?? []) as KubeObject[]) {
    const prefix: string = source.prefix ?? '';
    if (source.configMapRef) {
      const data = configMap(source.configMapRef.name);
      if (!data && !source.configMapRef.optional) dangling.push(`envFrom ConfigMap ${source.configMapRef.name}`);
      for (const [key, value] of Object.entries(data ?? {}))
        env[prefix + key] = { from: 'configMap', value, ref: `${source.configMapRef.name}/${key}` };
    }
    if (source.secretRef) {
      const declared = secrets[source.secretRef.name];
      if (!declared && !source.secretRef.optional) dangling.push(`envFrom Secret ${source.secretRef.name}`);
      for (const key of Object.keys(declared?.keys ?? {})) env[prefix + key] = { from: 'secret', ref: `${source.secretRef.name}/${key}` };
    }
  }

  for (const variable of (container.env ?? []) as KubeObject[]) {
    const name: string = variable.name;
    const valueFrom = variable.valueFrom;
    if (!valueFrom) {
      env[name] = { from: 'value', value: String(variable.value ?? '') };
    } else if (valueFrom.configMapKeyRef) {
      const { name: mapName, key, optional } = valueFrom.configMapKeyRef;
      const value = configMap(mapName)?.[key];
      if (value !== undefined) env[name] = { from: 'configMap', value, ref: `${mapName}/${key}` };
      else if (!optional) dangling.push(`${name} ← ConfigMap ${mapName} key ${key}`);
    } else if (valueFrom.secretKeyRef) {
      const { name: secretName, key, optional } = valueFrom.secretKeyRef;
      if (secrets[secretName]?.keys[key] !== undefined) env[name] = { from: 'secret', ref: `${secretName}/${key}` };
      else if (!optional) dangling.push(`${name} ← Secret ${secretName} key ${key} (not in secret-keys.yaml)`);
    } else if (valueFrom.fieldRef || valueFrom.resourceFieldRef) {
      env[name] = { from: 'field' };
    } else {
      throw new Error(`${deploymentName}: ${name} has an unknown valueFrom`);
    }
  }
  if (dangling.length > 0) throw new Error(`Deployment ${deploymentName} references what does not exist: ${dangling.join('; ')}`);
  return env;
}

/**
 * Compares a service's Deployment in the rendered production overlay with the configuration
 * schema it validates at boot, by the rule `checkComposeService` applies to docker-compose.yml:
 * no variable the service does not read; every one without a default, and every
 * `*_GRPC_ADDRESS` (its loopback default is wrong in a pod), set. `dockerfileExists`: the
 * image is `flywheel/<service>` and services/<service>/Dockerfile (libs/console/Dockerfile for
 * the console) builds it.
 */
export function checkKustomizeService(service: string, config: ConfigShape, overlay: string = KUSTOMIZE_PRODUCTION): ComposeCheck {
  const objects = renderKustomization(overlay);
  const environment = Object.keys(resolveContainerEnv(objects, service, service));
  const read = Object.keys(config.shape);
  const deployment = objects.find((object) => object.kind === 'Deployment' && object.metadata.name === service);
  const container = podContainers(deployment as KubeObject).find((c) => c.name === service);
  const [image] = splitImage(String(container?.image ?? ''));
  return {
    unread: environment.filter((name) => !read.includes(name)),
    missing: read.filter(
      (name) => (!config.shape[name].safeParse(undefined).success || name.endsWith('_GRPC_ADDRESS')) && !environment.includes(name),
    ),
    dockerfileExists: image === `flywheel/${service}` && existsSync(join(REPO_ROOT, imageProjectDir(service), 'Dockerfile')),
  };
}

/** deploy/, for specs that read what sits next to the manifests (deploy/README.md). */
export const DEPLOY_DIR = dirname(dirname(KUSTOMIZE_BASE));
