import { parseArgs } from 'node:util';
import { type LogLevel } from './json-logger';
import { keepNewFilesPrivate } from './private-files';

const LOG_LEVELS: readonly LogLevel[] = ['debug', 'info', 'warn', 'error', 'silent'];

/**
 * What the stand-alone servers of the devstack (`npm run broker`, `npm run s3`) share as
 * commands: string options with one-line errors and exit code 2, `--help`, `--log-level`, a
 * clean stop on SIGINT/SIGTERM, and files created for the user who runs them alone (umask 077).
 */
export class ServerCommand<Name extends string, Flag extends string = never> {
  readonly values: Partial<Record<Name | 'log-level', string>>;
  private readonly flags: Partial<Record<Flag, boolean>>;

  /** `options` take a value (`--port 9092`); `flags` do not (`--allow-anonymous`). */
  constructor(
    private readonly usage: string,
    options: readonly Name[],
    flags: readonly Flag[] = [],
  ) {
    keepNewFilesPrivate();
    let parsed: Record<string, string | boolean | undefined> = {};
    try {
      const spec = Object.fromEntries([...options, 'log-level'].map((name) => [name, { type: 'string' as const }]));
      const flagSpec = Object.fromEntries(flags.map((name) => [name, { type: 'boolean' as const }]));
      parsed = parseArgs({ options: { ...spec, ...flagSpec, help: { type: 'boolean' } } }).values;
    } catch (error) {
      this.fail((error as Error).message);
    }
    if (parsed.help) {
      process.stdout.write(`${usage}\n`);
      process.exit(0);
    }
    this.values = parsed as Partial<Record<Name | 'log-level', string>>;
    this.flags = parsed as Partial<Record<Flag, boolean>>;
  }

  flag(name: Flag): boolean {
    return this.flags[name] === true;
  }

  fail(message: string): never {
    process.stderr.write(`${message}\n${this.usage}\n`);
    process.exit(2);
  }

  integer(name: Name, fallback: number, max = Number.MAX_SAFE_INTEGER): number {
    const raw = this.values[name];
    if (raw === undefined) return fallback;
    const n = Number(raw);
    if (!Number.isInteger(n) || n < 0 || n > max) this.fail(`--${name} must be an integer between 0 and ${max}, got "${raw}"`);
    return n;
  }

  logLevel(): LogLevel {
    const level = (this.values['log-level'] ?? 'info') as LogLevel;
    if (!LOG_LEVELS.includes(level)) this.fail(`--log-level must be ${LOG_LEVELS.join('|')}`);
    return level;
  }

  /** Stops `server` on the first SIGINT or SIGTERM and exits 0 (1 if stopping failed). */
  stopOnSignals(what: string, server: { stop(): Promise<void> }): void {
    let stopping = false;
    const stop = (signal: string) => {
      if (stopping) return;
      stopping = true;
      process.stdout.write(`${signal}: stopping the ${what}\n`);
      server.stop().then(
        () => process.exit(0),
        (error) => {
          process.stderr.write(`${(error as Error).stack}\n`);
          process.exit(1);
        },
      );
    };
    process.on('SIGINT', () => stop('SIGINT'));
    process.on('SIGTERM', () => stop('SIGTERM'));
  }
}

/** Runs a server command's main, reporting a failure to start as one line and exit code 1. */
export function runServerCommand(what: string, main: () => Promise<void>): void {
  main().catch((error) => {
    process.stderr.write(`${what} failed to start: ${(error as Error).message}\n`);
    process.exit(1);
  });
}
