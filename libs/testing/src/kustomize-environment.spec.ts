import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { z } from 'zod';
import {
  DEPLOY_DIR,
  KUSTOMIZE_BASE,
  KUSTOMIZE_PRODUCTION,
  checkKustomizeService,
  parseEnvFile,
  podContainers,
  readSecretKeys,
  renderKustomization,
  resolveContainerEnv,
  type KubeObject,
} from './kustomize-environment';

const SERVICES = ['ingestion', 'feature-store', 'trainer', 'registry', 'deployer', 'monitor'];
/** The web console's Deployment and Service (console.yaml), beside the six services'. */
const CONSOLE = 'console';
const RENDERINGS = { base: renderKustomization(KUSTOMIZE_BASE), production: renderKustomization(KUSTOMIZE_PRODUCTION) };

const find = (objects: KubeObject[], kind: string, name: string) => {
  const found = objects.find((object) => object.kind === kind && object.metadata.name === name);
  if (!found) throw new Error(`no ${kind} ${name}`);
  return found;
};
const containerOf = (deployment: KubeObject) => podContainers(deployment)[0];
const portNamed = (container: KubeObject, name: string): number =>
  (container.ports as Array<{ name: string; containerPort: number }>).find((port) => port.name === name)!.containerPort;
const isSubset = (subset: Record<string, string>, of: Record<string, string>) => Object.entries(subset).every(([k, v]) => of[k] === v);

/** Kubernetes quantities as the manifests write them: `500m`, `2`, `512Mi`, `4Gi`. */
function quantity(value: string | number): number {
  const match = /^(\d+(?:\.\d+)?)(m|Ki|Mi|Gi)?$/.exec(String(value));
  if (!match) throw new Error(`unexpected quantity ${value}`);
  const factor = { m: 1e-3, Ki: 2 ** 10, Mi: 2 ** 20, Gi: 2 ** 30 }[match[2] as string] ?? 1;
  return Number(match[1]) * factor;
}

// Field names Kubernetes knows at the levels the manifests fill in: a typo (`readinesProbe`) is
// silently dropped by the API server's non-strict decoding, so it is caught here.
const CONTAINER_FIELDS = [
  'name',
  'image',
  'imagePullPolicy',
  'command',
  'args',
  'workingDir',
  'ports',
  'env',
  'envFrom',
  'resources',
  'volumeMounts',
  'livenessProbe',
  'readinessProbe',
  'startupProbe',
  'lifecycle',
  'securityContext',
  'terminationMessagePolicy',
];
const POD_FIELDS = [
  'automountServiceAccountToken',
  'enableServiceLinks',
  'terminationGracePeriodSeconds',
  'securityContext',
  'containers',
  'initContainers',
  'volumes',
  'topologySpreadConstraints',
  'affinity',
  'nodeSelector',
  'tolerations',
  'serviceAccountName',
  'priorityClassName',
];
const PROBE_FIELDS = [
  'grpc',
  'httpGet',
  'exec',
  'tcpSocket',
  'initialDelaySeconds',
  'periodSeconds',
  'timeoutSeconds',
  'failureThreshold',
  'successThreshold',
];

/**
 * The pod runs as the image user 1000, non-root, on a read-only root with /tmp an emptyDir,
 * without capabilities, privilege escalation, a service account token or Docker-links-style
 * variables (INGESTION_PORT=tcp://…) beside the declared ones.
 */
function expectHardenedPod(pod: KubeObject, container: KubeObject): void {
  expect(pod.securityContext).toMatchObject({ runAsNonRoot: true, runAsUser: 1000, seccompProfile: { type: 'RuntimeDefault' } });
  expect(container.securityContext).toMatchObject({
    runAsNonRoot: true,
    runAsUser: 1000,
    allowPrivilegeEscalation: false,
    readOnlyRootFilesystem: true,
    capabilities: { drop: ['ALL'] },
  });
  expect(container.securityContext.privileged).toBeUndefined();
  expect(container.securityContext.capabilities.add).toBeUndefined();
  expect(pod.automountServiceAccountToken).toBe(false);
  expect(pod.enableServiceLinks).toBe(false);
  const tmp = (container.volumeMounts as KubeObject[]).find((mount) => mount.mountPath === '/tmp');
  expect(pod.volumes.find((volume: KubeObject) => volume.name === tmp?.name)?.emptyDir).toBeDefined();
}

