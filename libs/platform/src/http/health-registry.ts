/** One dependency a service needs to do its work: its database, Kafka, the object store. */
export interface HealthIndicator {
  readonly name: string;
  /**
   * Resolves when healthy (optionally with facts to show); throws or rejects when not; resolves
   * with {@link degraded} when the service works but something needs a person's attention.
   */
  check(): Promise<unknown> | unknown;
}

/** What a check returns when the service still serves but is not all right (e.g. parked events). */
export class Degraded {
  constructor(
    readonly reason: string,
    readonly info?: unknown,
  ) {}
}

export function degraded(reason: string, info?: unknown): Degraded {
  return new Degraded(reason, info);
}

export interface HealthCheckResult {
  readonly status: 'up' | 'degraded' | 'down';
  readonly error?: string;
  readonly reason?: string;
  readonly info?: unknown;
  readonly durationMs: number;
}

/** `degraded` still answers 200 (keep routing traffic to it) but says why it needs attention. */
export interface HealthReport {
  readonly status: 'ok' | 'degraded' | 'error';
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
    const statuses = entries.map(([, result]) => result.status);
    const status = statuses.includes('down') ? 'error' : statuses.includes('degraded') ? 'degraded' : 'ok';
    return { status, checks };
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
      if (info instanceof Degraded) {
        return info.info === undefined
          ? { status: 'degraded', reason: info.reason, durationMs }
          : { status: 'degraded', reason: info.reason, info: info.info, durationMs };
      }
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
