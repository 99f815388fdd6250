import { type z } from 'zod';
import { ConfigError, type ConfigIssue } from './config-error';

const SECRET_NAME = /(SECRET|PASSWORD|PASSWD|ACCESS_KEY|PRIVATE_KEY|CREDENTIALS|(^|_)TOKEN$)/i;
const MAX_SHOWN = 120;

export interface LoadConfigOptions {
  /** Variables to mask besides those whose names say they are secret. */
  readonly secrets?: readonly string[];
}

/**
 * Reads the environment once, at boot, into a typed and frozen object. Every bad or missing
 * variable is reported in one `ConfigError`, secrets masked, so an operator fixes them in one go.
 */
export function loadConfig<S extends z.ZodType<object>>(
  schema: S,
  env: NodeJS.ProcessEnv = process.env,
  options: LoadConfigOptions = {},
): Readonly<z.output<S>> {
  // `FOO=` in a unit file or compose file means "not set", not "set to nothing".
  const present: Record<string, string> = {};
  for (const [name, value] of Object.entries(env)) {
    if (value !== undefined && value !== '') present[name] = value;
  }
  const result = schema.safeParse(present);
  if (!result.success) {
    const secrets = new Set(options.secrets ?? []);
    const issues = new Map<string, ConfigIssue>();
    for (const issue of result.error.issues) {
      const variable = issue.path.length > 0 ? String(issue.path[0]) : '(environment)';
      const raw = present[variable];
      const reason = raw === undefined && issue.code === 'invalid_type' ? 'is required' : issue.message;
      const known = issues.get(variable);
      issues.set(variable, {
        variable,
        reason: known ? `${known.reason}; ${reason}` : reason,
        value: describeValue(variable, raw, secrets.has(variable)),
      });
    }
    throw new ConfigError([...issues.values()]);
  }
  return deepFreeze(result.data);
}

export function isSecretVariable(name: string): boolean {
  return SECRET_NAME.test(name);
}

function describeValue(name: string, raw: string | undefined, forcedSecret: boolean): string {
  if (raw === undefined) return '(unset)';
  if (forcedSecret || isSecretVariable(name)) return `"***" (${raw.length} characters)`;
  const masked = maskUrlPassword(raw);
  return JSON.stringify(masked.length > MAX_SHOWN ? `${masked.slice(0, MAX_SHOWN)}…` : masked);
}

/** `postgres://user:pw@host/db` → `postgres://user:***@host/db`: URLs often carry a password. */
export function maskUrlPassword(raw: string): string {
  return raw.replace(/^([a-z][a-z0-9+.-]*:\/\/[^:/@\s]*:)[^@/\s]*@/i, '$1***@');
}

function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const child of Object.values(value)) deepFreeze(child);
  }
  return value;
}