describe.each(Object.entries(RENDERINGS))('deploy/kustomize %s', (rendering, objects) => {
  describe.each(SERVICES)('%s', (service) => {
    const deployment = find(objects, 'Deployment', service);
    const pod = deployment.spec.template.spec;
    const container = containerOf(deployment);
    const env = resolveContainerEnv(objects, service, service);
    const grpcPort = portNamed(container, 'grpc');
    const httpPort = portNamed(container, 'http');

    it('has a Deployment, a Service and a PodDisruptionBudget selecting its pods, and only them', () => {
      const podLabels = deployment.spec.template.metadata.labels;
      expect(podContainers(deployment)).toHaveLength(1);
      expect(container.name).toBe(service);
      expect(isSubset(deployment.spec.selector.matchLabels, podLabels)).toBe(true);
      expect(isSubset(find(objects, 'Service', service).spec.selector, podLabels)).toBe(true);
      expect(isSubset(find(objects, 'PodDisruptionBudget', service).spec.selector.matchLabels, podLabels)).toBe(true);
      // No other service's selector (nor the console's) picks these pods.
      for (const other of [...SERVICES, CONSOLE].filter((name) => name !== service)) {
        expect(isSubset(find(objects, 'Service', other).spec.selector, podLabels)).toBe(false);
      }
    });

    it('listens on the ports its configuration names, and its Service exposes them as grpc and http', () => {
      expect(env.GRPC_PORT.value).toBe(String(grpcPort));
      expect(env.HTTP_PORT.value).toBe(String(httpPort));
      expect(env.GRPC_HOST.value).toBe('0.0.0.0');
      expect(env.HTTP_HOST.value).toBe('0.0.0.0');
      const ports = find(objects, 'Service', service).spec.ports as Array<{ name: string; port: number; targetPort: string | number }>;
      expect(ports.map(({ name, port, targetPort }) => ({ name, port, targetPort }))).toEqual([
        { name: 'grpc', port: grpcPort, targetPort: 'grpc' },
        { name: 'http', port: httpPort, targetPort: 'http' },
      ]);
    });

    it('is ready by gRPC health, alive by HTTP /healthz, and has a startup probe', () => {
      expect(container.readinessProbe.grpc).toEqual({ port: grpcPort });
      expect(container.startupProbe.grpc).toEqual({ port: grpcPort });
      expect(container.livenessProbe.httpGet.path).toBe('/healthz');
      expect([httpPort, 'http']).toContain(container.livenessProbe.httpGet.port);
      // The liveness probe waits for startup to succeed; a check of dependencies (each given 3 s)
      // needs more than the default 1 s timeout.
      expect(container.livenessProbe.timeoutSeconds).toBeGreaterThan(3);
    });

    it('runs as the image user 1000, non-root, read-only, without capabilities or privilege escalation', () => {
      expectHardenedPod(pod, container);
    });

    it('reads the tokens file from the flywheel-tokens Secret, read-only, where FLYWHEEL_TOKENS_FILE says', () => {
      const volume = (pod.volumes as KubeObject[]).find((v) => v.secret?.secretName === 'flywheel-tokens')!;
      const mount = (container.volumeMounts as KubeObject[]).find((m) => m.name === volume.name)!;
      const item = (volume.secret.items as Array<{ key: string; path: string }>).find((i) => i.key === 'tokens.json')!;
      expect(mount.readOnly).toBe(true);
      // A subPath mount would never see a rotated Secret; the token store polls the file.
      expect(mount.subPath).toBeUndefined();
      expect(`${mount.mountPath}/${item.path}`).toBe(env.FLYWHEEL_TOKENS_FILE.value);
      expect(volume.secret.defaultMode & 0o007).toBe(0);
    });

    it('gets more time to stop than SHUTDOWN_TIMEOUT_MS plus its preStop pause', () => {
      const preStop = container.lifecycle?.preStop?.exec?.command as string[] | undefined;
      const pauseMs = preStop?.[0] === 'sleep' ? Number(preStop[1]) * 1000 : 0;
      expect(pod.terminationGracePeriodSeconds * 1000).toBeGreaterThan(Number(env.SHUTDOWN_TIMEOUT_MS.value) + pauseMs);
    });

    it('requests and limits cpu and memory', () => {
      for (const resource of ['cpu', 'memory']) {
        const request = quantity(container.resources.requests[resource]);
        expect(request).toBeGreaterThan(0);
        expect(quantity(container.resources.limits[resource])).toBeGreaterThanOrEqual(request);
      }
    });

    it('is scraped by Prometheus on its HTTP port at /metrics', () => {
      expect(deployment.spec.template.metadata.annotations).toMatchObject({
        'prometheus.io/scrape': 'true',
        'prometheus.io/port': String(httpPort),
        'prometheus.io/path': '/metrics',
      });
    });

    it('takes credentials only from Secrets, and reaches other services through their Services', () => {
      for (const [name, source] of Object.entries(env)) {
        if (/KEY|TOKEN|PASSWORD|SECRET|DATABASE_URL/.test(name) && name !== 'FLYWHEEL_TOKENS_FILE')
          expect([name, source.from]).toEqual([name, 'secret']);
        if (name.endsWith('_GRPC_ADDRESS')) {
          const [host, port] = String(source.value).split(':');
          const target = find(objects, 'Service', host).spec.ports.find((p: KubeObject) => p.name === 'grpc');
          expect([name, Number(port)]).toEqual([name, target.port]);
          expect(name).toBe(`${host.toUpperCase().replace(/-/g, '_')}_GRPC_ADDRESS`);
        }
      }
    });

    it('uses only field names Kubernetes knows', () => {
      expect(Object.keys(container).filter((key) => !CONTAINER_FIELDS.includes(key))).toEqual([]);
      expect(Object.keys(pod).filter((key) => !POD_FIELDS.includes(key))).toEqual([]);
      for (const probe of ['startupProbe', 'readinessProbe', 'livenessProbe']) {
        expect(Object.keys(container[probe]).filter((key) => !PROBE_FIELDS.includes(key))).toEqual([]);
      }
    });

    if (rendering === 'base') {
      it('runs flywheel/<service>:latest with no namespace (overlays set both)', () => {
        expect(container.image).toBe(`flywheel/${service}:latest`);
        expect(objects.every((object) => object.metadata.namespace === undefined && object.kind !== 'Namespace')).toBe(true);
      });
    } else {
      it('runs a pinned image in namespace flywheel, with replicas a PodDisruptionBudget can keep serving through a drain', () => {
        expect(container.image).toMatch(new RegExp(`^flywheel/${service}(:(?!latest$)[\\w.-]+|@sha256:[0-9a-f]{64})$`));
        expect(deployment.metadata.namespace).toBe('flywheel');
        expect(deployment.spec.replicas).toBeGreaterThanOrEqual(2);
        const budget = find(objects, 'PodDisruptionBudget', service).spec;
        const allowedDown = budget.maxUnavailable ?? deployment.spec.replicas - budget.minAvailable;
        expect(allowedDown).toBeGreaterThanOrEqual(1);
        expect(allowedDown).toBeLessThan(deployment.spec.replicas);
        expect(deployment.spec.strategy.rollingUpdate.maxUnavailable).toBe(0);
      });
    }
  });
});

