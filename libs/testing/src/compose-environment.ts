import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parse } from 'yaml';

const REPO_ROOT = resolve(__dirname, '../../..');

interface ComposeFile {
  services: Record<string, { environment?: Record<string, string | number>; build?: { dockerfile?: string } }>;
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
  const compose = parse(readFileSync(join(REPO_ROOT, 'docker-compose.yml'), 'utf8'), { merge: true }) as ComposeFile;
  const entry = compose.services[service];
  if (!entry) throw new Error(`docker-compose.yml has no service "${service}"`);
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
