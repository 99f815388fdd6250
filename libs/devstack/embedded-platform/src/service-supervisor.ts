import { DEFAULT_RESTART_POLICY, RestartPolicy, type RestartPolicyOptions } from './restart-policy';
import { type ServiceProcess } from './service-process';

export interface SupervisorEvents {
  progress(message: string): void;
  /** Crashed too often: left stopped, while the other services keep running. */
  gaveUp(service: string, reason: string, tail: string): void;
}

const describeExit = (code: number | string) => (typeof code === 'number' ? `code ${code}` : `signal ${code}`);
const seconds = (ms: number) => `${Number((ms / 1000).toFixed(1))} s`;

/** Keeps one service running: restarts it after a crash, as its RestartPolicy says, and reports it. */
export class ServiceSupervisor {
  private readonly policy: RestartPolicy;
  private restartTimer?: NodeJS.Timeout;
  private stopping = false;
  /** Why it was given up, once it was. */
  gaveUp?: string;

  constructor(
    readonly process: ServiceProcess,
    private readonly events: SupervisorEvents,
    policy: RestartPolicyOptions = DEFAULT_RESTART_POLICY,
  ) {
    this.policy = new RestartPolicy(policy);
  }

  get name(): string {
    return this.process.options.name;
  }

  start(): void {
    this.process.start((code) => this.exited(code));
  }

  /** The service answered its health check (so a later crash may start the backoff afresh). */
  healthy(): void {
    this.policy.healthy(Date.now());
  }

  async stop(graceMs: number): Promise<void> {
    this.stopping = true;
    clearTimeout(this.restartTimer);
    await this.process.stop(graceMs);
  }

  kill(): void {
    this.stopping = true;
    clearTimeout(this.restartTimer);
    this.process.kill();
  }

  private exited(code: number | string): void {
    if (this.stopping) return;
    const decision = this.policy.crashed(Date.now());
    if (!decision.restart) {
      this.gaveUp = `exited (${describeExit(code)}): ${decision.crashes} crashes within ${seconds(decision.windowMs)}, not restarting it`;
      this.events.gaveUp(this.name, this.gaveUp, this.process.tail());
      return;
    }
    this.events.progress(`${this.name} exited (${describeExit(code)}); restarting in ${seconds(decision.delayMs)}`);
    this.restartTimer = setTimeout(() => {
      if (this.stopping) return;
      this.start();
      void this.reportRecovery();
    }, decision.delayMs);
  }

  /** Says when the restarted process answers its health check. */
  private async reportRecovery(): Promise<void> {
    const pid = this.process.pid;
    while (!this.stopping && this.process.running && this.process.pid === pid) {
      if (await this.process.healthy()) {
        if (this.stopping || this.process.pid !== pid) return;
        this.healthy();
        this.events.progress(`${this.name} is healthy again`);
        return;
      }
      await new Promise((r) => setTimeout(r, 500));
    }
  }
}