describe.each(Object.entries(RENDERINGS))('deploy/kustomize %s: the console', (rendering, objects) => {
  const deployment = find(objects, 'Deployment', CONSOLE);
  const pod = deployment.spec.template.spec;
  const container = containerOf(deployment);
  const env = resolveContainerEnv(objects, CONSOLE, CONSOLE);
  const httpPort = portNamed(container, 'http');

  it('has a Deployment and a Service selecting its pods, and only them', () => {
    const podLabels = deployment.spec.template.metadata.labels;
    expect(podContainers(deployment)).toHaveLength(1);
    expect(container.name).toBe(CONSOLE);
    expect(isSubset(deployment.spec.selector.matchLabels, podLabels)).toBe(true);
    expect(isSubset(find(objects, 'Service', CONSOLE).spec.selector, podLabels)).toBe(true);
    for (const service of SERVICES) {
      expect(isSubset(find(objects, 'Service', service).spec.selector, podLabels)).toBe(false);
      expect(
        isSubset(find(objects, 'Service', CONSOLE).spec.selector, find(objects, 'Deployment', service).spec.template.metadata.labels),
      ).toBe(false);
    }
  });

  it('listens on CONSOLE_HTTP_PORT on every interface of the pod, and its Service exposes it as http', () => {
    expect(env.CONSOLE_HTTP_PORT.value).toBe(String(httpPort));
    expect(env.CONSOLE_HTTP_HOST.value).toBe('0.0.0.0');
    expect(container.ports).toHaveLength(1);
    const ports = find(objects, 'Service', CONSOLE).spec.ports as Array<{ name: string; port: number; targetPort: string | number }>;
    expect(ports.map(({ name, port, targetPort }) => ({ name, port, targetPort }))).toEqual([
      { name: 'http', port: 8080, targetPort: 'http' },
    ]);
  });

  it('is started, ready and alive by GET /healthz', () => {
    for (const probe of ['startupProbe', 'readinessProbe', 'livenessProbe']) {
      expect(container[probe].httpGet.path).toBe('/healthz');
      expect([httpPort, 'http']).toContain(container[probe].httpGet.port);
    }
  });

  it('runs as the image user 1000, non-root, read-only, without capabilities or privilege escalation', () => {
    expectHardenedPod(pod, container);
  });

  it('holds no credential: no Secret, no tokens file (every call carries the signed-in team token)', () => {
    expect(Object.entries(env).filter(([, source]) => source.from === 'secret')).toEqual([]);
    expect((pod.volumes as KubeObject[]).filter((volume) => volume.secret)).toEqual([]);
  });

  it('reaches the six services through their Services, by the variables the services use', () => {
    const addresses = Object.entries(env).filter(([name]) => name.endsWith('_GRPC_ADDRESS'));
    expect(addresses.map(([name]) => name).sort()).toEqual(
      SERVICES.map((s) => `${s.toUpperCase().replace(/-/g, '_')}_GRPC_ADDRESS`).sort(),
    );
    for (const [name, source] of addresses) {
      const [host, port] = String(source.value).split(':');
      const target = find(objects, 'Service', host).spec.ports.find((p: KubeObject) => p.name === 'grpc');
      expect([name, Number(port)]).toEqual([name, target.port]);
      expect(name).toBe(`${host.toUpperCase().replace(/-/g, '_')}_GRPC_ADDRESS`);
    }
  });

  it('stops within its grace period, and requests and limits cpu and memory', () => {
    const preStop = container.lifecycle?.preStop?.exec?.command as string[] | undefined;
    expect(preStop?.[0] === 'sleep' ? Number(preStop[1]) : 0).toBeLessThan(pod.terminationGracePeriodSeconds);
    for (const resource of ['cpu', 'memory']) {
      const request = quantity(container.resources.requests[resource]);
      expect(request).toBeGreaterThan(0);
      expect(quantity(container.resources.limits[resource])).toBeGreaterThanOrEqual(request);
    }
  });

  it('uses only field names Kubernetes knows', () => {
    expect(Object.keys(container).filter((key) => !CONTAINER_FIELDS.includes(key))).toEqual([]);
    expect(Object.keys(pod).filter((key) => !POD_FIELDS.includes(key))).toEqual([]);
    for (const probe of ['startupProbe', 'readinessProbe', 'livenessProbe']) {
      expect(Object.keys(container[probe]).filter((key) => !PROBE_FIELDS.includes(key))).toEqual([]);
    }
  });

  it(`runs one replica (its sessions live in its memory) of ${rendering === 'base' ? 'flywheel/console:latest' : 'a pinned image'}`, () => {
    expect(deployment.spec.replicas).toBe(1);
    if (rendering === 'base') expect(container.image).toBe('flywheel/console:latest');
    else expect(container.image).toMatch(/^flywheel\/console(:(?!latest$)[\w.-]+|@sha256:[0-9a-f]{64})$/);
  });
});

