import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parse } from 'yaml';

const REPO_ROOT = resolve(__dirname, '../../..');

/** A service of docker-compose.yml, as far as the checks read it. */
export interface ComposeService {
  environment?: Record<string, string | number>;
  build?: { dockerfile?: string };
  depends_on?: Record<string, { condition: string }>;
  network_mode?: string;
  entrypoint?: string[];
  volumes?: string[];
}

interface ComposeFile {
  services: Record<string, ComposeService>;
}

/** A zod object schema, seen only as far as this check needs. */
export interface ConfigShape {
  shape: Record<string, { safeParse(value: unknown): { success: boolean } }>;
}

export interface ComposeCheck {
  /** Variables docker-compose.yml sets that the service does not read. */
  unread: string[];
  /**
   * Variables docker-compose.yml must set but does not: those without a default, and every
   * `*_GRPC_ADDRESS` the service reads (its default is loopback, wrong inside a container).
   */
  missing: string[];
  /** The service's Dockerfile, as docker-compose.yml names it, exists. */
  dockerfileExists: boolean;
}

/**
 * Compares a service's entry in docker-compose.yml (anchors merged) with the configuration
 * schema it validates at boot, so the production file cannot drift from what the code reads.
 */
export function checkComposeService(service: string, config: ConfigShape): ComposeCheck {
  const entry = composeService(service);
  const environment = Object.keys(entry.environment ?? {});
  const read = Object.keys(config.shape);
  return {
    unread: environment.filter((name) => !read.includes(name)),
    missing: read.filter(
      (name) => (!config.shape[name].safeParse(undefined).success || name.endsWith('_GRPC_ADDRESS')) && !environment.includes(name),
    ),
    dockerfileExists: Boolean(entry.build?.dockerfile && existsSync(join(REPO_ROOT, entry.build.dockerfile))),
  };
}

/** docker-compose.yml, anchors merged. */
function readCompose(): ComposeFile {
  return parse(readFileSync(join(REPO_ROOT, 'docker-compose.yml'), 'utf8'), { merge: true }) as ComposeFile;
}

/** A service of docker-compose.yml, anchors merged. */
export function composeService(service: string): ComposeService {
  const entry = readCompose().services[service];
  if (!entry) throw new Error(`docker-compose.yml has no service "${service}"`);
  return entry;
}

/** The environment docker-compose.yml gives a service (anchors merged, `${…}` left as written). */
export function composeEnvironment(service: string): Record<string, string> {
  return Object.fromEntries(Object.entries(composeService(service).environment ?? {}).map(([name, value]) => [name, String(value)]));
}
