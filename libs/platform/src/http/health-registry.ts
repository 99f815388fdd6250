/** One dependency a service needs to do its work: its database, Kafka, the object store. */
export interface HealthIndicator {
  readonly name: string;
  /** Resolves when healthy (optionally with facts to show); throws or rejects when not. */
  check(): Promise<unknown> | unknown;
}

export interface HealthCheckResult {
  readonly status: 'up' | 'down';
  readonly error?: string;
  readonly info?: unknown;
  readonly durationMs: number;
}

export interface HealthReport {
  readonly status: 'ok' | 'error';
  readonly checks: Record<string, HealthCheckResult>;
}

const DEFAULT_CHECK_TIMEOUT_MS = 3000;

/**
 * The indicators behind `/healthz`. Services register theirs in `onModuleInit`; each check
 * gets a time limit so one hung dependency reports down instead of hanging the probe.
 */
export class HealthRegistry {
  private readonly indicators = new Map<string, HealthIndicator>();

  constructor(private readonly checkTimeoutMs = DEFAULT_CHECK_TIMEOUT_MS) {}

  register(indicator: HealthIndicator): void {
    if (this.indicators.has(indicator.name)) throw new Error(`health indicator "${indicator.name}" is already registered`);
    this.indicators.set(indicator.name, indicator);
  }

  names(): string[] {
    return [...this.indicators.keys()];
  }

  async run(): Promise<HealthReport> {
    const entries = await Promise.all(
      [...this.indicators.values()].map(async (indicator) => [indicator.name, await this.runOne(indicator)] as const),
    );
    const checks = Object.fromEntries(entries);
    return { status: entries.every(([, result]) => result.status === 'up') ? 'ok' : 'error', checks };
  }

  private async runOne(indicator: HealthIndicator): Promise<HealthCheckResult> {
    const started = performance.now();
    let timer: NodeJS.Timeout | undefined;
    try {
      const info = await Promise.race([
        Promise.resolve().then(() => indicator.check()),
        new Promise<never>((_, reject) => {
          timer = setTimeout(() => reject(new Error(`no answer within ${this.checkTimeoutMs} ms`)), this.checkTimeoutMs);
        }),
      ]);
      const durationMs = Math.round(performance.now() - started);
      return info === undefined ? { status: 'up', durationMs } : { status: 'up', info, durationMs };
    } catch (error) {
      return {
        status: 'down',
        error: error instanceof Error ? error.message : String(error),
        durationMs: Math.round(performance.now() - started),
      };
    } finally {
      clearTimeout(timer);
    }
  }
}