describe('deploy/kustomize production overlay', () => {
  const objects = RENDERINGS.production;

  it('puts every namespaced object in flywheel, whose pods must meet the restricted Pod Security Standard', () => {
    expect(objects.filter((object) => object.kind !== 'Namespace' && object.metadata.namespace !== 'flywheel')).toEqual([]);
    expect(find(objects, 'Namespace', 'flywheel').metadata.labels?.['pod-security.kubernetes.io/enforce']).toBe('restricted');
  });

  it("pins all seven images (the six services' and the console's) to one release", () => {
    const images = objects.flatMap(podContainers).map((container) => String(container.image));
    expect(images.map((image) => image.split(/[:@]/)[0]).sort()).toEqual([...SERVICES, CONSOLE].map((name) => `flywheel/${name}`).sort());
    const tags = new Set(images.map((image) => image.split(/[:@]/)[1]));
    expect(tags.size).toBe(1);
  });
});

describe('secrets', () => {
  const declared = readSecretKeys();
  const manifests = RENDERINGS.production;

  it('are never part of the manifests: no Secret object, no secretGenerator', () => {
    expect(manifests.filter((object) => object.kind === 'Secret')).toEqual([]);
    for (const dir of [KUSTOMIZE_BASE, KUSTOMIZE_PRODUCTION]) {
      expect(readFileSync(join(dir, 'kustomization.yaml'), 'utf8')).not.toMatch(/secretGenerator/);
    }
  });

  it('declares exactly the keys the Deployments read, and deploy/README.md shows how to create each', () => {
    const used = new Set<string>();
    for (const service of [...SERVICES, CONSOLE]) {
      for (const source of Object.values(resolveContainerEnv(manifests, service, service)))
        if (source.from === 'secret') used.add(String(source.ref));
      for (const volume of find(manifests, 'Deployment', service).spec.template.spec.volumes as KubeObject[]) {
        for (const item of volume.secret?.items ?? []) used.add(`${volume.secret.secretName}/${item.key}`);
      }
    }
    const all = Object.entries(declared).flatMap(([name, secret]) => Object.keys(secret.keys).map((key) => `${name}/${key}`));
    expect([...used].sort()).toEqual(all.sort());
    const readme = readFileSync(join(DEPLOY_DIR, 'README.md'), 'utf8');
    for (const ref of all) {
      const [name, key] = ref.split('/');
      expect([ref, readme.includes(name) && readme.includes(key)]).toEqual([ref, true]);
    }
  });

  it('keep the ConfigMap free of credentials', () => {
    const data = parseEnvFile(join(KUSTOMIZE_BASE, 'flywheel-config.env'));
    expect(Object.keys(data).filter((key) => /KEY|TOKEN(?!S_FILE)|PASSWORD|SECRET|DATABASE_URL/.test(key))).toEqual([]);
    expect(Object.values(data).filter((value) => /:\/\/[^/]*@/.test(value))).toEqual([]);
  });
});

describe('checkKustomizeService', () => {
  const schema = z.object({
    GRPC_PORT: z.string().default('1'),
    DATABASE_URL: z.string(),
    INGESTION_GRPC_ADDRESS: z.string().default('127.0.0.1:8051'),
  });
  let copy: string;
  beforeEach(() => {
    copy = mkdtempSync(join(tmpdir(), 'flywheel-kustomize-'));
    cpSync(join(DEPLOY_DIR, 'kustomize'), join(copy, 'kustomize'), { recursive: true });
  });
  afterEach(() => rmSync(copy, { recursive: true, force: true }));

  const overlay = () => join(copy, 'kustomize/overlays/production');
  const editBase = (file: string, edit: (text: string) => string) => {
    const path = join(copy, 'kustomize/base', file);
    writeFileSync(path, edit(readFileSync(path, 'utf8')));
  };

  it('reports the variables set but not read, and the required or address ones not set', () => {
    expect(checkKustomizeService('monitor', schema, overlay())).toEqual({
      unread: expect.arrayContaining(['GRPC_HOST', 'KAFKA_BROKERS']),
      missing: ['INGESTION_GRPC_ADDRESS'],
      dockerfileExists: true,
    });
    expect(checkKustomizeService('monitor', schema, overlay()).unread).not.toContain('DATABASE_URL');
  });

  it('sees a variable removed from a Deployment', () => {
    editBase('trainer.yaml', (text) => text.replace(/ {12}- name: DATABASE_URL\n.*\n/, ''));
    expect(checkKustomizeService('trainer', schema, overlay()).missing).toContain('DATABASE_URL');
  });

  it('refuses a reference to a ConfigMap key or Secret key that does not exist (the pod would not start)', () => {
    editBase('trainer.yaml', (text) => text.replace('key: TRAINER_DATABASE_URL', 'key: TRAINER_DB_URL'));
    expect(() => checkKustomizeService('trainer', schema, overlay())).toThrow(/DATABASE_URL ← Secret flywheel-secrets key TRAINER_DB_URL/);
    editBase('flywheel-config.env', (text) => text.replace(/^GRPC_DEADLINE_MS=.*$/m, ''));
    expect(() => renderAndResolve(overlay(), 'registry')).toThrow(/GRPC_DEADLINE_MS ← ConfigMap flywheel-config key GRPC_DEADLINE_MS/);
  });

  it('refuses kustomization fields it does not implement rather than ignoring them', () => {
    const path = join(overlay(), 'kustomization.yaml');
    writeFileSync(path, `${readFileSync(path, 'utf8')}\npatches:\n  - path: more-memory.yaml\n`);
    expect(() => checkKustomizeService('trainer', schema, overlay())).toThrow(/unsupported field\(s\) patches/);
  });

  it('applies overlay values over the base ConfigMap', () => {
    const env = resolveContainerEnv(RENDERINGS.production, 'registry', 'registry');
    const production = parseEnvFile(join(KUSTOMIZE_PRODUCTION, 'production.env'));
    expect(env.KAFKA_BROKERS.value).toBe(production.KAFKA_BROKERS);
  });
});

function renderAndResolve(dir: string, service: string) {
  return resolveContainerEnv(renderKustomization(dir), service, service);
}
